import type { AddressObject, ParsedMail } from 'mailparser';
import { Readable } from 'node:stream';
import { emptyContext, type MessageContext } from '../../domain/context/index.js';
import type { InboundMessage } from '../adapter.js';
import type { Pop3ReceiveConfig } from './config.js';
import { POP3 } from './context.js';
import type { MailboxEntry } from './session.js';

/**
 * mailparser is loaded with the first mail, not with the adapter registry: it weighs some 30 MB,
 * which every engine would otherwise carry whether or not it reads mail.
 */
async function mimeParser(): Promise<typeof import('mailparser').simpleParser> {
  return (await import('mailparser')).simpleParser;
}

const PARSE_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  keepCidLinks: true,
} as const;

/** The header block is read whole; a mail whose headers are larger than this is not one we parse. */
const MAX_HEADER_BYTES = 256 * 1024;

type Part = NonNullable<InboundMessage['parts']>[number];

/** Where the mail came from, for its context. */
export interface MailOrigin {
  readonly entry: MailboxEntry;
  readonly mailbox: string;
}

/**
 * A mail small enough to decode: MIME-parsed in memory. The body is the part `bodyPart` names;
 * every other part (the HTML alternative of a text body, each attachment) becomes a message part.
 */
export async function decodedMessage(
  raw: Buffer,
  config: Pick<Pop3ReceiveConfig, 'bodyPart'>,
  origin: MailOrigin,
): Promise<Omit<InboundMessage, 'sourceKey'>> {
  const mail = await (await mimeParser())(raw, PARSE_OPTIONS);
  const parts: Part[] = [];
  const names = new Set<string>();
  const addPart = (name: string, contentType: string | undefined, body: Uint8Array) => {
    parts.push({ name: uniqueName(name, names), ...(contentType ? { contentType } : {}), body });
  };
  const text = mail.text === undefined ? undefined : Buffer.from(mail.text, 'utf8');
  const html = typeof mail.html === 'string' ? Buffer.from(mail.html, 'utf8') : undefined;
  const attachments = mail.attachments.map((a, i) => ({
    name: a.filename ?? `attachment-${i + 1}`,
    contentType: a.contentType,
    body: a.content,
  }));

  let body: { bytes: Uint8Array; contentType?: string } | undefined;
  const choice = config.bodyPart === 'auto' ? (text ? 'text' : html ? 'html' : 'attachment') : config.bodyPart;
  if (choice === 'text') body = { bytes: text ?? Buffer.alloc(0), contentType: 'text/plain; charset=utf-8' };
  else if (choice === 'html') body = { bytes: html ?? Buffer.alloc(0), contentType: 'text/html; charset=utf-8' };
  else if (choice === 'attachment' && attachments.length > 0) {
    const first = attachments.shift()!;
    body = { bytes: first.body, contentType: first.contentType };
  } else body = { bytes: Buffer.alloc(0) };
  if (choice !== 'text' && text) addPart('text', 'text/plain; charset=utf-8', text);
  if (choice !== 'html' && html) addPart('html', 'text/html; charset=utf-8', html);
  for (const a of attachments) addPart(a.name, a.contentType, a.body);

  let context = headerContext(mail, origin);
  context = POP3.write(context, 'AttachmentCount', mail.attachments.length);
  context = POP3.write(context, 'Decoded', true);
  return {
    body: body.bytes,
    ...(body.contentType ? { contentType: body.contentType } : {}),
    context,
    ...(parts.length > 0 ? { parts } : {}),
  };
}

/**
 * A mail received whole, undecoded (`bodyPart: raw`, or too large to decode in memory): the body
 * is the raw RFC 5322 mail, streamed; only its header block is parsed, for the context.
 */
export async function rawMessage(mail: Readable, origin: MailOrigin): Promise<Omit<InboundMessage, 'sourceKey'>> {
  const { header, body } = await splitHeader(mail);
  const parse = await mimeParser();
  const parsed = await parse(Buffer.concat([header, Buffer.from('\r\n')]), PARSE_OPTIONS).catch(() => undefined);
  let context = parsed ? headerContext(parsed, origin) : originContext(emptyContext(), origin);
  context = POP3.write(context, 'Decoded', false);
  return { body, contentType: 'message/rfc822', context };
}

/** Reads up to the blank line that ends the headers; the returned body stream starts from byte 0. */
async function splitHeader(mail: Readable): Promise<{ header: Buffer; body: Readable }> {
  const seen: Buffer[] = [];
  let size = 0;
  let header: Buffer | undefined;
  const iterator = mail[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (header === undefined) {
    const next = await iterator.next();
    if (next.done) {
      header = Buffer.concat(seen);
      break;
    }
    seen.push(next.value);
    size += next.value.length;
    const all = Buffer.concat(seen);
    const end = all.indexOf('\r\n\r\n');
    if (end >= 0) header = all.subarray(0, end + 2);
    else if (size > MAX_HEADER_BYTES) header = Buffer.alloc(0);
  }
  const head = Buffer.concat(seen);
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { header, body: Readable.from(rest(), { objectMode: false }) };
}

function headerContext(mail: ParsedMail, origin: MailOrigin): MessageContext {
  let context = emptyContext();
  const promote = (property: 'From' | 'To' | 'Cc' | 'Subject' | 'MessageID', value: string | undefined) => {
    if (value !== undefined && (property !== 'MessageID' || value.length > 0)) {
      context = POP3.promote(context, property, value);
    }
  };
  promote('From', addresses(mail.from));
  promote('To', addresses(mail.to));
  promote('Cc', addresses(mail.cc));
  promote('Subject', mail.subject);
  promote('MessageID', mail.messageId);
  const replyTo = addresses(mail.replyTo);
  if (replyTo !== undefined) context = POP3.write(context, 'ReplyTo', replyTo);
  if (mail.date && !Number.isNaN(mail.date.getTime())) context = POP3.write(context, 'Date', mail.date.toISOString());
  return originContext(context, origin);
}

function originContext(context: MessageContext, origin: MailOrigin): MessageContext {
  let next = POP3.write(context, 'Uidl', origin.entry.uidl);
  next = POP3.write(next, 'Mailbox', origin.mailbox);
  return POP3.write(next, 'Size', origin.entry.size);
}

function addresses(field: AddressObject | AddressObject[] | undefined): string | undefined {
  if (field === undefined) return undefined;
  const list = (Array.isArray(field) ? field : [field]).flatMap((f) => flatten(f.value));
  return list.join(', ');
}

function flatten(entries: AddressObject['value']): string[] {
  // A group (`team: a@x, b@x;`) lists its members.
  return entries.flatMap((e) => (e.group ? flatten(e.group) : e.address ? [e.address] : []));
}

function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name.trim() || 'part';
  for (let i = 2; taken.has(candidate); i++) candidate = `${name}-${i}`;
  taken.add(candidate);
  return candidate;
}
