import type { Readable } from 'node:stream';

/** One entry of a remote folder listing. */
export interface RemoteEntry {
  readonly name: string;
  readonly size: number;
  /** Modification time in ms since the epoch, at the precision the server gives (often seconds). */
  readonly mtimeMs: number;
  readonly isFile: boolean;
}

export interface RemoteStat {
  readonly size: number;
  readonly mtimeMs: number;
}

/** A download in progress: its bytes as a stream, and how to let go of it when not read to the end. */
export interface RemoteDownload {
  readonly body: Readable;
  /**
   * Waits for the transfer to end. A body the consumer stopped reading (a `duplicate` answered
   * before the stream was drained) is abandoned: the connection may then be unusable (`broken`).
   */
  finish(): Promise<void>;
}

/**
 * What the shared remote-file receiver and sender need from a protocol (FTP, FTPS, SFTP), after
 * camel-ftp's operations interface. Paths are remote paths with `/`. Errors are already the
 * adapter's typed ones: `TransientAdapterError` for what a reconnect or a retry may cure,
 * `PermanentAdapterError` for refused credentials, a host key that does not match and the like.
 */
export interface RemoteFileOperations {
  list(folder: string): Promise<RemoteEntry[]>;
  /** `undefined` when nothing is at `path`. */
  stat(path: string): Promise<RemoteStat | undefined>;
  download(path: string): RemoteDownload;
  /** Streams `body` to `path` (created or replaced; appended to with `append`); returns the bytes sent. */
  upload(body: Readable, path: string, options: { append: boolean }): Promise<number>;
  /** `overwrite: false` must not replace an existing `to` where the protocol can refuse it. */
  rename(from: string, to: string, options: { overwrite: boolean }): Promise<void>;
  /** Resolves also when nothing was there. */
  remove(path: string): Promise<void>;
  /** Creates `folder` and its missing parents. */
  mkdir(folder: string): Promise<void>;
  /** Set once the connection cannot be used again (dropped, or a transfer was abandoned). */
  readonly broken: boolean;
  close(): Promise<void>;
}

/** Opens connections to one server with one set of settings; `label` names it without secrets. */
export interface RemoteConnector {
  readonly label: string;
  connect(): Promise<RemoteFileOperations>;
}
