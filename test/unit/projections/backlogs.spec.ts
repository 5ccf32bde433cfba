import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidQuery } from '../../../src/projections/queries/errors.js';
import { backlogOf, backlogSummaries } from '../../../src/projections/queries/backlogs.js';
import { backlogsView } from '../../../src/projections/views/backlogs.js';
import { terminateMessage } from '../../../src/workers/operations.js';
import { History, iso } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const port = 'ledger';

/** What the ordered sender appends to `port-{name}` for a message routed by the event at `routedAt`. */
async function enqueue(h: History, messageId: string, sequence: number, routedAt: number): Promise<void> {
  await h.append(
    `port-${port}`,
    'MessageEnqueued',
    { port, messageId, sequence, routedAt: String(routedAt) },
    'worker:w2',
  );
}

describe('ordered backlogs view', () => {
  it('keeps the entries not yet sent or terminated, with the head and the length', async () => {
    const h = new History();
    // Sent before the port became ordered: the new sender enqueues it too, and it is already done.
    await h.at(0).receive('m0', [port]);
    await h.at(1).claim('m0', port);
    await h.at(2).sent('m0', port);
    await h.at(3).receive('m1', [port]);
    await h.at(4).receive('m2', [port, 'archive']);
    await h.at(5).receive('m3', [port]);
    h.at(10);
    await enqueue(h, 'm0', 0, 1);
    await enqueue(h, 'm1', 1, 4);
    await enqueue(h, 'm2', 2, 5);
    await enqueue(h, 'm3', 3, 6);
    const db = await h.view(backlogsView);
    expect(backlogSummaries(db)).toEqual([
      {
        port,
        enqueued: 4,
        length: 3,
        headSequence: 1,
        headMessageId: 'm1',
        headStatus: 'pending',
        lastEnqueuedAt: iso(10),
      },
    ]);

    await h.at(11).claim('m1', port);
    await h.at(12).fail('m1', port, 'LEDGER_REJECTED', false, false);
    await h.view(backlogsView, 500, db);
    const backlog = backlogOf(db, port);
    expect(backlog.summary).toMatchObject({ length: 3, headSequence: 1, headMessageId: 'm1', headStatus: 'suspended' });
    expect(backlog).toMatchObject({
      entries: {
        items: [
          { sequence: 1, messageId: 'm1', status: 'suspended', attempt: 1, enqueuedAt: iso(10), routedAt: 4 },
          { sequence: 2, messageId: 'm2', status: 'pending', attempt: 0, enqueuedAt: iso(10), routedAt: 5 },
          { sequence: 3, messageId: 'm3', status: 'pending', attempt: 0, enqueuedAt: iso(10), routedAt: 6 },
        ],
      },
    });

    // The operator ends the head; the port goes on with the next one.
    h.at(20);
    await terminateMessage(h.store, { messageId: 'm1', port, actor: 'user:alice' });
    await h.at(21).claim('m2', port);
    await h.at(22).sent('m2', port);
    await h.view(backlogsView, 500, db);
    expect(backlogSummaries(db)[0]).toMatchObject({ enqueued: 4, length: 1, headSequence: 3, headMessageId: 'm3' });
    const page = backlogOf(db, port, { limit: 1 });
    expect(page.entries.items.map((e) => e.messageId)).toEqual(['m3']);
    expect(page.entries.nextCursor).toBeUndefined();

    await h.at(23).claim('m3', port);
    await h.at(24).sent('m3', port);
    await h.view(backlogsView, 500, db);
    expect(backlogSummaries(db)[0]).toMatchObject({
      length: 0,
      headSequence: null,
      headMessageId: null,
      headStatus: null,
    });
    // m2's other send is still open, but it is on an unordered port: no backlog of its own.
    expect(backlogSummaries(db).map((b) => b.port)).toEqual([port]);
  });

  it("pages a long backlog in sequence and refuses another port's cursor", async () => {
    const h = new History();
    for (let i = 0; i < 5; i++) await h.at(i).receive(`q${i}`, [port]);
    for (let i = 0; i < 5; i++) await enqueue(h, `q${i}`, i, i + 1);
    const db = await h.view(backlogsView);
    const first = backlogOf(db, port, { limit: 2 });
    expect(first.entries.items.map((e) => e.sequence)).toEqual([0, 1]);
    const second = backlogOf(db, port, { limit: 2, cursor: first.entries.nextCursor! });
    expect(second.entries.items.map((e) => e.sequence)).toEqual([2, 3]);
    expect(() => backlogOf(db, 'other', { cursor: first.entries.nextCursor! })).toThrow(InvalidQuery);
  });
});
