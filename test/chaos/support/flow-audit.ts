import type { RecordedEvent } from '../../../src/store/event-store.js';
import type { Input, Output } from './flow-streams.js';

export interface FlowExpectation {
  /** The ports a message of this kind is routed to (none: it must be suspended as unroutable). */
  readonly routes: (kind: string) => readonly string[];
  readonly unorderedPort: string;
  readonly orderedPort: string;
  /**
   * The output streams' duplicate window: a re-publish of a message within it is dropped by its
   * `Nats-Msg-Id`, so a second copy can only come from a retry later than this after the first.
   */
  readonly duplicateWindowMs: number;
}

/** What became of one attempt of one send, by the store. */
type AttemptOutcome =
  { readonly kind: 'sent'; readonly duplicate: boolean } | { readonly kind: 'failed'; code: string };

interface SendRecord {
  readonly attempts: Map<number, AttemptOutcome | 'claimed'>;
  /** Its events, one line each, with their time from the run's first event: for the report. */
  readonly history: string[];
  sent: number;
  suspended?: string;
  firstClaimAt?: number;
  sentAt?: number;
}

export interface PortAudit {
  readonly routed: number;
  readonly sent: number;
  /** Sends suspended by the engine, with their reason codes. */
  readonly suspended: Record<string, number>;
  /** Routed sends that ended neither sent nor suspended. */
  readonly open: string[];
  /** Sends recorded sent more than once (must never happen: the claim decides). */
  readonly sentTwice: string[];
  readonly outputCopies: number;
  /** Sent (by the store) but not in the output stream. */
  readonly missingFromOutput: string[];
  /** Output copies beyond the first of their message. */
  readonly duplicates: number;
  /** Each send with more than one copy: where the copies sit in the stream, and its events. */
  readonly duplicateDetails: readonly { send: string; copies: number[]; history: readonly string[] }[];
  /** What ended the attempts that explain the duplicates, by the store: `WORKER_LOST`, a transport error… */
  readonly duplicatesByCause: Record<string, number>;
  /** Output copies the store cannot explain: an unknown message, or more copies than failed attempts. */
  readonly unexplained: string[];
  /**
   * Sends whose successful attempt found the message already in the stream: an earlier attempt
   * had published it before failing, and JetStream dropped the second copy by its `Nats-Msg-Id`.
   */
  readonly sentAsDuplicate: number;
  /** The same, by what ended the earlier attempt. */
  readonly dedupedByCause: Record<string, number>;
}

export interface FlowAudit {
  readonly inputs: number;
  readonly received: number;
  /** Inputs with no MessageReceived. */
  readonly lost: number[];
  /** Inputs received as more than one message. */
  readonly receivedTwice: number[];
  readonly unroutable: number;
  /** Messages whose routing differs from the filters' (or unroutable ones not suspended as such). */
  readonly misrouted: string[];
  readonly failuresByCode: Record<string, number>;
  readonly ports: Record<string, PortAudit>;
  readonly ordered: {
    readonly enqueued: number;
    /** Sequence gaps, messages enqueued twice or not at all, enqueue order against routing order. */
    readonly enqueueProblems: string[];
    /** Whether the ordered output, read in stream order, is the enqueue order of the sent messages. */
    readonly inOrder: boolean;
    readonly firstOutOfOrder?: { index: number; expected: string; got: string };
  };
}

function detail(event: RecordedEvent): string {
  switch (event.type) {
    case 'SendClaimed':
      return event.data.worker;
    case 'SendFailed':
      return event.data.error.code;
    case 'MessageSent':
      return event.data.outcome?.duplicate === true ? '(the stream had it already)' : '';
    default:
      return '';
  }
}

const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);

/**
 * Reconciles three records of one run: what was published, what the event store says happened,
 * and what the output streams hold. Pure, so the chaos test's verdict is only as good as this.
 */
export function auditFlow(
  inputs: readonly Input[],
  events: readonly RecordedEvent[],
  outputs: Readonly<Record<string, readonly Output[]>>,
  expect: FlowExpectation,
): FlowAudit {
  const seqOf = new Map<string, number>();
  const idsOfSeq = new Map<number, string[]>();
  const routedAt = new Map<string, bigint>();
  const sends = new Map<string, SendRecord>();
  const misrouted: string[] = [];
  const failuresByCode: Record<string, number> = {};
  const enqueued: { sequence: number; messageId: string }[] = [];
  const unroutableIds = new Set<string>();
  const routeSuspended = new Set<string>();
  const kindOfSeq = new Map(inputs.map((i) => [i.seq, i.kind]));
  const key = (messageId: string, port: string) => `${messageId}:${port}`;

  const t0 = events[0]?.recordedAt.getTime() ?? 0;
  for (const event of events) {
    const data = event.data as { messageId?: string; port?: string; attempt?: number };
    const send = data.messageId && data.port ? sends.get(key(data.messageId, data.port)) : undefined;
    send?.history.push(`${event.recordedAt.getTime() - t0} ms ${event.type} #${data.attempt ?? '-'} ${detail(event)}`);
    switch (event.type) {
      case 'MessageReceived': {
        const { messageId } = event.data;
        const seq = Number(event.data.context.promoted['NATS.Header.seq']);
        seqOf.set(messageId, seq);
        idsOfSeq.set(seq, [...(idsOfSeq.get(seq) ?? []), messageId]);
        routedAt.set(messageId, event.position);
        const expected = [...expect.routes(kindOfSeq.get(seq) ?? '?')].sort();
        const actual = [...event.data.routing.sendPorts].sort();
        if (expected.join() !== actual.join()) misrouted.push(`${messageId} (seq ${seq}): ${actual.join()}`);
        for (const port of actual) sends.set(key(messageId, port), { attempts: new Map(), history: [], sent: 0 });
        break;
      }
      case 'MessageUnroutable':
        unroutableIds.add(event.data.messageId);
        break;
      case 'SendClaimed':
        if (!send) break;
        send.attempts.set(event.data.attempt, 'claimed');
        send.firstClaimAt ??= event.recordedAt.getTime();
        break;
      case 'MessageSent': {
        if (!send) break;
        send.sent++;
        send.sentAt = event.recordedAt.getTime();
        send.attempts.set(event.data.attempt, { kind: 'sent', duplicate: event.data.outcome?.duplicate === true });
        break;
      }
      case 'SendFailed':
        bump(failuresByCode, event.data.error.code);
        send?.attempts.set(event.data.attempt, { kind: 'failed', code: event.data.error.code });
        break;
      case 'MessageSuspended':
        if (event.data.port === undefined) {
          if (event.data.stage === 'route' && event.data.reason.code === 'UNROUTABLE') {
            routeSuspended.add(event.data.messageId);
          }
        } else {
          if (send) send.suspended = event.data.reason.code;
        }
        break;
      case 'MessageEnqueued':
        if (event.data.port === expect.orderedPort) {
          enqueued.push({ sequence: event.data.sequence, messageId: event.data.messageId });
        }
        break;
    }
  }

  for (const [seq, ids] of idsOfSeq) {
    if (expect.routes(kindOfSeq.get(seq) ?? '?').length > 0) continue;
    for (const id of ids) {
      if (!unroutableIds.has(id) || !routeSuspended.has(id))
        misrouted.push(`${id} (seq ${seq}): not suspended unroutable`);
    }
  }

  const ports: Record<string, PortAudit> = {};
  for (const port of [expect.unorderedPort, expect.orderedPort]) {
    ports[port] = auditPort(port, sends, seqOf, outputs[port] ?? [], expect.duplicateWindowMs);
  }

  return {
    inputs: inputs.length,
    received: seqOf.size,
    lost: inputs.filter((i) => !idsOfSeq.has(i.seq)).map((i) => i.seq),
    receivedTwice: [...idsOfSeq].filter(([, ids]) => ids.length > 1).map(([seq]) => seq),
    unroutable: unroutableIds.size,
    misrouted,
    failuresByCode,
    ports,
    ordered: auditOrder(enqueued, routedAt, sends, outputs[expect.orderedPort] ?? [], expect.orderedPort),
  };
}

function auditPort(
  port: string,
  sends: ReadonlyMap<string, SendRecord>,
  seqOf: ReadonlyMap<string, number>,
  outputs: readonly Output[],
  duplicateWindowMs: number,
): PortAudit {
  const suffix = `:${port}`;
  const mine = [...sends].filter(([k]) => k.endsWith(suffix));
  const suspended: Record<string, number> = {};
  const open: string[] = [];
  const sentTwice: string[] = [];
  let sent = 0;
  let sentAsDuplicate = 0;
  for (const [k, send] of mine) {
    if (send.sent > 1) sentTwice.push(k);
    if (send.sent >= 1) sent++;
    else if (send.suspended) bump(suspended, send.suspended);
    else open.push(k);
    for (const outcome of send.attempts.values()) {
      if (outcome !== 'claimed' && outcome.kind === 'sent' && outcome.duplicate) sentAsDuplicate++;
    }
  }

  const copies = new Map<string, Output[]>();
  const unexplained: string[] = [];
  for (const output of outputs) {
    const [messageId = '', outputPort] = output.msgId.split(':');
    if (outputPort !== port || !sends.has(`${messageId}${suffix}`)) {
      unexplained.push(`#${output.streamSeq} ${output.msgId}: no such send`);
      continue;
    }
    if (seqOf.get(messageId) !== output.seq) {
      unexplained.push(
        `#${output.streamSeq} ${output.msgId}: body of seq ${output.seq}, message of ${seqOf.get(messageId)}`,
      );
    }
    copies.set(messageId, [...(copies.get(messageId) ?? []), output]);
  }

  const missingFromOutput: string[] = [];
  const duplicatesByCause: Record<string, number> = {};
  const dedupedByCause: Record<string, number> = {};
  const duplicateDetails: PortAudit['duplicateDetails'][number][] = [];
  let duplicates = 0;
  for (const [k, send] of mine) {
    const found = copies.get(k.slice(0, -suffix.length)) ?? [];
    if (send.sent > 0 && found.length === 0) missingFromOutput.push(k);
    // Only an attempt that ended in a failure (its worker killed, its ack lost) can have put a
    // copy in the stream that the store does not call sent; each such attempt explains one.
    const failed = [...send.attempts.values()].flatMap((o) => (o !== 'claimed' && o.kind === 'failed' ? [o.code] : []));
    const extra = Math.max(0, found.length - 1);
    duplicates += extra;
    failed.slice(0, extra).forEach((code) => bump(duplicatesByCause, code));
    if (extra > 0) {
      duplicateDetails.push({ send: k, copies: found.map((o) => o.streamSeq), history: send.history });
    }
    if (extra > failed.length) unexplained.push(`${k}: ${found.length} copies, ${failed.length} failed attempts`);
    const span = (send.sentAt ?? Number.POSITIVE_INFINITY) - (send.firstClaimAt ?? 0);
    if (extra > 0 && span <= duplicateWindowMs) {
      unexplained.push(`${k}: ${found.length} copies within ${span} ms, inside the duplicate window`);
    }
    const deduped = [...send.attempts.values()].some((o) => o !== 'claimed' && o.kind === 'sent' && o.duplicate);
    if (deduped) {
      if (failed.length === 0) unexplained.push(`${k}: the stream had it before its one attempt`);
      else bump(dedupedByCause, failed[failed.length - 1]!);
    }
  }

  return {
    routed: mine.length,
    sent,
    suspended,
    open,
    sentTwice,
    outputCopies: outputs.length,
    missingFromOutput,
    duplicates,
    duplicatesByCause,
    unexplained,
    sentAsDuplicate,
    dedupedByCause,
    duplicateDetails,
  };
}

function auditOrder(
  enqueued: readonly { sequence: number; messageId: string }[],
  routedAt: ReadonlyMap<string, bigint>,
  sends: ReadonlyMap<string, SendRecord>,
  outputs: readonly Output[],
  port: string,
): FlowAudit['ordered'] {
  const problems: string[] = [];
  const seen = new Set<string>();
  enqueued.forEach((entry, i) => {
    if (entry.sequence !== i) problems.push(`entry ${i} has sequence ${entry.sequence}`);
    if (seen.has(entry.messageId)) problems.push(`${entry.messageId} enqueued twice`);
    seen.add(entry.messageId);
    const previous = enqueued[i - 1];
    if (previous && (routedAt.get(previous.messageId) ?? 0n) > (routedAt.get(entry.messageId) ?? 0n)) {
      problems.push(`sequence ${i} (${entry.messageId}) was routed before sequence ${i - 1}`);
    }
  });
  for (const k of sends.keys()) {
    const messageId = k.slice(0, -(port.length + 1));
    if (k.endsWith(`:${port}`) && !seen.has(messageId)) problems.push(`${messageId} routed to ${port}, never enqueued`);
  }

  // Suspended messages are skipped by an ordered port that suspends and goes on.
  const expected = enqueued.map((e) => e.messageId).filter((id) => (sends.get(`${id}:${port}`)?.sent ?? 0) > 0);
  const got = outputs.map((o) => o.msgId.split(':')[0]);
  const length = Math.max(expected.length, got.length);
  for (let index = 0; index < length; index++) {
    if (expected[index] !== got[index]) {
      return {
        enqueued: enqueued.length,
        enqueueProblems: problems,
        inOrder: false,
        firstOutOfOrder: { index, expected: expected[index] ?? '(end)', got: got[index] ?? '(end)' },
      };
    }
  }
  return { enqueued: enqueued.length, enqueueProblems: problems, inOrder: true };
}
