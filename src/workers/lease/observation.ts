/**
 * When a contender first saw the lease stream at its current revision, on its own monotonic
 * clock. A lease expires for this contender when the revision has not changed for the holder's
 * ttl since then: nothing compares the holder's clock with the contender's, and a contender that
 * looks late (a slow poll, a paused process) only ever waits longer, never shorter.
 */
export class RevisionWatch {
  private seen: { revision: bigint | undefined; since: number } | undefined;

  observe(revision: bigint | undefined, now: number): void {
    if (this.seen === undefined || this.seen.revision !== revision) this.seen = { revision, since: now };
  }

  /** 0 until something was observed. */
  unchangedFor(now: number): number {
    return this.seen === undefined ? 0 : now - this.seen.since;
  }
}
