import { createRequire } from 'node:module';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper } from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import { youngGarbage } from '../../runtime/young-garbage.js';
import { PermanentAdapterError, TransientAdapterError } from '../errors.js';
import type { SecretResolver } from '../secrets.js';
import { remoteCall, remoteError, REMOTE_ERROR, type RemoteError } from '../remote-file/errors.js';
import type {
  RemoteConnector,
  RemoteDownload,
  RemoteEntry,
  RemoteFileOperations,
  RemoteStat,
} from '../remote-file/operations.js';
import type { SftpConnectionConfig } from './config.js';
import { sha256Fingerprint } from './host-key.js';
import { closeHandle, openHandle, PipelinedWrite } from './pipelined-write.js';

/**
 * Loaded at the first connection: engines without an SFTP location or port never pay for ssh2. It
 * is CommonJS, loaded by `require` for the reason given in `../ftp/connection.ts` (peak memory).
 */
let sftpClient: typeof SftpClient | undefined;
const require = createRequire(import.meta.url);

export class SftpConnector implements RemoteConnector {
  readonly label: string;

  constructor(
    private readonly config: SftpConnectionConfig,
    private readonly secrets: SecretResolver,
  ) {
    this.label = `sftp://${config.host}:${config.port}`;
  }

  async connect(): Promise<RemoteFileOperations> {
    const { config, secrets } = this;
    const [password, privateKey, passphrase] = await Promise.all([
      config.password && secrets.reveal(config.password),
      config.privateKey && secrets.reveal(config.privateKey),
      config.passphrase && secrets.reveal(config.passphrase),
    ]);
    const state = { broken: false };
    const mark = () => (state.broken = true);
    const Client = (sftpClient ??= require('ssh2-sftp-client') as typeof SftpClient);
    const client = new Client('signalbox', { error: mark, end: mark, close: mark });
    let offered: string | undefined;
    let sftp: SFTPWrapper;
    try {
      sftp = await client.connect({
        host: config.host,
        port: config.port,
        username: config.username,
        ...(password ? { password } : {}),
        ...(privateKey ? { privateKey } : {}),
        ...(passphrase ? { passphrase } : {}),
        readyTimeout: config.timeoutMs,
        // Pinned: the one key the operator configured, or no connection (no trust on first use).
        hostVerifier: (key: Buffer) => {
          offered = sha256Fingerprint(key);
          return offered === config.hostKeySha256;
        },
      });
    } catch (error) {
      await client.end().catch(() => undefined);
      const detail = error instanceof Error ? error.message : String(error);
      if (offered !== undefined && offered !== config.hostKeySha256) {
        throw new PermanentAdapterError(
          REMOTE_ERROR.HOST_KEY_MISMATCH,
          `${this.label}: the server's host key is ${offered}, not the pinned ${config.hostKeySha256}`,
          { cause: error },
        );
      }
      if (/authentication/i.test(detail)) {
        throw new PermanentAdapterError(
          REMOTE_ERROR.AUTH_FAILED,
          `${this.label}: login as "${config.username}" refused`,
          { cause: error },
        );
      }
      throw new TransientAdapterError(REMOTE_ERROR.CONNECT_FAILED, `${this.label}: cannot connect: ${detail}`, {
        cause: error,
      });
    }
    // Every SFTP request is a small packet and a round trip. Without ssh2's optional native crypto
    // binding a packet leaves in more than one write, and Nagle's algorithm then holds the last
    // piece for the peer's delayed ACK: about 40 ms a request, 13 times slower on small files.
    // ssh2-sftp-client documents its ssh2 Client as `.client`; its type definitions leave it out.
    (client as unknown as { client: { setNoDelay(noDelay: boolean): void } }).client.setNoDelay(true);
    return new SftpOperations(client, sftp, state, this.label);
  }
}

class SftpOperations implements RemoteFileOperations {
  constructor(
    private readonly client: SftpClient,
    private readonly sftp: SFTPWrapper,
    private readonly state: { broken: boolean },
    private readonly label: string,
  ) {}

  get broken(): boolean {
    return this.state.broken;
  }

  async list(folder: string): Promise<RemoteEntry[]> {
    const entries = await this.call(`list ${folder}`, () => this.client.list(folder));
    return entries.map((e) => ({ name: e.name, size: e.size, mtimeMs: e.modifyTime, isFile: e.type === '-' }));
  }

  async stat(path: string): Promise<RemoteStat | undefined> {
    try {
      const stats = await this.client.stat(path);
      return { size: stats.size, mtimeMs: stats.modifyTime };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.translate(error, `stat ${path}`);
    }
  }

  download(path: string): RemoteDownload {
    let stream: Readable;
    try {
      stream = this.client.createReadStream(path);
    } catch (error) {
      const failed = new Transform();
      failed.destroy(this.translate(error, `download ${path}`));
      return { body: failed, finish: () => Promise.resolve() };
    }
    // Each chunk read leaves ssh2's received packet, its decrypted copy and the chunk behind.
    const body = stream.pipe(
      new Transform({
        transform: (chunk: Buffer, _e, callback) => {
          youngGarbage(3 * chunk.length);
          callback(null, chunk);
        },
      }),
    );
    stream.once('error', (error) => body.destroy(this.translate(error, `download ${path}`)));
    // Destroying the SFTP read stream closes its handle; the connection stays usable.
    body.once('close', () => stream.destroy());
    return { body, finish: () => Promise.resolve() };
  }

  async upload(body: Readable, path: string, options: { append: boolean }): Promise<number> {
    return this.call(`upload ${path}`, async () => {
      // Append mode writes at the end whatever the offset, and in order: one channel, one queue.
      const handle = await openHandle(this.sftp, path, options.append ? 'a' : 'w');
      const writer = new PipelinedWrite(this.sftp, handle);
      try {
        await pipeline(body, writer);
      } catch (error) {
        await closeHandle(this.sftp, handle).catch(() => undefined);
        throw error;
      }
      // Closed before the rename that follows, so the data is written when the name appears.
      await closeHandle(this.sftp, handle);
      return writer.bytes;
    });
  }

  async rename(from: string, to: string, options: { overwrite: boolean }): Promise<void> {
    // SFTP's own rename refuses an existing target; OpenSSH's posix-rename replaces it atomically.
    await this.call(`rename ${from} to ${to}`, () =>
      options.overwrite ? this.client.posixRename(from, to) : this.client.rename(from, to),
    );
  }

  async remove(path: string): Promise<void> {
    await this.call(`delete ${path}`, () => this.client.delete(path, true));
  }

  async mkdir(folder: string): Promise<void> {
    if (await this.stat(folder)) return;
    await this.call(`create folder ${folder}`, () => this.client.mkdir(folder, true));
  }

  async close(): Promise<void> {
    this.state.broken = true;
    await this.client.end().catch(() => undefined);
  }

  private call<T>(what: string, work: () => Promise<T>): Promise<T> {
    return remoteCall(what, work, (error, doing) => this.translate(error, doing));
  }

  private translate(error: unknown, what: string): RemoteError {
    return remoteError(error, this.label, what, (cause, detail) => {
      if (/No SFTP connection|not connected|ECONNRESET|socket/i.test(detail)) this.state.broken = true;
      return new TransientAdapterError(isNotFound(cause) ? REMOTE_ERROR.NOT_FOUND : REMOTE_ERROR.IO, detail, { cause });
    });
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 2;
}
