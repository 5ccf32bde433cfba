import { pino, type DestinationStream, type Logger } from 'pino';

/** Where and how much the API logs; `false` logs nothing. */
export type ApiLogOptions = { readonly level?: string; readonly stream?: DestinationStream } | false;

/**
 * Request headers that carry credentials, and request or answer bodies (a secret's value travels
 * in one), never reach the log: fastify does not log them, and this redacts them should any
 * serializer or handler ever add them.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'req.body',
  'res.body',
  'body',
  'value',
];

export function apiLogger(options: ApiLogOptions | undefined): Logger {
  if (options === false) return pino({ level: 'silent' });
  return pino(
    {
      name: 'signalbox-api',
      level: options?.level ?? process.env.SIGNALBOX_LOG_LEVEL ?? 'info',
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    options?.stream ?? pino.destination(2),
  );
}
