import { pino } from 'pino';

/**
 * Fields that would hold a credential if an adapter or a library ever put one in a log object:
 * censored as a second line of defence. Secret values are revealed only inside adapters at
 * connect time and are never passed to a logger on purpose (docs/secrets.md).
 */
export const redactedLogPaths = ['password', 'passphrase', 'privateKey', 'pass', 'secretValue'].flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
]);

/** JSON logs on stderr, so stdout stays free for command output (`--json`). */
export const logger = pino(
  {
    name: 'signalbox',
    level: process.env.SIGNALBOX_LOG_LEVEL ?? 'info',
    redact: { paths: redactedLogPaths, censor: '[redacted]' },
  },
  pino.destination(2),
);
