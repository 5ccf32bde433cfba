import { PermanentAdapterError } from '../errors.js';
import { smtpSendConfigSchema, type SmtpSendConfig } from './config.js';
import { SMTP_ERROR } from './errors.js';

/**
 * A dynamic send address: `mailto:ops@example.com,b@example.com?subject=Hi&cc=c@example.com`,
 * sent through the relay named by `server=host:port` (default `127.0.0.1:25`, a local MTA) with
 * STARTTLS when offered and no AUTH (a dynamic address carries no credentials). `from` may be
 * given too; otherwise the message needs `SMTP.From`.
 */
export function parseMailtoAddress(address: string): SmtpSendConfig {
  const match = /^mailto:([^?#]*)(?:\?([^#]*))?$/i.exec(address);
  if (!match) throw invalid(address, 'expected mailto:to@example.com?subject=…');
  const [, to = '', query = ''] = match;
  const params = new URLSearchParams(query);
  const server = params.get('server') ?? '127.0.0.1:25';
  const [host, port] = server.split(':');
  const settings = {
    host,
    port: port === undefined ? 25 : Number(port),
    tls: 'opportunistic',
    ...(to ? { to: decoded(address, to) } : {}),
    ...Object.fromEntries(
      (['subject', 'cc', 'bcc', 'from'] as const).flatMap((k) => (params.has(k) ? [[k, params.get(k)!]] : [])),
    ),
  };
  const parsed = smtpSendConfigSchema.safeParse(settings);
  if (!parsed.success) {
    throw invalid(address, parsed.error.issues.map((i) => `${i.path.join('.') || 'address'}: ${i.message}`).join('; '));
  }
  if (!parsed.data.to && !parsed.data.cc && !parsed.data.bcc) throw invalid(address, 'no recipient');
  return parsed.data;
}

function decoded(address: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(address, 'bad %-escape in the recipients');
  }
}

function invalid(address: string, why: string): PermanentAdapterError {
  return new PermanentAdapterError(SMTP_ERROR.ADDRESS_INVALID, `${JSON.stringify(address)}: ${why}`);
}
