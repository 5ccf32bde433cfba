import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { findMessages, type MessageFilter } from '../../../src/projections/queries/messages.js';
import { trackingView } from '../../../src/projections/views/tracking.js';
import { History, ms } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

/** Six messages from two locations, in every state a busy hour leaves them. */
async function busyHour() {
  const h = new History();
  await h.at(0).receive('a', ['erp'], { location: 'ftp-in' });
  await h.at(1).receive('b', ['erp', 'crm'], { location: 'mq-orders' });
  await h.at(2).receive('c', [], { location: 'mq-orders' });
  await h.at(3).receive('d', ['crm'], { location: 'ftp-in' });
  await h.at(4).receive('e', ['erp'], { location: 'ftp-in' });
  await h.at(5).claim('a', 'erp');
  await h.at(6).sent('a', 'erp');
  await h.at(7).claim('b', 'erp');
  await h.at(8).sent('b', 'erp');
  await h.at(9).claim('b', 'crm');
  await h.at(10).fail('b', 'crm');
  await h.at(11).claim('d', 'crm');
  await h.at(12).fail('d', 'crm', 'HTTP_400', false, false);
  await h.at(13).claim('e', 'erp');
  return h.view(trackingView);
}

describe('finding messages in the tracking view', () => {
  it('finds by status, receive location, port and port status, and time range, newest first', async () => {
    const db = await busyHour();
    const ids = (filter: MessageFilter) => findMessages(db, filter).items.map((m) => [m.messageId, m.status]);
    expect(ids({})).toEqual([
      ['e', 'sending'],
      ['d', 'suspended'],
      ['c', 'unroutable'],
      ['b', 'retrying'],
      ['a', 'sent'],
    ]);
    expect(ids({ status: 'suspended' })).toEqual([['d', 'suspended']]);
    expect(ids({ receiveLocation: 'ftp-in' })).toEqual([
      ['e', 'sending'],
      ['d', 'suspended'],
      ['a', 'sent'],
    ]);
    expect(ids({ port: 'erp' })).toEqual([
      ['e', 'sending'],
      ['b', 'retrying'],
      ['a', 'sent'],
    ]);
    expect(ids({ port: 'erp', portStatus: 'sent' })).toEqual([
      ['b', 'retrying'],
      ['a', 'sent'],
    ]);
    expect(ids({ port: 'crm', receiveLocation: 'mq-orders' })).toEqual([['b', 'retrying']]);
    expect(ids({ receivedFrom: new Date(ms(1)), receivedBefore: new Date(ms(4)) })).toEqual([
      ['d', 'suspended'],
      ['c', 'unroutable'],
      ['b', 'retrying'],
    ]);
  });

  it('pages with a cursor until the last page, which has none', async () => {
    const db = await busyHour();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = findMessages(db, {}, { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((m) => m.messageId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(seen).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(pages).toBe(3);
  });
});
