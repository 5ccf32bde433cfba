import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, rename, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { errnoOf, fileSystemError } from './errors.js';
import { workName } from './work-name.js';

/**
 * A file this receiver holds, under its work name. Taking it is an atomic rename, so of several
 * receivers (threads or processes) exactly one succeeds; the others see ENOENT and move on.
 * While held, the work file is renamed again every so often: a rename updates its ctime, which
 * is how other receivers tell a held file from one left behind by a crash.
 */
export class Claim {
  private path: string;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly folder: string,
    /** The name the file had (the stem, for a file recovered from its work name). */
    readonly originalName: string,
    readonly stem: string,
    path: string,
  ) {
    this.path = path;
  }

  /**
   * Renames `from` (a file, or an abandoned work file) to a fresh work name; `undefined` when
   * another receiver got there first.
   */
  static async take(folder: string, from: string, stem: string, originalName = from): Promise<Claim | undefined> {
    const path = join(folder, workName(stem));
    try {
      await rename(join(folder, from), path);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw fileSystemError(error, `cannot take ${join(folder, from)}`);
    }
    return new Claim(folder, originalName, stem, path);
  }

  get workPath(): string {
    return this.path;
  }

  /** Keeps the claim visibly alive every `everyMs` until it is completed or released. */
  keepAlive(everyMs: number): void {
    this.timer = setInterval(() => {
      this.chain = this.chain.then(async () => {
        const next = join(this.folder, workName(this.stem));
        // A failed refresh (the file taken over as abandoned) only means the later delete finds
        // nothing; the message's source key makes the other receiver's submit a duplicate.
        await rename(this.path, next).then(
          () => (this.path = next),
          () => undefined,
        );
      });
    }, everyMs);
    this.timer.unref();
  }

  /** After the message is stored: delete the file, or move it to the archive folder. */
  async complete(archiveFolder: string | undefined): Promise<void> {
    await this.settle();
    try {
      if (archiveFolder === undefined) await unlink(this.path);
      else await this.moveTo(archiveFolder);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return;
      throw fileSystemError(error, `cannot ${archiveFolder ? 'archive' : 'delete'} ${this.path}`);
    }
  }

  /**
   * Gives the file its original name back so it is received again (a nack). Linking refuses to
   * replace a new file that arrived under the same name meanwhile; then the work file stays and
   * is received again once its grace period has passed.
   */
  async release(): Promise<void> {
    await this.settle();
    try {
      await link(this.path, join(this.folder, this.originalName));
      await unlink(this.path);
    } catch {
      // Left as a work file: recovered after the grace period, never lost.
    }
  }

  private async settle(): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
  }

  private async moveTo(archiveFolder: string): Promise<void> {
    await mkdir(archiveFolder, { recursive: true });
    const ext = extname(this.originalName);
    const base = this.originalName.slice(0, this.originalName.length - ext.length);
    // The archive keeps every file: a name already there gets a random suffix instead of being replaced.
    const names = [this.originalName, `${base}.${randomBytes(4).toString('hex')}${ext}`];
    for (const name of names) {
      const target = join(archiveFolder, name);
      try {
        await link(this.path, target);
      } catch (error) {
        const errno = errnoOf(error);
        if (errno === 'EEXIST') continue;
        if (errno !== 'EXDEV' && errno !== 'EPERM' && errno !== 'ENOTSUP') throw error;
        // Another file system, or no hard links: an exclusive copy instead.
        try {
          await copyFile(this.path, target, constants.COPYFILE_EXCL);
        } catch (copyError) {
          if (errnoOf(copyError) === 'EEXIST') continue;
          throw copyError;
        }
      }
      await unlink(this.path);
      return;
    }
    throw Object.assign(new Error(`archive names ${names.join(', ')} are all taken`), { code: 'EEXIST' });
  }
}
