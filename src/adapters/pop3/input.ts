import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { messageIdFromSource } from '../../store/message-id.js';
import type {
  InboundMessage,
  LocationLog,
  ReceiveContext,
  ReceiveHandler,
  ReceiveLocationRuntime,
} from '../adapter.js';
import { TransientAdapterError } from '../errors.js';
import { type Pop3ReceiveConfig, pop3Port } from './config.js';
import { POP3_ERROR } from './errors.js';
import { decodedMessage, rawMessage, type MailOrigin } from './mail-message.js';
import { Pop3Session, type MailboxEntry } from './session.js';

/** A mail this session took (its DELE is sent), to be completed once QUIT made the deletion real. */
interface Taken {
  readonly uidl: string;
  readonly messageId: string;
}

/**
 * Receives the mails of one mailbox, session by session: list (UIDL, LIST), then per mail claim
 * (single-active only: `MailClaimed` on the fenced location stream), RETR, submit, DELE; then QUIT,
 * which is when the server really deletes; then `MailCompleted` for each.
 *
 * Every mail is submitted with a source key made of the mailbox and its UIDL, so a mail received
 * again (the session died between DELE and QUIT, two receivers without a lease took it at once)
 * is recorded as a duplicate, deleted, and nothing more. A new lease holder finds the claims its
 * predecessor left open: a claimed mail still in the mailbox is received again (a duplicate if it
 * was stored), one no longer there was deleted and only needs its completion.
 */
export class Pop3ReceiveHandler implements ReceiveHandler {
  private readonly port: number;
  private readonly mailbox: string;

  constructor(
    private readonly config: Pop3ReceiveConfig,
    private readonly location: ReceiveLocationRuntime,
  ) {
    this.port = pop3Port(config);
    this.mailbox = `${config.user}@${config.host}:${this.port}`;
  }

  async run(context: ReceiveContext): Promise<void> {
    // Read once per start (a new lease term): within a term only this holder writes the stream.
    const claims = context.log ? await openClaims(context.log) : new Map<string, string>();
    while (!context.signal.aborted) {
      const outcome = await this.session(context, claims);
      if (outcome === 'more') continue;
      await sleep(this.config.pollIntervalMs, undefined, { signal: context.signal }).catch(() => undefined);
    }
  }

  /**
   * One POP3 session. `claims`: this location's open claims, UIDL to message id, kept up to date.
   * `more`: the mailbox held more than one session takes.
   */
  private async session(context: ReceiveContext, claims: Map<string, string>): Promise<'more' | 'idle'> {
    const { signal, log } = context;
    const session = await Pop3Session.open({
      host: this.config.host,
      port: this.port,
      tls: this.config.tls === 'implicit',
      rejectUnauthorized: this.config.rejectUnauthorized,
      ...(this.config.ca ? { ca: this.config.ca } : {}),
      user: this.config.user,
      password: await this.location.secrets.reveal(this.config.password),
      timeoutMs: this.config.timeoutMs,
    });
    const taken: Taken[] = [];
    let more = false;
    try {
      const listing = await session.list();
      const open = log ? await this.finishGone(log, listing, claims) : new Set<string>();
      // Claims a predecessor left open go first: they are the mails most likely received already.
      // Without a lease, each session takes the mails in its own random order: sessions of other
      // instances then mostly reach a mail after one of them recorded it, and skip downloading it.
      const fresh = listing.filter((e) => !open.has(e.uidl));
      const ordered = [...listing.filter((e) => open.has(e.uidl)), ...(log ? fresh : shuffled(fresh))];
      const batch = ordered.slice(0, this.config.maxMailsPerSession);
      more = ordered.length > batch.length;
      for (const entry of batch) {
        if (signal.aborted) break;
        const messageId = messageIdFromSource(this.location.name, this.sourceKey(entry.uidl));
        if (log && !open.has(entry.uidl)) {
          await log.record('MailClaimed', { location: this.location.name, uidl: entry.uidl, messageId });
          claims.set(entry.uidl, messageId);
        }
        const submitted = await this.receive(session, context, entry);
        if (submitted === 'gone') continue;
        if (submitted === 'failed') {
          more = false;
          break;
        }
        await session.delete(entry.number);
        taken.push({ uidl: entry.uidl, messageId });
      }
      await session.quit();
    } catch (error) {
      session.close();
      throw error;
    }
    if (log) {
      for (const mail of taken) {
        await log.record('MailCompleted', { location: this.location.name, uidl: mail.uidl, messageId: mail.messageId });
        claims.delete(mail.uidl);
      }
    }
    return more && !signal.aborted ? 'more' : 'idle';
  }

  /**
   * The UIDLs of open claims that are still in the mailbox. An open claim whose mail is gone was
   * deleted by its session's QUIT (only this location's lease holder deletes), so it is completed
   * here.
   */
  private async finishGone(
    log: LocationLog,
    listing: readonly MailboxEntry[],
    claims: Map<string, string>,
  ): Promise<Set<string>> {
    const present = new Set(listing.map((e) => e.uidl));
    const open = new Set<string>();
    for (const [uidl, messageId] of [...claims]) {
      if (present.has(uidl)) open.add(uidl);
      else {
        await log.record('MailCompleted', { location: this.location.name, uidl, messageId });
        claims.delete(uidl);
      }
    }
    return open;
  }

  /**
   * RETR and submit. `known`: recorded already (by another session without a lease, or by one
   * that died between DELE and QUIT), so it is not downloaded again, only deleted. `gone`: another
   * session deleted the mail first (without a lease); `failed`: the submit failed, so the mail
   * stays in the mailbox and is received again later.
   */
  private async receive(
    session: Pop3Session,
    context: ReceiveContext,
    entry: MailboxEntry,
  ): Promise<'submitted' | 'known' | 'gone' | 'failed'> {
    if (await context.isReceived?.(this.sourceKey(entry.uidl))) return 'known';
    let mail: Readable;
    try {
      mail = await session.retrieve(entry.number);
    } catch (error) {
      if (isRefusal(error)) return 'gone';
      throw error;
    }
    const origin: MailOrigin = { entry, mailbox: this.mailbox };
    let message: Omit<InboundMessage, 'sourceKey'>;
    if (this.config.bodyPart === 'raw' || entry.size > this.config.maxDecodeBytes) {
      message = await rawMessage(mail, origin);
    } else {
      const raw = await readAll(mail);
      // A mail the MIME parser cannot read is still received, whole and undecoded: never dropped.
      message = await decodedMessage(raw, this.config, origin).catch(() => rawMessage(Readable.from([raw]), origin));
    }
    try {
      await context.submit({ ...message, sourceKey: this.sourceKey(entry.uidl) });
    } catch {
      // The store or the pipeline failed: without DELE the mail stays, and comes again next session.
      if (!(message.body instanceof Uint8Array)) message.body.destroy();
      return 'failed';
    }
    return 'submitted';
  }

  private sourceKey(uidl: string): string {
    return `pop3:${this.mailbox}:${uidl}`;
  }
}

/** The mail claims a predecessor (or an earlier run) left without completion: UIDL to message id. */
async function openClaims(log: LocationLog): Promise<Map<string, string>> {
  const claims = new Map<string, string>();
  for (const claim of await log.unfinished()) {
    if (claim.type === 'MailClaimed') claims.set(claim.data.uidl, claim.data.messageId);
  }
  return claims;
}

/** A `-ERR` answer (the mail was expunged by another session), not a broken connection. */
function isRefusal(error: unknown): boolean {
  return error instanceof TransientAdapterError && error.code === POP3_ERROR.REFUSED;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A copy in random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
