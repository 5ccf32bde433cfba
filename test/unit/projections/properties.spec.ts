import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidQuery } from '../../../src/projections/queries/errors.js';
import { findMessages } from '../../../src/projections/queries/messages.js';
import { propertiesView } from '../../../src/projections/views/properties.js';
import { trackingView } from '../../../src/projections/views/tracking.js';
import { History, ms, rows } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

describe('context-property index', () => {
  it('keeps each promoted and written property with its JSON type, so 1 and "1" differ', async () => {
    const h = new History();
    await h.at(0).receive('p1', ['out'], {
      context: {
        promoted: { 'MQMD.CorrelId': 'ABC', 'ORD.Lines': 1 },
        written: { 'FILE.ReceivedFileName': 'o-1.xml', 'ORD.Rush': true },
      },
    });
    await h.at(1).receive('p2', ['out'], {
      context: { promoted: { 'MQMD.CorrelId': 'XYZ', 'ORD.Lines': '1' }, written: { 'ORD.Note': null } },
    });
    const db = await h.view(propertiesView);
    expect(rows(db, 'context_properties', "WHERE message_id = 'p1'").map((r) => [r.name, r.value, r.promoted])).toEqual(
      [
        ['BTS.MessageID', '"p1"', 0],
        ['BTS.ReceiveLocationName', '"mq-orders"', 1],
        ['FILE.ReceivedFileName', '"o-1.xml"', 0],
        ['MQMD.CorrelId', '"ABC"', 1],
        ['ORD.Lines', '1', 1],
        ['ORD.Rush', 'true', 0],
      ],
    );
    expect(rows(db, 'context_properties', "WHERE name = 'ORD.Note'")).toEqual([
      { name: 'ORD.Note', value: 'null', received_at: ms(1), message_id: 'p2', promoted: 0 },
    ]);
  });

  it('answers "every message whose property X has value V" with the tracking view, newest first, by pages', async () => {
    const h = new History();
    for (let i = 0; i < 5; i++) {
      await h.at(i).receive(`c${i}`, ['out'], {
        context: { promoted: { 'ORD.Customer': i % 2 === 0 ? 'acme' : 'globex', 'ORD.Lines': i } },
      });
    }
    await h.at(9).receive('c9', ['out'], { context: { written: { 'ORD.Lines': '1' } } });
    const db = await h.view(trackingView);
    await h.view(propertiesView, 500, db);

    const ids = (filter: Parameters<typeof findMessages>[1]) => findMessages(db, filter).items.map((m) => m.messageId);
    expect(ids({ property: { name: 'ORD.Customer', value: 'acme' } })).toEqual(['c4', 'c2', 'c0']);
    expect(ids({ property: { name: 'ORD.Lines', value: 1 } })).toEqual(['c1']);
    expect(ids({ property: { name: 'ORD.Lines', value: '1' } })).toEqual(['c9']);
    expect(ids({ property: { name: 'ORD.Customer', value: 'acme' }, receivedFrom: new Date(ms(1)) })).toEqual([
      'c4',
      'c2',
    ]);

    const first = findMessages(db, { property: { name: 'ORD.Customer', value: 'acme' } }, { limit: 2 });
    expect(first.items.map((m) => m.messageId)).toEqual(['c4', 'c2']);
    const second = findMessages(
      db,
      { property: { name: 'ORD.Customer', value: 'acme' } },
      { limit: 2, cursor: first.nextCursor! },
    );
    expect(second).toEqual({
      items: [expect.objectContaining({ messageId: 'c0', receivedAt: new Date(ms(0)).toISOString() })],
    });
    expect(() => findMessages(db, {}, { cursor: 'bm90LWEtY3Vyc29y' })).toThrow(InvalidQuery);
    expect(() => findMessages(db, {}, { limit: 0 })).toThrow(InvalidQuery);
  });
});
