import { decide, evolve, LeaseRejected, type LeaseCommand, type LeaseState } from '../../domain/lease/index.js';
import type { EventStore } from '../../store/event-store.js';
import { WrongExpectedRevision } from '../../store/errors.js';
import { systemClock, type Clock } from './clock.js';
import { HeldLease } from './held-lease.js';
import { LeaseStream, type LeaseSnapshot } from './lease-stream.js';
import { RevisionWatch } from './observation.js';
import { resolveLeaseOptions, type LeaseOptions, type ResolvedLeaseOptions } from './options.js';

export interface LeaseObservation extends LeaseSnapshot {
  /** How long the lease stream has stood at `revision`, as this contender has seen it. */
  readonly unchangedForMs: number;
  /** The ttl expiry is judged by: the holder's own, or this contender's when the stream lacks it. */
  readonly ttlMs: number;
}

/**
 * One contender for one lease, over the EventStore port. `observe` reads the lease stream and
 * notes, on this process's monotonic clock, when its revision last changed; `tryTake` acquires a
 * free or released lease, or takes over a held one that this contender has seen unchanged for
 * the holder's ttl. Both are appends expecting the revision observed, so of several contenders
 * deciding on the same state exactly one wins.
 */
export class LeaseManager {
  readonly options: ResolvedLeaseOptions;
  private readonly stream: LeaseStream;
  private readonly watch = new RevisionWatch();
  private snapshot: LeaseSnapshot | undefined;
  private lengthLimited = false;

  constructor(
    private readonly store: EventStore,
    options: LeaseOptions,
    private readonly clock: Clock = systemClock,
  ) {
    this.options = resolveLeaseOptions(options);
    this.stream = new LeaseStream(store, this.options.resource, this.options.holder);
  }

  get streamName(): string {
    return this.stream.name;
  }

  async observe(): Promise<LeaseObservation> {
    const revision = await this.stream.revision();
    if (this.snapshot === undefined || this.snapshot.revision !== revision) this.snapshot = await this.stream.read();
    const now = this.clock.now();
    this.watch.observe(this.snapshot.revision, now);
    return this.describe(this.snapshot, now);
  }

  /**
   * Takes the lease if the latest observation allows it. Returns the held lease, or undefined
   * when the lease may not be taken yet or another contender won the race.
   */
  async tryTake(): Promise<HeldLease | undefined> {
    const snapshot = this.snapshot;
    if (!snapshot?.known) return undefined;
    const { state, revision } = snapshot;
    const observation = this.describe(snapshot, this.clock.now());
    const command: LeaseCommand =
      state.status === 'held'
        ? {
            type: 'TakeOver',
            resource: this.options.resource,
            holder: this.options.holder,
            ttlMs: this.options.ttlMs,
            observedExpired: observation.unchangedForMs >= observation.ttlMs,
          }
        : { type: 'Acquire', resource: this.options.resource, holder: this.options.holder, ttlMs: this.options.ttlMs };
    let decided;
    try {
      decided = decide(command, state);
    } catch (error) {
      if (error instanceof LeaseRejected) return undefined;
      throw error;
    }
    if (!this.lengthLimited) {
      // Once per process, before its first bid: from then on every append trims the stream.
      await this.stream.limitLength(this.options.keepEvents);
      this.lengthLimited = true;
    }
    const sentAt = this.clock.now();
    let written: bigint;
    try {
      written = await this.stream.append(this.stream.toNew(decided), revision ?? 'no_stream');
    } catch (error) {
      if (error instanceof WrongExpectedRevision) return undefined;
      throw error;
    }
    const held = decided.reduce(evolve, state) as Extract<LeaseState, { status: 'held' }>;
    this.snapshot = { state: held, revision: written, known: true };
    this.watch.observe(written, this.clock.now());
    return new HeldLease(this.store, this.stream, this.options, this.clock, {
      state: held,
      revision: written,
      sentAt,
    });
  }

  private describe(snapshot: LeaseSnapshot, now: number): LeaseObservation {
    return {
      ...snapshot,
      unchangedForMs: this.watch.unchangedFor(now),
      ttlMs: snapshot.state.ttlMs ?? this.options.ttlMs,
    };
  }
}
