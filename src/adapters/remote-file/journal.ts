import { posix } from 'node:path';
import type { LocationLog } from '../adapter.js';

/** A file this location took, as its claim records it. */
export interface FileClaim {
  readonly path: string;
  readonly size: number;
  /** ISO 8601 (UTC) of the modification time the listing gave. */
  readonly mtime: string;
  readonly messageId: string;
}

export type Completion = { action: 'deleted' | 'left' } | { action: 'moved'; archivePath: string };

/**
 * Where the receiver writes its claims before it fetches and its completions after: the fenced
 * `location-{name}` stream when the runtime holds the location's lease (always, in an engine), or
 * this handler's own memory when run without one (the adapter contract suite).
 */
export interface ClaimJournal {
  unfinished(): Promise<FileClaim[]>;
  claimed(claim: FileClaim): Promise<void>;
  completed(claim: FileClaim, completion: Completion): Promise<void>;
}

export class LocationLogJournal implements ClaimJournal {
  constructor(
    private readonly log: LocationLog,
    private readonly location: string,
  ) {}

  async unfinished(): Promise<FileClaim[]> {
    const claims = await this.log.unfinished();
    return claims.flatMap((c) => (c.type === 'FileClaimed' ? [c.data] : []));
  }

  claimed(claim: FileClaim): Promise<void> {
    return this.log.record('FileClaimed', { location: this.location, ...claim });
  }

  completed(claim: FileClaim, completion: Completion): Promise<void> {
    return this.log.record('FileCompleted', {
      location: this.location,
      path: claim.path,
      messageId: claim.messageId,
      ...completion,
    });
  }
}

export class MemoryJournal implements ClaimJournal {
  private readonly open = new Map<string, FileClaim>();

  unfinished(): Promise<FileClaim[]> {
    return Promise.resolve([...this.open.values()]);
  }

  claimed(claim: FileClaim): Promise<void> {
    this.open.set(claim.messageId, claim);
    return Promise.resolve();
  }

  completed(claim: FileClaim): Promise<void> {
    this.open.delete(claim.messageId);
    return Promise.resolve();
  }
}

/** The source key of a claimed file: the same file (path, size, mtime) always gives the same message id. */
export function sourceKeyOf(claim: Pick<FileClaim, 'path' | 'size' | 'mtime'>): string {
  return `${claim.size}:${claim.mtime}:${claim.path}`;
}

export function nameOf(claim: FileClaim): string {
  return posix.basename(claim.path);
}
