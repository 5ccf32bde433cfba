import type { NewEvent } from '../../domain/events/index.js';
import { decide, evolve, type LeaseEvent, type LeaseState, type ReleaseReason } from '../../domain/lease/index.js';
import type { EventStore } from '../../store/event-store.js';
import { WrongExpectedRevision } from '../../store/errors.js';
import type { Clock } from './clock.js';
import { Deposed, LeaseLost, type LeaseLossReason } from './errors.js';
import { FencedStream, type FenceAuthority } from './fenced-stream.js';
import type { LeaseStream } from './lease-stream.js';
import type { ResolvedLeaseOptions } from './options.js';

export interface Tenure {
  readonly state: Extract<LeaseState, { status: 'held' }>;
  /** The lease stream's revision after the acquiring append. */
  readonly revision: bigint;
  /** When the acquiring append was sent, on the monotonic clock. */
  readonly sentAt: number;
}

/**
 * One term of a lease, held by this process. It renews every `renewEveryMs`, expecting the
 * revision of its own last lease write, and it stops holding (aborting `signal`) the moment a
 * renewal conflicts, or at its deadline: the send time of the last acknowledged renewal plus ttl
 * minus the safety margin. A contender cannot take over before the send time plus ttl, since it
 * waits a whole ttl from when it first saw that renewal, which was after it was sent; so this
 * holder stops at least the margin before anybody else can start.
 */
export class HeldLease implements FenceAuthority {
  readonly resource: string;
  readonly holder: string;
  readonly term: number;
  /** Resolves when the lease is lost or let go, with why. */
  readonly lost: Promise<LeaseLost>;
  private readonly controller = new AbortController();
  private resolveLost!: (error: LeaseLost) => void;
  private state: LeaseState;
  private revision: bigint;
  private deadline: number;
  private loss: LeaseLost | undefined;
  private cancelRenewal: () => void = () => undefined;
  private cancelDeadline: () => void = () => undefined;
  private renewal: Promise<void> | undefined;
  /**
   * The renewal being tried, kept for retries: the same events make a retry of a maybe-written
   * append idempotent, and the deadline counts from the first send, since contenders may have
   * seen that one land.
   */
  private pendingRenewal: { decided: LeaseEvent[]; events: NewEvent[]; firstSentAt: number } | undefined;
  private readonly writes = new Set<Promise<unknown>>();
  private readonly fences = new Map<string, Promise<FencedStream>>();

  constructor(
    private readonly store: EventStore,
    private readonly stream: LeaseStream,
    private readonly options: ResolvedLeaseOptions,
    private readonly clock: Clock,
    tenure: Tenure,
  ) {
    this.resource = options.resource;
    this.holder = options.holder;
    this.term = tenure.state.term;
    this.state = tenure.state;
    this.revision = tenure.revision;
    this.deadline = tenure.sentAt + options.ttlMs - options.safetyMarginMs;
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    this.armDeadline();
    this.scheduleRenewal(tenure.sentAt + options.renewEveryMs - clock.now());
  }

  /** Aborts, with a `LeaseLost` reason, when this term is over. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Held: not lost, and the deadline has not passed on the monotonic clock. */
  get held(): boolean {
    return this.loss === undefined && this.clock.now() < this.deadline;
  }

  /** Monotonic time until which this holder may write, if nothing else ends its term first. */
  get deadlineAt(): number {
    return this.deadline;
  }

  assertCanWrite(stream: string): void {
    if (this.loss === undefined && this.clock.now() >= this.deadline) this.lose('deadline');
    if (this.loss) throw new Deposed(this.resource, this.term, stream, this.loss.reason);
  }

  /** The fenced stream `stream` for this term; the first call raises the fence. */
  fence(stream: string): Promise<FencedStream> {
    let fenced = this.fences.get(stream);
    if (!fenced) {
      fenced = FencedStream.raise(this, this.store, stream);
      this.fences.set(stream, fenced);
      fenced.catch(() => this.fences.delete(stream));
    }
    return fenced;
  }

  track(write: Promise<unknown>): void {
    this.writes.add(write);
    const forget = () => this.writes.delete(write);
    write.then(forget, forget);
  }

  lose(reason: LeaseLossReason, cause?: unknown): void {
    if (this.loss) return;
    this.loss = new LeaseLost(this.resource, this.term, reason, cause === undefined ? undefined : { cause });
    this.cancelRenewal();
    this.cancelDeadline();
    this.controller.abort(this.loss);
    this.resolveLost(this.loss);
  }

  /**
   * Stops writing at once (the handler's signal aborts, fenced writes are refused), waits for
   * fenced writes and a renewal already in flight, then records `LeaseReleased` so that another
   * contender can take over without waiting for the ttl. Returns whether the release was
   * recorded (it is not when the lease had already been lost or taken).
   */
  async release(reason: ReleaseReason): Promise<boolean> {
    const wasHeld = this.held;
    this.lose(reason);
    await Promise.allSettled([...this.writes, this.renewal]);
    if (!wasHeld) return false;
    let events;
    try {
      events = decide(
        { type: 'Release', resource: this.resource, holder: this.holder, term: this.term, reason },
        this.state,
      );
    } catch {
      return false;
    }
    try {
      await this.stream.append(this.stream.toNew(events), this.revision);
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedRevision) return false;
      throw error;
    }
  }

  private armDeadline(): void {
    this.cancelDeadline();
    this.cancelDeadline = this.clock.schedule(this.deadline - this.clock.now(), () => {
      if (this.clock.now() >= this.deadline) this.lose('deadline');
      else this.armDeadline();
    });
  }

  private scheduleRenewal(delay: number): void {
    this.cancelRenewal();
    const plannedAt = this.clock.now() + Math.max(0, delay);
    this.cancelRenewal = this.clock.schedule(delay, () => {
      this.renewal = this.renew(plannedAt);
    });
  }

  private async renew(plannedAt: number): Promise<void> {
    if (this.loss) return;
    const sentAt = this.clock.now();
    // A renewal timer that fires late (a paused process) must not write: a renewal landing now
    // would make contenders wait another ttl for a holder that has already stopped.
    if (sentAt >= this.deadline) return this.lose('deadline');
    if (!this.pendingRenewal) {
      const decided = decide(
        { type: 'Renew', resource: this.resource, holder: this.holder, term: this.term, ttlMs: this.options.ttlMs },
        this.state,
      );
      this.pendingRenewal = { decided, events: this.stream.toNew(decided), firstSentAt: sentAt };
    }
    const renewal = this.pendingRenewal;
    let revision: bigint;
    try {
      revision = await this.stream.append(renewal.events, this.revision);
    } catch (error) {
      if (this.loss) return;
      if (error instanceof WrongExpectedRevision) return this.lose('renewal_conflict', error);
      // The store did not answer: try again soon with the same events. If nothing gets through,
      // the deadline ends the term.
      this.scheduleRenewal(Math.min(this.options.renewEveryMs / 4, this.deadline - this.clock.now()));
      return;
    }
    // Even when acknowledged too late to count, the renewal is the lease's head now: a release
    // must expect it.
    this.revision = revision;
    this.state = renewal.decided.reduce(evolve, this.state);
    this.pendingRenewal = undefined;
    if (this.loss) return;
    const ackedAt = this.clock.now();
    if (ackedAt >= this.deadline) return this.lose('deadline');
    this.options.onRenewal?.({
      term: this.term,
      lateMs: sentAt - plannedAt,
      ackMs: ackedAt - sentAt,
      slackMs: this.deadline - ackedAt,
    });
    this.deadline = renewal.firstSentAt + this.options.ttlMs - this.options.safetyMarginMs;
    this.armDeadline();
    this.scheduleRenewal(renewal.firstSentAt + this.options.renewEveryMs - this.clock.now());
  }
}
