import { posix } from 'node:path';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignalboxError } from '../../domain/errors.js';
import type { MessageContext } from '../../domain/events/index.js';
import { messageIdFromSource } from '../../store/message-id.js';
import type { ReceiveContext, ReceiveHandler } from '../adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../errors.js';
import { compileMask } from '../file/mask.js';
import type { RemoteReceiveOptions } from './config.js';
import { asAdapterError, REMOTE_ERROR } from './errors.js';
import {
  LocationLogJournal,
  MemoryJournal,
  nameOf,
  sourceKeyOf,
  type ClaimJournal,
  type Completion,
  type FileClaim,
} from './journal.js';
import type { RemoteConnector, RemoteEntry, RemoteFileOperations } from './operations.js';
import { isOwnName, remotePath, workPath } from './paths.js';
import { RemoteSession } from './session.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
};

/** Builds the adapter's own context properties (FTP.…, SFTP.…) of a received file. */
export type ContextOf = (claim: FileClaim, name: string) => Partial<MessageContext>;

type Outcome = 'done' | 'gone' | 'nacked';

/**
 * Polls a remote folder and receives each ready file exactly once. The order for each file:
 * `FileClaimed` on the fenced location stream → rename to a work name derived from the claim →
 * stream the body into `submit` (the message id derives from path, size and mtime, so a second
 * submit is a `duplicate`) → delete, or move to the archive → `FileCompleted`. A new lease
 * holder first finishes the claims an earlier one left open. The rename also keeps the file
 * from a second receiver that runs without the lease (nothing in an engine does).
 */
export class RemoteFileReceiver implements ReceiveHandler {
  private readonly matches: (name: string) => boolean;
  /** Claims of runs without a location log; the handler outlives its runs, so they are finished next run. */
  private readonly memory = new MemoryJournal();

  constructor(
    private readonly options: RemoteReceiveOptions,
    private readonly connector: RemoteConnector,
    private readonly location: string,
    private readonly contextOf: ContextOf,
  ) {
    this.matches = compileMask(options.mask);
  }

  async run(context: ReceiveContext): Promise<void> {
    const journal: ClaimJournal = context.log ? new LocationLogJournal(context.log, this.location) : this.memory;
    const session = new RemoteSession(this.connector);
    try {
      for (const claim of await journal.unfinished()) {
        if (context.signal.aborted) return;
        await this.finishClaim(session, journal, context, claim);
      }
      let previous = new Map<string, string>();
      while (!context.signal.aborted) {
        const round = await this.poll(session, journal, context, previous);
        previous = round.seen;
        if (round.more) continue;
        await sleep(this.options.pollIntervalMs, undefined, { signal: context.signal }).catch(() => undefined);
      }
    } catch (error) {
      // The engine's own errors (a deposed holder's refused claim) pass as they are.
      if (error instanceof SignalboxError) throw error;
      throw asAdapterError(error, `receiving from ${this.connector.label}`);
    } finally {
      await session.close();
    }
  }

  private async poll(
    session: RemoteSession,
    journal: ClaimJournal,
    context: ReceiveContext,
    previous: Map<string, string>,
  ): Promise<{ seen: Map<string, string>; more: boolean }> {
    const entries = await (await session.ops()).list(this.options.folder);
    const seen = new Map<string, string>();
    const ready: RemoteEntry[] = [];
    const suffix = this.options.readySuffix;
    for (const entry of entries) {
      if (!entry.isFile || isOwnName(entry.name) || !this.matches(entry.name) || !isPlainName(entry.name)) continue;
      const snapshot = `${entry.size}:${entry.mtimeMs}`;
      seen.set(entry.name, snapshot);
      if (suffix !== undefined ? entry.name.endsWith(suffix) : previous.get(entry.name) === snapshot) ready.push(entry);
    }
    ready.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1));
    let taken = 0;
    for (const entry of ready) {
      if (context.signal.aborted || taken >= this.options.maxFilesPerPoll) break;
      taken++;
      const outcome = await this.take(session, journal, context, entry);
      // The file has its name back; it is taken again at a later round.
      if (outcome === 'nacked') return { seen, more: false };
    }
    return { seen, more: ready.length > taken };
  }

  private async take(
    session: RemoteSession,
    journal: ClaimJournal,
    context: ReceiveContext,
    entry: RemoteEntry,
  ): Promise<Outcome> {
    const path = remotePath(this.options.folder, entry.name);
    const mtime = new Date(entry.mtimeMs).toISOString();
    const sourceKey = sourceKeyOf({ path, size: entry.size, mtime });
    const claim: FileClaim = {
      path,
      size: entry.size,
      mtime,
      messageId: messageIdFromSource(this.location, sourceKey),
    };
    await journal.claimed(claim);
    const ops = await session.ops();
    if (!(await renameUnlessGone(ops, path, workPath(path, claim.messageId)))) {
      await journal.completed(claim, { action: 'left' });
      return 'gone';
    }
    return this.receiveWork(session, journal, context, claim);
  }

  /**
   * A claim an earlier run (or holder) left open: the work file is still there (receive it; the
   * store answers `duplicate` if it was received), the file was never renamed (take it now, if it
   * is still the same file), or it is gone (it was received and removed: just complete).
   */
  private async finishClaim(
    session: RemoteSession,
    journal: ClaimJournal,
    context: ReceiveContext,
    claim: FileClaim,
  ): Promise<void> {
    const ops = await session.ops();
    const work = workPath(claim.path, claim.messageId);
    if (await ops.stat(work)) {
      await this.receiveWork(session, journal, context, claim);
      return;
    }
    const now = await ops.stat(claim.path);
    const same = now && now.size === claim.size && new Date(now.mtimeMs).toISOString() === claim.mtime;
    if (same && (await renameUnlessGone(ops, claim.path, work))) {
      await this.receiveWork(session, journal, context, claim);
      return;
    }
    await journal.completed(claim, { action: 'left' });
  }

  private async receiveWork(
    session: RemoteSession,
    journal: ClaimJournal,
    context: ReceiveContext,
    claim: FileClaim,
  ): Promise<Outcome> {
    const ops = await session.ops();
    const work = workPath(claim.path, claim.messageId);
    const name = nameOf(claim);
    if (await context.isReceived?.(sourceKeyOf(claim))) {
      // Stored before its receiver died (between the submit and the delete): no transfer to start
      // and abort, only the delete or move that was left to do.
      await journal.completed(claim, await this.afterReceive(ops, work, name));
      return 'done';
    }
    const download = ops.download(work);
    const body = download.body.pipe(expectSize(claim.size, claim.path));
    download.body.once('error', (error) => body.destroy(error));
    try {
      // Received, duplicate or suspended: the message is safely stored either way.
      await context.submit({
        sourceKey: sourceKeyOf(claim),
        body,
        ...contentTypeOf(this.options.contentType, name),
        context: this.contextOf(claim, name),
      });
    } catch (error) {
      body.destroy();
      download.body.destroy();
      await download.finish().catch(() => undefined);
      if (error instanceof PermanentAdapterError) throw error;
      // The message is not stored: the file gets its name back and is received again later. If
      // that fails too (the connection is gone), the claim stays open and the next run finishes it.
      try {
        await (await session.ops()).rename(work, claim.path, { overwrite: false });
      } catch (releaseError) {
        throw asAdapterError(releaseError, `cannot give ${claim.path} its name back after a failed submit`);
      }
      await journal.completed(claim, { action: 'left' });
      return 'nacked';
    }
    // A `duplicate` may be answered before the body was read: the transfer is let go of here.
    body.destroy();
    download.body.destroy();
    await download.finish().catch(() => undefined);
    await journal.completed(claim, await this.afterReceive(await session.ops(), work, name));
    return 'done';
  }

  private async afterReceive(ops: RemoteFileOperations, work: string, name: string): Promise<Completion> {
    const archive = this.options.afterReceive === 'move' ? this.options.archiveFolder : undefined;
    if (archive === undefined) {
      await ops.remove(work);
      return { action: 'deleted' };
    }
    await ops.mkdir(archive);
    const ext = posix.extname(name);
    const stem = name.slice(0, name.length - ext.length);
    // The archive keeps every file: a name already there gets a suffix from the work name.
    const candidates = [name, `${stem}.${posix.basename(work).slice(4, 16)}${ext}`];
    for (const candidate of candidates) {
      const target = remotePath(archive, candidate);
      if (await ops.stat(target)) continue;
      await ops.rename(work, target, { overwrite: false });
      return { action: 'moved', archivePath: target };
    }
    throw new TransientAdapterError(
      REMOTE_ERROR.EXISTS,
      `archive names ${candidates.join(', ')} are all taken in ${archive}`,
    );
  }
}

/** Renames `from` to `to`; `false` when `from` is no longer there (taken by someone else). */
async function renameUnlessGone(ops: RemoteFileOperations, from: string, to: string): Promise<boolean> {
  try {
    await ops.rename(from, to, { overwrite: false });
    return true;
  } catch (error) {
    if (!ops.broken && (await ops.stat(from)) === undefined) return false;
    throw error;
  }
}

/** A listed name this receiver can address safely; anything else is left where it is. */
function isPlainName(name: string): boolean {
  return name !== '.' && name !== '..' && !/[/\0\r\n]/.test(name);
}

function contentTypeOf(configured: string | undefined, name: string): { contentType?: string } {
  const type = configured ?? CONTENT_TYPES[posix.extname(name).toLowerCase()];
  return type === undefined ? {} : { contentType: type };
}

/** Passes the bytes on and fails the stream if they are not the claimed size (a truncated transfer). */
function expectSize(size: number, path: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      callback(
        seen === size
          ? null
          : new TransientAdapterError(
              REMOTE_ERROR.SIZE_CHANGED,
              `${path}: read ${seen} bytes, the listing said ${size}`,
            ),
      );
    },
  });
}
