import { z } from 'zod';
import { credentialSchema } from '../../domain/config/secret-ref.js';
import { CREDENTIAL_HEADERS } from './context.js';

/** An HTTP header name (RFC 9110 token), kept lowercased so configuration and wire agree. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerName = z.string().regex(HEADER_NAME, 'not an HTTP header name');

/** Header names to copy into context properties; credential-carrying headers are refused here. */
const selectedHeaders = z
  .array(
    headerName.refine((name) => !CREDENTIAL_HEADERS.has(name.toLowerCase()), {
      message: 'may carry credentials, so it is never stored as a context property',
    }),
  )
  .default([])
  .transform((names) => [...new Set(names.map((n) => n.toLowerCase()))]);

/** `host:port` or `[v6]:port`; the host defaults to 127.0.0.1 (`:8080` or `8080`). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseListen(value: string): ListenAddress | undefined {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)?:)?(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return undefined;
  const host = match[1] ? match[1].replace(/^\[|\]$/g, '') : '127.0.0.1';
  return { host, port };
}

const auth = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('basic'),
        username: z.string().min(1).describe('The user name.'),
        password: credentialSchema.describe('The password, as a secret reference.'),
      })
      .strict(),
    z
      .object({
        type: z.literal('bearer'),
        token: credentialSchema.describe('The bearer token, as a secret reference.'),
      })
      .strict(),
  ])
  .optional();

export type HttpAuth = NonNullable<z.output<typeof auth>>;

export const httpReceiveConfigSchema = z
  .object({
    listen: z
      .string()
      .refine((s) => parseListen(s) !== undefined, { message: 'expected host:port (host defaults to 127.0.0.1)' })
      .default('127.0.0.1:8080')
      .describe(
        'The address to listen on. Locations with the same address share one listener and are told apart by path.',
      ),
    path: z
      .string()
      .regex(/^\/[^\s?#]*$/, 'a path starts with "/" and has no blanks, "?" or "#"')
      .describe('The request path of this location (exact match; the query string is ignored for routing).'),
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .default(16 * 1024 * 1024)
      .describe('Largest request body; a larger one is answered 413 and nothing is stored.'),
    promoteHeaders: selectedHeaders.describe(
      'Request headers promoted as HTTP.Header.<name> (lowercased). authorization, proxy-authorization, cookie and set-cookie are refused.',
    ),
    auth: auth.describe('Require basic or bearer credentials; the expected value is a secret reference.'),
    requestResponse: z
      .object({
        timeoutMs: z
          .number()
          .int()
          .min(100)
          .default(30_000)
          .describe('How long the answer waits for the reply before answering 504.'),
      })
      .strict()
      .optional()
      .describe(
        'Answer each request with its correlated reply (a message whose BTS.RequestMessageID is the request), instead of 202.',
      ),
  })
  .strict()
  .transform((c) => ({ ...c, address: parseListen(c.listen)! }));
export type HttpReceiveConfig = z.output<typeof httpReceiveConfigSchema>;

const pem = z.string().refine((s) => s.includes('-----BEGIN '), { message: 'expected PEM text (-----BEGIN …)' });

const tls = z
  .object({
    ca: pem.optional().describe('Certificates (PEM) to trust instead of the system list, such as a self-signed one.'),
    caFile: z.string().min(1).optional().describe('A PEM file of certificates to trust, read when the port starts.'),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe('Refuse a server whose certificate is not trusted (set false only for tests).'),
    cert: credentialSchema.optional().describe('Client certificate (PEM), as a secret reference.'),
    key: credentialSchema.optional().describe('Client private key (PEM), as a secret reference.'),
    passphrase: credentialSchema.optional().describe('Passphrase of the client key, as a secret reference.'),
    servername: z.string().min(1).optional().describe('The name to verify the certificate against (SNI).'),
  })
  .strict()
  .superRefine((t, ctx) => {
    if ((t.cert === undefined) !== (t.key === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [t.cert ? 'key' : 'cert'],
        message: 'a client certificate needs both cert and key',
      });
    }
  });

export const httpSendConfigSchema = z
  .object({
    url: z
      .string()
      .refine((s) => {
        try {
          const url = new URL(s);
          return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
        } catch {
          return false;
        }
      }, 'expected an http:// or https:// URL without user:password@ (credentials are secrets: use auth)')
      .describe('Where to send.'),
    method: z.enum(['POST', 'PUT']).default('POST').describe('The request method.'),
    headers: z
      .record(headerName, z.string().min(1))
      .default({})
      .describe(
        'Headers from context properties: header name → property name (`X-Order-Id: APP.OrderId`); an absent property sends no header.',
      ),
    forwardHeaders: z
      .boolean()
      .default(false)
      .describe(
        'Also send every HTTP.Header.<name> property as header <name> (hop-by-hop and credential headers excepted).',
      ),
    contentType: z
      .string()
      .min(1)
      .optional()
      .describe("The Content-Type sent; default the message's own, else application/octet-stream."),
    idempotencyKey: z
      .boolean()
      .default(true)
      .describe(
        'Send Idempotency-Key: <messageId>:<port>, the same on every retry, so a receiver that honours it takes a retried send once.',
      ),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe('How long one exchange may take, connect to last byte of the answer.'),
    solicitResponse: z
      .boolean()
      .default(false)
      .describe('Receive the response body as a new message correlated to this one (a 2xx answer only).'),
    maxResponseBytes: z
      .number()
      .int()
      .min(0)
      .default(16 * 1024 * 1024)
      .describe('solicit-response: the largest response body taken; a larger one fails the send.'),
    responseHeaders: selectedHeaders.describe('solicit-response: response headers promoted as HTTP.Header.<name>.'),
    auth: auth.describe('Send basic or bearer credentials, revealed from a secret at send time.'),
    tls: tls.optional().describe('TLS settings for https:// URLs.'),
  })
  .strict();
export type HttpSendConfig = z.output<typeof httpSendConfigSchema>;
export type HttpTlsConfig = NonNullable<HttpSendConfig['tls']>;
