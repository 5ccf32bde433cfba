import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { auditFlow, type FlowExpectation } from '../chaos/support/flow-audit.js';
import type { Input, Output } from '../chaos/support/flow-streams.js';

// The chaos test's verdict is only as good as its audit: these cases show it finds what it must.

const expectation: FlowExpectation = {
  routes: (kind) => (kind === 'a' ? ['out', 'ordered'] : kind === 'b' ? ['out'] : []),
  unorderedPort: 'out',
  orderedPort: 'ordered',
  duplicateWindowMs: 120_000,
};

let position = 0n;
function event(type: string, data: Record<string, unknown>, atMs = 0): RecordedEvent {
  position++;
  return { type, data, position, recordedAt: new Date(1_000_000 + atMs) } as unknown as RecordedEvent;
}

const received = (id: string, seq: number, ports: string[]) =>
  event('MessageReceived', {
    messageId: id,
    context: { promoted: { 'NATS.Header.seq': String(seq) }, written: {} },
    routing: { sendPorts: ports, subscriptions: ports },
  });
const claimed = (id: string, port: string, attempt: number, atMs = 0) =>
  event('SendClaimed', { messageId: id, port, attempt, worker: 'w' }, atMs);
const sent = (id: string, port: string, attempt: number, atMs = 0, duplicate = false) =>
  event('MessageSent', { messageId: id, port, attempt, outcome: { duplicate } }, atMs);
const failed = (id: string, port: string, attempt: number, code: string, atMs = 0) =>
  event('SendFailed', { messageId: id, port, attempt, error: { code } }, atMs);
const enqueued = (id: string, sequence: number) =>
  event('MessageEnqueued', { port: 'ordered', messageId: id, sequence });
const copy = (id: string, port: string, seq: number, streamSeq: number): Output => ({
  streamSeq,
  msgId: `${id}:${port}`,
  seq,
});

const inputs: Input[] = [
  { seq: 0, kind: 'a', streamSeq: 1 },
  { seq: 1, kind: 'b', streamSeq: 2 },
  { seq: 2, kind: 'x', streamSeq: 3 },
  { seq: 3, kind: 'a', streamSeq: 4 },
];

/** A run where everything went right. */
function cleanRun() {
  const events = [
    received('m0', 0, ['out', 'ordered']),
    received('m1', 1, ['out']),
    received('m2', 2, []),
    event('MessageUnroutable', { messageId: 'm2' }),
    event('MessageSuspended', { messageId: 'm2', stage: 'route', reason: { code: 'UNROUTABLE' } }),
    received('m3', 3, ['out', 'ordered']),
    enqueued('m0', 0),
    enqueued('m3', 1),
    ...['m0', 'm1', 'm3'].flatMap((id) => [claimed(id, 'out', 1), sent(id, 'out', 1)]),
    ...['m0', 'm3'].flatMap((id) => [claimed(id, 'ordered', 1), sent(id, 'ordered', 1)]),
  ];
  const outputs = {
    out: [copy('m0', 'out', 0, 1), copy('m1', 'out', 1, 2), copy('m3', 'out', 3, 3)],
    ordered: [copy('m0', 'ordered', 0, 1), copy('m3', 'ordered', 3, 2)],
  };
  return { events, outputs };
}

describe('the chaos test’s audit of a message flow', () => {
  it('passes a clean run', () => {
    const { events, outputs } = cleanRun();
    const audit = auditFlow(inputs, events, outputs, expectation);
    expect(audit).toMatchObject({ received: 4, lost: [], receivedTwice: [], misrouted: [], unroutable: 1 });
    expect(audit.ports.out).toMatchObject({ routed: 3, sent: 3, open: [], duplicates: 0, unexplained: [] });
    expect(audit.ordered).toEqual({ enqueued: 2, enqueueProblems: [], inOrder: true });
  });

  it('finds an input never received, and a send neither sent nor suspended', () => {
    const { events, outputs } = cleanRun();
    const withoutM1 = events.filter((e) => (e.data as { messageId: string }).messageId !== 'm1');
    expect(auditFlow(inputs, withoutM1, outputs, expectation).lost).toEqual([1]);
    const unsent = events.filter((e) => !(e.type === 'MessageSent' && (e.data as { port: string }).port === 'out'));
    expect(auditFlow(inputs, unsent, outputs, expectation).ports.out!.open).toHaveLength(3);
  });

  it('finds a send the store calls sent that is not in the output', () => {
    const { events, outputs } = cleanRun();
    const audit = auditFlow(inputs, events, { ...outputs, out: outputs.out.slice(1) }, expectation);
    expect(audit.ports.out!.missingFromOutput).toEqual(['m0:out']);
  });

  it('explains a duplicate by a failed attempt retried after the duplicate window, and nothing else', () => {
    const { events, outputs } = cleanRun();
    const isM1Send = (e: RecordedEvent) =>
      (e.data as { messageId: string }).messageId === 'm1' && (e.type === 'SendClaimed' || e.type === 'MessageSent');
    const late = [
      ...events.filter((e) => !isM1Send(e)),
      claimed('m1', 'out', 1, 0),
      failed('m1', 'out', 1, 'WORKER_LOST', 60_000),
      claimed('m1', 'out', 2, 125_000),
      sent('m1', 'out', 2, 125_010),
    ];
    const twice = { ...outputs, out: [...outputs.out, copy('m1', 'out', 1, 4)] };
    const audit = auditFlow(inputs, late, twice, expectation);
    expect(audit.ports.out).toMatchObject({ duplicates: 1, duplicatesByCause: { WORKER_LOST: 1 }, unexplained: [] });

    // The same second copy within the window: JetStream should have dropped it.
    const early = late.map((e) =>
      e.type === 'MessageSent' && (e.data as { attempt: number }).attempt === 2 ? sent('m1', 'out', 2, 70_000) : e,
    );
    expect(auditFlow(inputs, early, twice, expectation).ports.out!.unexplained).toHaveLength(1);

    // A second copy with no failed attempt behind it.
    expect(auditFlow(inputs, events, twice, expectation).ports.out!.unexplained).toContain(
      'm1:out: 2 copies, 0 failed attempts',
    );
  });

  it('finds a duplicate and a reordering on the ordered port', () => {
    const { events, outputs } = cleanRun();
    const swapped = auditFlow(inputs, events, { ...outputs, ordered: [...outputs.ordered].reverse() }, expectation);
    expect(swapped.ordered).toMatchObject({ inOrder: false, firstOutOfOrder: { index: 0, expected: 'm0', got: 'm3' } });
    const doubled = auditFlow(
      inputs,
      events,
      { ...outputs, ordered: [...outputs.ordered, copy('m3', 'ordered', 3, 3)] },
      expectation,
    );
    expect(doubled.ports.ordered!.duplicates).toBe(1);
    expect(doubled.ordered.inOrder).toBe(false);
  });

  it('finds a message routed against its filters and a gap in the ordered sequence', () => {
    const { events, outputs } = cleanRun();
    const misrouted = events.map((e) =>
      e.type === 'MessageReceived' && (e.data as { messageId: string }).messageId === 'm1'
        ? received('m1', 1, ['out', 'ordered'])
        : e,
    );
    expect(auditFlow(inputs, misrouted, outputs, expectation).misrouted).toEqual(['m1 (seq 1): ordered,out']);
    const gap = events.map((e) =>
      e.type === 'MessageEnqueued' && (e.data as { sequence: number }).sequence === 1 ? enqueued('m3', 2) : e,
    );
    expect(auditFlow(inputs, gap, outputs, expectation).ordered.enqueueProblems).toEqual(['entry 1 has sequence 2']);
  });
});
