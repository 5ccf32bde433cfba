import type Pop3Command from 'node-pop3';
import type { Readable } from 'node:stream';
import { TransientAdapterError } from '../errors.js';
import { DotStream } from './dot-stream.js';
import { POP3_ERROR, pop3Error } from './errors.js';

export interface MailboxEntry {
  /** The message number in this session (1-based; numbers change between sessions, UIDLs do not). */
  readonly number: number;
  readonly uidl: string;
  /** Octets, as the server lists them. */
  readonly size: number;
}

export interface SessionOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly rejectUnauthorized: boolean;
  readonly ca?: string;
  readonly user: string;
  readonly password: string;
  readonly timeoutMs: number;
}

/**
 * One authenticated POP3 session over node-pop3's connection. node-pop3 leaves a command waiting
 * forever when the socket closes under it and can throw an unhandled `error` event between
 * commands; every command here is raced against the session's failure and a timeout instead, and
 * any failure ends the whole session (the server then keeps every mail it was asked to DELE,
 * which is POP3's own rollback).
 */
export class Pop3Session {
  private failure: Error | undefined;
  private rejectFailed: (error: Error) => void = () => undefined;
  private readonly failed: Promise<never>;
  private current: DotStream | undefined;
  private quitting = false;

  private constructor(
    private readonly client: Pop3Command,
    private readonly options: SessionOptions,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined);
    // A `-ERR` answer rejects its own command (and leaves the session usable); any other error (a
    // reset socket, between commands or in a RETR) ends the session instead of crashing the process.
    client.on('error', (error: Error) => {
      if (!isServerRefusal(error)) this.fail(pop3Error(error, 'the POP3 connection failed'));
    });
  }

  static async open(options: SessionOptions): Promise<Pop3Session> {
    // Loaded with the first session, not with the adapter registry (see mail-message.ts).
    const { default: Pop3 } = await import('node-pop3');
    const client = new Pop3({
      host: options.host,
      port: options.port,
      tls: options.tls,
      user: options.user,
      password: options.password,
      servername: options.host,
      tlsOptions: { rejectUnauthorized: options.rejectUnauthorized, ...(options.ca ? { ca: options.ca } : {}) },
    });
    const session = new Pop3Session(client, options);
    const where = `${options.host}:${options.port}`;
    try {
      await session.run(() => client.connect(), `cannot connect to POP3 server ${where}`);
      const socket = client._socket;
      socket?.once('close', () => {
        if (!session.quitting) {
          session.fail(new TransientAdapterError(POP3_ERROR.CONNECTION_LOST, `${where} closed the connection`));
        }
      });
      socket?.setTimeout(options.timeoutMs, () =>
        session.fail(
          new TransientAdapterError(POP3_ERROR.TIMEOUT, `${where} sent nothing for ${options.timeoutMs} ms`),
        ),
      );
      await session.run(() => client.command('USER', options.user), `login to ${where} refused`);
      await session.run(() => client.command('PASS', options.password), `login to ${where} refused`);
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  /** Every mail in the mailbox with its UIDL and size. */
  async list(): Promise<MailboxEntry[]> {
    const uidls = parseListing(await this.multiLine('UIDL'));
    const sizes = new Map(parseListing(await this.multiLine('LIST')).map(([n, size]) => [n, Number(size)]));
    return uidls
      .filter(([n, uidl]) => Number.isInteger(Number(n)) && uidl)
      .map(([n, uidl]) => ({ number: Number(n), uidl, size: sizes.get(n) ?? 0 }));
  }

  /**
   * The whole mail as the server stored it, streamed. It must be read to its end (or destroyed)
   * before the next command: the answer shares the session's one connection.
   */
  async retrieve(number: number): Promise<Readable> {
    const [, source] = await this.run(() => this.client.command('RETR', number), `RETR ${number} failed`);
    const mail = new DotStream(source, this.client._socket, () => {
      if (this.client._stream === source) this.client._endStream();
    });
    this.current = mail;
    return mail;
  }

  async delete(number: number): Promise<void> {
    await this.run(() => this.client.command('DELE', number), `DELE ${number} failed`);
  }

  /** Ends the session: only now does the server remove the mails marked with DELE. */
  async quit(): Promise<void> {
    this.quitting = true;
    try {
      await this.run(() => this.client.command('QUIT'), 'QUIT failed (the deletions of this session did not happen)');
    } finally {
      this.close();
    }
  }

  /** Drops the connection without QUIT: the server keeps every mail. */
  close(): void {
    this.quitting = true;
    this.client._socket?.destroy();
    this.current?.destroy();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.current?.destroy(error);
    this.rejectFailed(error);
    this.client._socket?.destroy();
  }

  private async multiLine(command: string): Promise<string> {
    const [, stream] = await this.run(() => this.client.command(command), `${command} failed`);
    const chunks: Buffer[] = [];
    const read = (async () => {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    })();
    await this.run(() => read, `${command} failed`);
    return Buffer.concat(chunks).toString('latin1');
  }

  private async run<T>(operation: () => Promise<T>, what: string): Promise<T> {
    if (this.failure) throw this.failure;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TransientAdapterError(POP3_ERROR.TIMEOUT, `${what}: no answer within ${this.options.timeoutMs} ms`),
          ),
        this.options.timeoutMs,
      );
    });
    try {
      return await Promise.race([operation(), this.failed, timeout]);
    } catch (error) {
      const mapped = pop3Error(error, what);
      // A `-ERR` answer leaves the session usable; anything else (timeout, lost socket) ends it.
      if (!isServerRefusal(error)) {
        this.fail(mapped);
        throw mapped;
      }
      if (mapped.code !== POP3_ERROR.CONNECTION_LOST) throw mapped;
      throw new TransientAdapterError(POP3_ERROR.REFUSED, mapped.message, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

function isServerRefusal(error: unknown): boolean {
  return (error as { eventName?: unknown } | null)?.eventName === 'error' && !('code' in (error as object));
}

function parseListing(text: string): [string, string][] {
  return text
    .split('\r\n')
    .filter((line) => line.length > 0 && line !== '.')
    .map((line) => {
      const [n = '', value = ''] = line.trim().split(/\s+/);
      return [n, value];
    });
}
