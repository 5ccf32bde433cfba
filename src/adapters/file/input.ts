import type { BigIntStats } from 'node:fs';
import { lstat, mkdir, open, readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { emptyContext } from '../../domain/context/index.js';
import type { ReceiveContext, ReceiveHandler } from '../adapter.js';
import { TransientAdapterError } from '../errors.js';
import { Claim } from './claim.js';
import type { FileReceiveConfig } from './config.js';
import { FILE } from './context.js';
import { FILE_ERROR, fileSystemError } from './errors.js';
import { compileMask } from './mask.js';
import { TEMP_SUFFIX } from './write-file.js';
import { stemOf, stemOfWorkName, WORK_SUFFIX } from './work-name.js';

/** What a file looked like at one poll: unchanged at the next poll means its writer is done. */
interface Snapshot {
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ino: bigint;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
};

/**
 * Polls a folder. A file is taken only once its size, modification time and inode are the same
 * at two polls in a row (a writer still appending changes them), by renaming it to a work name;
 * it is submitted, and deleted or archived only after the submit resolved. A failed submit gives
 * the file its name back, so it is received again.
 */
export class FileReceiveHandler implements ReceiveHandler {
  private readonly folder: string;
  private readonly matches: (name: string) => boolean;
  /** Files whose read failed, by name and snapshot, so each is reported once until it changes. */
  private readonly failed = new Map<string, string>();

  constructor(private readonly config: FileReceiveConfig) {
    this.folder = resolve(config.folder);
    this.matches = compileMask(config.mask);
  }

  async run(context: ReceiveContext): Promise<void> {
    const { signal } = context;
    if (this.config.afterReceive === 'move' && this.config.archiveFolder !== undefined) {
      await mkdir(this.config.archiveFolder, { recursive: true }).catch((error: unknown) => {
        throw fileSystemError(error, `cannot create archive folder ${this.config.archiveFolder}`);
      });
    }
    let previous = new Map<string, Snapshot>();
    while (!signal.aborted) {
      const round = await this.poll(context, previous);
      previous = round.seen;
      if (round.more) continue;
      await sleep(this.config.pollIntervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private async poll(
    context: ReceiveContext,
    previous: Map<string, Snapshot>,
  ): Promise<{ seen: Map<string, Snapshot>; more: boolean }> {
    const listing = await this.list();
    const seen = new Map<string, Snapshot>();
    const ready: { name: string; stat: BigIntStats }[] = [];
    for (const [name, stat] of listing.files) {
      const now: Snapshot = { size: stat.size, mtimeNs: stat.mtimeNs, ino: stat.ino };
      seen.set(name, now);
      const before = previous.get(name);
      const stable = before?.size === now.size && before.mtimeNs === now.mtimeNs && before.ino === now.ino;
      if (stable && this.failed.get(name) !== identity(now)) ready.push({ name, stat });
    }
    for (const name of this.failed.keys()) if (!seen.has(name)) this.failed.delete(name);
    ready.sort((a, b) => (a.stat.mtimeNs < b.stat.mtimeNs ? -1 : a.stat.mtimeNs > b.stat.mtimeNs ? 1 : 0));

    const problems: string[] = [];
    let taken = 0;
    for (const { name, stat } of ready) {
      if (context.signal.aborted || taken >= this.config.maxFilesPerPoll) break;
      taken++;
      const outcome = await this.take(context, name, stemOf(name));
      if (outcome === 'nacked') return { seen, more: false };
      if (typeof outcome === 'object') {
        this.failed.set(name, identity({ size: stat.size, mtimeNs: stat.mtimeNs, ino: stat.ino }));
        problems.push(outcome.problem);
      }
    }
    for (const name of listing.abandoned) {
      if (context.signal.aborted) break;
      const stem = stemOfWorkName(name)!;
      const outcome = await this.take(context, name, stem, stem);
      if (outcome === 'nacked') return { seen, more: false };
      if (typeof outcome === 'object') problems.push(outcome.problem);
    }
    if (problems.length > 0) {
      throw new TransientAdapterError(FILE_ERROR.READ_FAILED, `in ${this.folder}: ${problems.join('; ')}`);
    }
    return { seen, more: ready.length > taken };
  }

  /** Regular files the mask matches, and work files whose holder stopped keeping them alive. */
  private async list(): Promise<{ files: Map<string, BigIntStats>; abandoned: string[] }> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch (error) {
      throw fileSystemError(error, `cannot list ${this.folder}`);
    }
    const files = new Map<string, BigIntStats>();
    const abandoned: string[] = [];
    const cutoff = BigInt(Date.now() - this.config.workFileGraceMs) * 1_000_000n;
    for (const name of names) {
      const isWork = name.endsWith(WORK_SUFFIX) && stemOfWorkName(name) !== undefined;
      if (!isWork && (name.endsWith(TEMP_SUFFIX) || !this.matches(name))) continue;
      // lstat, not stat: a symbolic link planted in the folder is never followed out of it.
      const stat = await lstat(join(this.folder, name), { bigint: true }).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (isWork) {
        if (stat.ctimeNs < cutoff) abandoned.push(name);
      } else files.set(name, stat);
    }
    return { files, abandoned };
  }

  /**
   * Takes one file, submits it and completes it. `nacked`: the submit failed and the file has its
   * name back; a problem: the file could not be taken, read or completed.
   */
  private async take(
    context: ReceiveContext,
    from: string,
    stem: string,
    originalName = from,
  ): Promise<'done' | 'taken-by-another' | 'nacked' | { problem: string }> {
    let claim: Claim | undefined;
    try {
      claim = await Claim.take(this.folder, from, stem, originalName);
    } catch (error) {
      return { problem: describe(from, error) };
    }
    if (!claim) return 'taken-by-another';
    claim.keepAlive(Math.max(1_000, Math.floor(this.config.workFileGraceMs / 3)));
    let handle;
    let stat: BigIntStats;
    let body: Uint8Array | Readable;
    try {
      handle = await open(claim.workPath, 'r');
      stat = await handle.stat({ bigint: true });
      body =
        stat.size >= BigInt(this.config.streamThresholdBytes)
          ? handle.createReadStream({ autoClose: false })
          : await handle.readFile();
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await claim.release();
      return { problem: describe(originalName, error) };
    }
    try {
      await context.submit({
        // Size and mtime survive the rename to a work name, so a work file received again after
        // a crash yields the same key, and the engine records it as a duplicate.
        sourceKey: `${stat.size}:${stat.mtimeNs}:${stem}`,
        body,
        contentType: this.config.contentType ?? CONTENT_TYPES[extname(originalName).toLowerCase()],
        context: this.contextFor(originalName, stat),
      });
    } catch {
      // Whatever failed (the store, the pipeline, a read half-way), the file goes back under its
      // name and is taken again once it is seen stable: nothing is lost.
      if (!(body instanceof Uint8Array)) body.destroy();
      await handle.close().catch(() => undefined);
      await claim.release();
      return 'nacked';
    }
    if (!(body instanceof Uint8Array)) body.destroy();
    await handle.close().catch(() => undefined);
    try {
      await claim.complete(this.config.afterReceive === 'move' ? this.config.archiveFolder : undefined);
    } catch (error) {
      // The message is stored; the work file stays and comes back as a duplicate after its grace period.
      return { problem: describe(originalName, error) };
    }
    return 'done';
  }

  private contextFor(name: string, stat: BigIntStats) {
    let context = FILE.promote(emptyContext(), 'ReceivedFileName', name);
    context = FILE.write(context, 'ReceivedFilePath', join(this.folder, name));
    context = FILE.write(context, 'Size', Number(stat.size));
    return FILE.write(context, 'LastWriteTime', new Date(Number(stat.mtimeNs / 1_000_000n)).toISOString());
  }
}

function identity(s: Snapshot): string {
  return `${s.size}:${s.mtimeNs}:${s.ino}`;
}

function describe(name: string, error: unknown): string {
  return `${name}: ${error instanceof Error ? error.message : String(error)}`;
}
