import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { Readable } from 'node:stream';
import type { OutboundMessage, SendHandler, SendOutcome, SendPortRuntimeInfo } from '../adapter.js';
import { PermanentAdapterError } from '../errors.js';
import { smtpPort, type SmtpSendConfig } from './config.js';
import { SMTP_ERROR, smtpError } from './errors.js';
import { mailHeaders } from './headers.js';

type Body = Pick<Mail.Options, 'text' | 'html'> & { readonly attachments: Mail.Attachment[] };

/**
 * Sends each message as one mail through an SMTP relay (nodemailer). The body goes as the mail's
 * text or HTML, or as an attachment (streamed); header fields come from `SMTP.*` context properties
 * or the port's settings. The Message-ID is `<messageId.port@signalbox>` on every attempt, so a
 * receiving system can tell a retried mail from a new one.
 */
export class SmtpSendHandler implements SendHandler {
  private transport: Promise<Transporter> | undefined;

  constructor(
    private readonly config: SmtpSendConfig,
    private readonly port: SendPortRuntimeInfo,
  ) {}

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendOutcome> {
    signal.throwIfAborted();
    const headers = mailHeaders(message.context, this.config, message.messageId);
    const body = await this.body(message);
    const mailId = `<${message.messageId}.${message.port}@signalbox>`;
    const transport = await this.connect();
    try {
      const info = (await transport.sendMail({
        ...headers,
        messageId: mailId,
        ...body,
      })) as SMTPTransport.SentMessageInfo;
      return {
        address: `mailto:${[headers.to, headers.cc, headers.bcc].filter(Boolean).join(',')}`,
        properties: {
          'SMTP.MessageID': mailId,
          accepted: info.accepted.length,
          rejected: info.rejected.length,
          response: info.response,
        },
      };
    } catch (error) {
      const mapped = smtpError(error, `cannot send through ${this.config.host}:${smtpPort(this.config)}`);
      // Credentials may have been rotated: the next send reveals them again.
      if (mapped.code === SMTP_ERROR.AUTH_FAILED) await this.close();
      for (const a of body.attachments) (a.content as Readable | undefined)?.destroy?.();
      throw mapped;
    }
  }

  async close(): Promise<void> {
    const transport = await this.transport?.catch(() => undefined);
    this.transport = undefined;
    transport?.close();
  }

  private async body(message: OutboundMessage): Promise<Body> {
    const ct = message.contentType;
    const as =
      this.config.bodyAs !== 'auto'
        ? this.config.bodyAs
        : ct && /^text\/html\b/i.test(ct)
          ? 'html'
          : ct && (/^text\//i.test(ct) || /[/+](xml|json)\s*(;|$)/i.test(ct))
            ? 'text'
            : 'attachment';
    const attachments: Mail.Attachment[] = [];
    const parts = message.parts ?? [];
    const result: { text?: string; html?: string } = {};
    if (as === 'attachment') {
      attachments.push({
        filename: this.config.attachmentName.replaceAll('%MessageID%', message.messageId),
        content: await message.openBody(),
        contentType: ct ?? 'application/octet-stream',
      });
    } else {
      const bytes = await message.readBody(this.config.maxTextBytes).catch((error: unknown) => {
        throw new PermanentAdapterError(
          SMTP_ERROR.BODY_TOO_LARGE,
          `the body cannot go as mail ${as} (over maxTextBytes ${this.config.maxTextBytes}); use bodyAs: attachment`,
          { cause: error },
        );
      });
      result[as] = bytes.toString('utf8');
    }
    for (const part of parts) {
      attachments.push({
        filename: part.name,
        content: await part.open(),
        ...(part.contentType ? { contentType: part.contentType } : {}),
      });
    }
    return { ...result, attachments };
  }

  /** One transport (pooled connections) for all sends; the password is revealed when it is made. */
  private connect(): Promise<Transporter> {
    this.transport ??= this.createTransport();
    const pending = this.transport;
    pending.catch(() => {
      if (this.transport === pending) this.transport = undefined;
    });
    return pending;
  }

  private async createTransport(): Promise<Transporter> {
    const c = this.config;
    const password = c.password ? await this.port.secrets.reveal(c.password) : undefined;
    const options: SMTPPool.Options = {
      host: c.host,
      port: smtpPort(c),
      secure: c.tls === 'implicit',
      requireTLS: c.tls === 'starttls',
      ignoreTLS: c.tls === 'none',
      opportunisticTLS: c.tls === 'opportunistic',
      connectionTimeout: c.timeoutMs,
      greetingTimeout: c.timeoutMs,
      socketTimeout: c.timeoutMs,
      tls: { rejectUnauthorized: c.rejectUnauthorized, servername: c.host, ...(c.ca ? { ca: c.ca } : {}) },
      ...(c.user && password !== undefined ? { auth: { user: c.user, pass: password } } : {}),
      ...(c.pool > 0 ? { pool: true, maxConnections: c.pool } : {}),
    };
    // nodemailer (some 15 MB) is loaded with the first send, not with the adapter registry.
    const { default: nodemailer } = await import('nodemailer');
    return nodemailer.createTransport(options as SMTPTransport.Options);
  }
}
