import type { Client, FileInfo } from 'basic-ftp';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
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
import type { FtpConnectionConfig } from './config.js';

/**
 * Loaded at the first connection: engines without an FTP location or port never pay for it. It is
 * CommonJS: `require` loads it directly, where `import()` also passes each of its modules through
 * the ESM loader's CommonJS translation; with ssh2 that raised an engine's peak RSS by about 5 MB.
 */
let basicFtp: typeof import('basic-ftp') | undefined;
const require = createRequire(import.meta.url);

/** The reply code of an FTP error answer (basic-ftp's FTPError); socket errors have string codes. */
function ftpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** How long an abandoned transfer may take to wind down before its connection is closed. */
const ABANDON_WAIT_MS = 5_000;

export class FtpConnector implements RemoteConnector {
  readonly label: string;

  constructor(
    private readonly config: FtpConnectionConfig,
    private readonly secrets: SecretResolver,
  ) {
    const scheme = config.secure === 'none' ? 'ftp' : 'ftps';
    this.label = `${scheme}://${config.host}:${this.port}`;
  }

  private get port(): number {
    return this.config.port ?? (this.config.secure === 'implicit' ? 990 : 21);
  }

  async connect(): Promise<RemoteFileOperations> {
    const { config } = this;
    const password = config.password ? await this.secrets.reveal(config.password) : 'anonymous@';
    const { Client } = (basicFtp ??= require('basic-ftp') as typeof import('basic-ftp'));
    const client = new Client(config.timeoutMs);
    try {
      await client.access({
        host: config.host,
        port: this.port,
        user: config.username,
        password,
        secure: config.secure === 'none' ? false : config.secure === 'implicit' ? 'implicit' : true,
        secureOptions: {
          rejectUnauthorized: config.tls.rejectUnauthorized,
          ...(config.tls.ca === undefined ? {} : { ca: config.tls.ca }),
          // SNI takes host names only; an address is checked against the certificate's IP entries.
          ...(config.tls.servername !== undefined || isIP(config.host) === 0
            ? { servername: config.tls.servername ?? config.host }
            : {}),
        },
      });
      const home = await client.pwd();
      return new FtpOperations(client, home, this.label);
    } catch (error) {
      client.close();
      if (ftpCode(error) === 530) {
        throw new PermanentAdapterError(
          REMOTE_ERROR.AUTH_FAILED,
          `${this.label}: login as "${config.username}" refused (${(error as Error).message})`,
          { cause: error },
        );
      }
      const certificate = error instanceof Error && /certificate|self.signed|altnames/i.test(error.message);
      throw new (certificate ? PermanentAdapterError : TransientAdapterError)(
        REMOTE_ERROR.CONNECT_FAILED,
        `${this.label}: cannot connect: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}

/** The remote-file operations over one basic-ftp client (one command at a time, as FTP has it). */
class FtpOperations implements RemoteFileOperations {
  private abandoned = false;

  constructor(
    private readonly client: Client,
    private readonly home: string,
    private readonly label: string,
  ) {}

  get broken(): boolean {
    return this.abandoned || this.client.closed;
  }

  async list(folder: string): Promise<RemoteEntry[]> {
    const infos = await this.call(`list ${folder}`, () => this.client.list(folder));
    return infos.map((info: FileInfo) => ({
      name: info.name,
      size: info.size,
      // Without MLSD the time is unknown; the size alone then has to stay the same across polls.
      mtimeMs: info.modifiedAt?.getTime() ?? 0,
      isFile: info.isFile,
    }));
  }

  async stat(path: string): Promise<RemoteStat | undefined> {
    try {
      const size = await this.client.size(path);
      const mtime = await this.client.lastMod(path);
      return { size, mtimeMs: mtime.getTime() };
    } catch (error) {
      if ((ftpCode(error) ?? 0) >= 500) return undefined;
      throw this.translate(error, `stat ${path}`);
    }
  }

  download(path: string): RemoteDownload {
    const body = new PassThrough();
    // basic-ftp ends its destination even when RETR fails before any byte: so it writes to this
    // sink, and `body` ends only once the transfer was confirmed complete.
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (body.destroyed) return callback(new Error('download abandoned by its reader'));
        // The data socket allocates each chunk; over TLS the decrypted copy is the one read here.
        youngGarbage(chunk.length);
        if (body.write(chunk)) return callback();
        const resume = () => {
          body.off('drain', resume);
          body.off('close', resume);
          callback(body.destroyed ? new Error('download abandoned by its reader') : undefined);
        };
        body.on('drain', resume);
        body.on('close', resume);
      },
    });
    let completed = false;
    const transfer = this.client.downloadTo(sink, path).then(
      () => {
        completed = true;
        body.end();
      },
      (error: unknown) => {
        this.abandoned = true;
        body.destroy(this.translate(error, `download ${path}`));
      },
    );
    return {
      body,
      finish: async () => {
        if (completed) return;
        // Not read to the end: the connection is left mid-transfer, so it is not used again.
        this.abandoned = true;
        body.destroy();
        const timer = setTimeout(() => this.client.close(), ABANDON_WAIT_MS);
        await transfer;
        clearTimeout(timer);
      },
    };
  }

  async upload(body: Readable, path: string, options: { append: boolean }): Promise<number> {
    let bytes = 0;
    const counted = body.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          youngGarbage(chunk.length);
          callback(null, chunk);
        },
      }),
    );
    body.once('error', (error) => counted.destroy(error));
    await this.call(`upload ${path}`, () =>
      options.append ? this.client.appendFrom(counted, path) : this.client.uploadFrom(counted, path),
    );
    return bytes;
  }

  async rename(from: string, to: string): Promise<void> {
    await this.call(`rename ${from} to ${to}`, () => this.client.rename(from, to));
  }

  async remove(path: string): Promise<void> {
    try {
      await this.client.remove(path);
    } catch (error) {
      if ((ftpCode(error) ?? 0) >= 500 && (await this.stat(path)) === undefined) return;
      throw this.translate(error, `delete ${path}`);
    }
  }

  async mkdir(folder: string): Promise<void> {
    // ensureDir changes the working folder; going back keeps relative paths meaning what they did.
    await this.call(`create folder ${folder}`, async () => {
      await this.client.ensureDir(folder);
      await this.client.cd(this.home);
    });
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }

  private call<T>(what: string, work: () => Promise<T>): Promise<T> {
    return remoteCall(what, work, (error, doing) => this.translate(error, doing));
  }

  private translate(error: unknown, what: string): RemoteError {
    return remoteError(error, this.label, what, (cause, detail) =>
      ftpCode(cause) === 530
        ? new PermanentAdapterError(REMOTE_ERROR.AUTH_FAILED, detail, { cause })
        : new TransientAdapterError(REMOTE_ERROR.IO, detail, { cause }),
    );
  }
}
