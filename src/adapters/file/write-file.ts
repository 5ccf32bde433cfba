import { randomBytes } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { constants, createReadStream } from 'node:fs';
import { copyFile, link, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { errnoOf, fileSystemError } from './errors.js';

/**
 * Temporary names start with a dot (a `*` mask skips them) and end in `.sbtmp`, so a receive
 * location polling this folder never takes a file that is still being written.
 */
export const TEMP_SUFFIX = '.sbtmp';

/** Streams `body` to a new temporary file in `folder` and fsyncs it; returns its path and size. */
export async function writeTemp(
  folder: string,
  body: Readable,
  signal: AbortSignal,
): Promise<{ tmp: string; bytes: number }> {
  const tmp = join(folder, `.sb-${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(tmp, 'wx').catch((error: unknown) => {
    body.destroy();
    throw fileSystemError(error, `cannot create a file in ${folder}`);
  });
  try {
    const bytes = await copyInto(body, handle, tmp, signal);
    await handle.sync().catch((error: unknown) => {
      throw fileSystemError(error, `cannot fsync ${tmp}`);
    });
    await handle.close();
    return { tmp, bytes };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Gives the temporary file its final name. `overwrite` is one atomic rename. `fail` links the new
 * name, which fails when the name exists, so two senders of one name cannot both win and a
 * reader never sees a partial file; where the file system has no hard links, an exclusive copy
 * does the same more slowly.
 */
export async function publish(tmp: string, target: string, mode: 'overwrite' | 'fail'): Promise<void> {
  try {
    if (mode === 'overwrite') {
      await rename(tmp, target);
      return;
    }
    try {
      await link(tmp, target);
    } catch (error) {
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes(errnoOf(error) ?? '')) throw error;
      await copyFile(tmp, target, constants.COPYFILE_EXCL);
      await syncFile(target);
    }
    await unlink(tmp);
  } catch (error) {
    await rm(tmp, { force: true });
    throw fileSystemError(error, `cannot write ${target}`);
  }
}

/**
 * Appends the (complete, fsynced) temporary file to `target`, creating it if missing. Writing the
 * body to a temporary file first means a body that fails half-way never reaches the target. The
 * target is opened with O_NOFOLLOW: a symbolic link planted under the name is refused, not followed.
 */
export async function appendTo(tmp: string, target: string): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  try {
    const handle = await open(target, flags, 0o666);
    try {
      const source = createReadStream(tmp);
      await copyInto(source, handle, target);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fileSystemError(error, `cannot append to ${target}`);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Makes a rename or link durable: the new directory entry is on disk once this returns. */
export async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (error) {
    // Some file systems (and some FUSE mounts) refuse fsync on a directory; the data is synced anyway.
    if (!['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR', 'EBADF'].includes(errnoOf(error) ?? '')) {
      throw fileSystemError(error, `cannot fsync folder ${folder}`);
    }
  } finally {
    await handle?.close();
  }
}

/**
 * Writes a stream into an open file chunk by chunk, awaiting each write (that is the back-pressure),
 * so that the handle stays open for the fsync that must come before close. Write errors are the
 * file's and are translated; errors of the source are passed on as they are.
 */
async function copyInto(source: Readable, handle: FileHandle, path: string, signal?: AbortSignal): Promise<number> {
  let bytes = 0;
  // An abort destroys the source, which ends the loop below with the AbortError.
  if (signal) addAbortSignal(signal, source);
  for await (const chunk of source) {
    const data: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset).catch((error: unknown) => {
        throw fileSystemError(error, `cannot write ${path}`);
      });
      offset += bytesWritten;
    }
    bytes += data.length;
  }
  return bytes;
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
