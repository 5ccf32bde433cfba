import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchWriter } from '../../../src/projections/runner.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { openSendsView } from '../../../src/projections/views/open-sends.js';
import type { RecordedEvent } from '../../../src/store/event-store.js';
import { dump } from './history.js';

const messages = ['m1', 'm2', 'm3'];
const ports = ['erp', 'ledger'];
const T0 = Date.parse('2026-03-03T03:00:00.000Z');

/** The fields of each event type the open-sends view reads; the rest of an event does not matter here. */
const eventData = fc.oneof(
  fc.record({
    type: fc.constant('MessageReceived'),
    messageId: fc.constantFrom(...messages),
    sendPorts: fc.subarray(ports),
  }),
  fc.record({
    type: fc.constantFrom('SendClaimed', 'MessageSent'),
    messageId: fc.constantFrom(...messages),
    port: fc.constantFrom(...ports),
    attempt: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    type: fc.constant('SendFailed'),
    messageId: fc.constantFrom(...messages),
    port: fc.constantFrom(...ports),
    attempt: fc.integer({ min: 1, max: 3 }),
    retry: fc.boolean(),
  }),
  fc.record({
    type: fc.constantFrom('MessageSuspended', 'MessageTerminated'),
    messageId: fc.constantFrom(...messages),
    port: fc.option(fc.constantFrom(...ports), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('MessageResumed'),
    messageId: fc.constantFrom(...messages),
    port: fc.option(fc.constantFrom(...ports), { nil: undefined }),
    sendPorts: fc.option(fc.subarray(ports), { nil: undefined }),
  }),
);

type Generated = typeof eventData extends fc.Arbitrary<infer T> ? T : never;

function recorded(generated: Generated, i: number): RecordedEvent {
  const g = generated as Record<string, unknown> & { type: string; messageId: string };
  const at = T0 + i * 1000;
  const data: Record<string, unknown> = { messageId: g.messageId };
  if (g.port !== undefined) data.port = g.port;
  if (g.attempt !== undefined) data.attempt = g.attempt;
  if (g.type === 'MessageReceived') data.routing = { sendPorts: g.sendPorts, subscriptions: [] };
  if (g.type === 'MessageResumed' && g.sendPorts !== undefined) data.routing = { sendPorts: g.sendPorts };
  if (g.type === 'SendFailed' && g.retry) data.nextRetryAt = new Date(at + 5000).toISOString();
  return { type: g.type, data, recordedAt: new Date(at), position: BigInt(i + 1) } as unknown as RecordedEvent;
}

function viewAfter(events: readonly RecordedEvent[], cuts: readonly number[] | undefined): Record<string, unknown[]> {
  const db = openViewDatabase(':memory:');
  openSendsView.setup(db);
  if (cuts === undefined) {
    for (const event of events) openSendsView.apply(db, event);
  } else {
    let from = 0;
    for (const cut of [...cuts, events.length]) {
      const writer = batchWriter(openSendsView, db);
      for (const event of events.slice(from, Math.max(from, cut))) writer.apply(event);
      writer.flush();
      from = Math.max(from, cut);
    }
  }
  const view = dump(db, openSendsView);
  db.close();
  return view;
}

describe('open-sends view: applying in batches', () => {
  it('leaves the view as applying every event one by one does, however the events are batched', () => {
    fc.assert(
      fc.property(
        fc.array(eventData, { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 4 }),
        (generated, cuts) => {
          const events = generated.map(recorded);
          const sorted = [...cuts].sort((a, b) => a - b);
          expect(viewAfter(events, sorted)).toEqual(viewAfter(events, undefined));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a send received, claimed and sent in one batch leaves no row, and one still open stays', () => {
    const events = [
      { type: 'MessageReceived', messageId: 'm1', sendPorts: ['erp', 'ledger'] },
      { type: 'SendClaimed', messageId: 'm1', port: 'erp', attempt: 1 },
      { type: 'SendClaimed', messageId: 'm1', port: 'ledger', attempt: 1 },
      { type: 'MessageSent', messageId: 'm1', port: 'erp', attempt: 1 },
    ].map((g, i) => recorded(g as Generated, i));
    const view = viewAfter(events, []);
    expect(view).toEqual(viewAfter(events, undefined));
    const rows = Object.values(view).flat() as { message_id: string; port: string; status: string }[];
    expect(rows.map((r) => [r.message_id, r.port, r.status])).toEqual([['m1', 'ledger', 'claimed']]);
  });
});
