import { readProperty, type MessageContext } from '../../domain/context/index.js';
import { PermanentAdapterError } from '../errors.js';
import type { SmtpSendConfig } from './config.js';
import { HEADER_PREFIX, SMTP } from './context.js';
import { SMTP_ERROR } from './errors.js';

/** RFC 5322 field names: printable ASCII without `:`. */
const HEADER_NAME = /^[!-9;-~]+$/;
/** Set from the properties above or by the mail itself; never overridden through `SMTP.Header.*`. */
const OWN_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
]);

export interface MailHeaders {
  readonly from: string;
  readonly to?: string;
  readonly cc?: string;
  readonly bcc?: string;
  readonly replyTo?: string;
  readonly subject: string;
  readonly headers: Record<string, string>;
}

/**
 * The mail's header fields: each from its `SMTP.*` context property (promoted or written) when
 * the message has one, else from the port's settings. A value with a line break cannot be a
 * header (it would start another one) and fails the send, named, instead of being altered.
 */
export function mailHeaders(context: MessageContext, config: SmtpSendConfig, messageId: string): MailHeaders {
  const pick = (property: 'From' | 'To' | 'Cc' | 'Bcc' | 'ReplyTo' | 'Subject', fallback: string | undefined) => {
    const value = readProperty(context, SMTP.names[property]);
    const text = value === undefined || value === null ? fallback : String(value);
    if (text !== undefined && /[\r\n]/.test(text)) {
      throw new PermanentAdapterError(SMTP_ERROR.HEADER_INVALID, `${SMTP.names[property]} contains a line break`);
    }
    return text === undefined || text.trim() === '' ? undefined : text;
  };
  const from = pick('From', config.from);
  if (!from) {
    throw new PermanentAdapterError(
      SMTP_ERROR.NO_SENDER,
      'no sender: set SMTP.From on the message or `from` on the port',
    );
  }
  const to = pick('To', config.to);
  const cc = pick('Cc', config.cc);
  const bcc = pick('Bcc', config.bcc);
  if (!to && !cc && !bcc) {
    throw new PermanentAdapterError(
      SMTP_ERROR.NO_RECIPIENT,
      'no recipient: set SMTP.To (or Cc, Bcc) on the message or `to` on the port',
    );
  }
  const replyTo = pick('ReplyTo', undefined);
  const subject = pick('Subject', config.subject?.replaceAll('%MessageID%', messageId)) ?? '';
  return {
    from,
    subject,
    headers: extraHeaders(context),
    ...(to ? { to } : {}),
    ...(cc ? { cc } : {}),
    ...(bcc ? { bcc } : {}),
    ...(replyTo ? { replyTo } : {}),
  };
}

function extraHeaders(context: MessageContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const set of [context.written, context.promoted]) {
    for (const [property, value] of Object.entries(set)) {
      if (!property.startsWith(HEADER_PREFIX) || value === null) continue;
      const name = property.slice(HEADER_PREFIX.length);
      const text = String(value);
      if (!HEADER_NAME.test(name) || /[\r\n]/.test(text)) {
        throw new PermanentAdapterError(
          SMTP_ERROR.HEADER_INVALID,
          `context property ${JSON.stringify(property)} cannot be a mail header (name or value not allowed)`,
        );
      }
      if (OWN_HEADERS.has(name.toLowerCase())) continue;
      headers[name] = text;
    }
  }
  return headers;
}
