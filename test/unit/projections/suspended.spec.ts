import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  groupSuspended,
  listSuspended,
  suspendedByErrorCode,
  suspendedByPort,
} from '../../../src/projections/queries/suspended.js';
import { suspendedView } from '../../../src/projections/views/suspended.js';
import { runMessageCommand } from '../../../src/workers/message-commands.js';
import { resumeMessage, terminateMessage } from '../../../src/workers/operations.js';
import { History, inlineBody, iso } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const noSubscriptions = () => ({ subscriptions: [], enabledPorts: new Set<string>() });

/** One message suspended at each stage the engine suspends at. */
async function suspendedQueue() {
  const h = new History();
  await h.at(0).receive('unroutable', [], { location: 'mq-orders' });
  await h.at(1).receive('send-1', ['erp'], { location: 'ftp-in' });
  await h.at(2).receive('send-2', ['erp'], { location: 'ftp-in' });
  await h.at(3).receive('request', ['mq-request'], { location: 'mq-orders' });
  // A pipeline failure: recorded with no routing and suspended at the receive stage.
  await h.at(4).appendAll('message-pipe', [
    {
      type: 'MessageReceived',
      data: {
        messageId: 'pipe',
        receiveLocation: 'sftp-in',
        adapter: 'sftp',
        body: inlineBody('<order'),
        context: { promoted: {}, written: {} },
        routing: { sendPorts: [], subscriptions: [] },
      },
    },
    {
      type: 'MessageSuspended',
      data: {
        messageId: 'pipe',
        stage: 'receive',
        reason: { code: 'XML_NOT_WELL_FORMED', message: 'unexpected end of input', retryable: false },
      },
    },
  ]);
  await h.at(5).claim('send-1', 'erp');
  await h.at(6).fail('send-1', 'erp', 'HTTP_400', false, false);
  await h.at(7).claim('send-2', 'erp');
  await h.at(8).fail('send-2', 'erp', 'HTTP_400', false, false);
  await h.at(9).claim('request', 'mq-request');
  await h.at(10).sent('request', 'mq-request');
  h.at(70);
  await runMessageCommand(
    h.store,
    'request',
    () => ({ type: 'TimeOutCorrelation', port: 'mq-request', set: 'orders', key: 'request' }),
    { actor: 'worker:dispatcher' },
  );
  return h;
}

describe('suspended view', () => {
  it('lists every suspension with its stage, error, port and location, latest first', async () => {
    const h = await suspendedQueue();
    const db = await h.view(suspendedView);
    expect(listSuspended(db).items).toEqual([
      {
        messageId: 'request',
        port: 'mq-request',
        stage: 'correlation',
        error: {
          code: 'CORRELATION_TIMEOUT',
          message: 'no reply followed correlation orders/request in time',
          retryable: true,
        },
        receiveLocation: 'mq-orders',
        nextAttempt: 2,
        suspendedAt: iso(70),
        position: 17,
      },
      {
        messageId: 'send-2',
        port: 'erp',
        stage: 'send',
        error: { code: 'HTTP_400', message: 'HTTP_400 on attempt 1', retryable: false },
        receiveLocation: 'ftp-in',
        nextAttempt: null,
        suspendedAt: iso(8),
        position: 14,
      },
      {
        messageId: 'send-1',
        port: 'erp',
        stage: 'send',
        error: { code: 'HTTP_400', message: 'HTTP_400 on attempt 1', retryable: false },
        receiveLocation: 'ftp-in',
        nextAttempt: null,
        suspendedAt: iso(6),
        position: 11,
      },
      {
        messageId: 'pipe',
        port: null,
        stage: 'receive',
        error: { code: 'XML_NOT_WELL_FORMED', message: 'unexpected end of input', retryable: false },
        receiveLocation: 'sftp-in',
        nextAttempt: null,
        suspendedAt: iso(4),
        position: 8,
      },
      {
        messageId: 'unroutable',
        port: null,
        stage: 'route',
        error: { code: 'UNROUTABLE', message: 'no subscription matched the promoted properties', retryable: false },
        receiveLocation: 'mq-orders',
        nextAttempt: null,
        suspendedAt: iso(0),
        position: 3,
      },
    ]);
    expect(listSuspended(db, { port: null }).items.map((i) => i.messageId)).toEqual(['pipe', 'unroutable']);
    expect(listSuspended(db, { errorCode: 'HTTP_400' }, { limit: 1 }).nextCursor).toBeDefined();
  });

  it('groups by error code and by port, as Group Hub does', async () => {
    const db = await (await suspendedQueue()).view(suspendedView);
    expect(suspendedByErrorCode(db)).toEqual([
      { key: 'HTTP_400', count: 2, oldestAt: iso(6), newestAt: iso(8) },
      { key: 'CORRELATION_TIMEOUT', count: 1, oldestAt: iso(70), newestAt: iso(70) },
      { key: 'UNROUTABLE', count: 1, oldestAt: iso(0), newestAt: iso(0) },
      { key: 'XML_NOT_WELL_FORMED', count: 1, oldestAt: iso(4), newestAt: iso(4) },
    ]);
    expect(suspendedByPort(db)).toEqual([
      { key: null, count: 2, oldestAt: iso(0), newestAt: iso(4) },
      { key: 'erp', count: 2, oldestAt: iso(6), newestAt: iso(8) },
      { key: 'mq-request', count: 1, oldestAt: iso(70), newestAt: iso(70) },
    ]);
    expect(groupSuspended(db, 'receiveLocation').map((g) => [g.key, g.count])).toEqual([
      ['ftp-in', 2],
      ['mq-orders', 2],
      ['sftp-in', 1],
    ]);
  });

  it('removes a suspension when it is resumed or terminated', async () => {
    const h = await suspendedQueue();
    const db = await h.view(suspendedView);
    h.at(100);
    await resumeMessage(h.store, { messageId: 'send-1', port: 'erp', actor: 'user:alice' }, noSubscriptions);
    await terminateMessage(h.store, { messageId: 'send-2', port: 'erp', actor: 'user:alice' });
    await terminateMessage(h.store, { messageId: 'unroutable', actor: 'user:alice' });
    await resumeMessage(h.store, { messageId: 'request', port: 'mq-request', actor: 'user:alice' }, noSubscriptions);
    await h.at(101).claim('request', 'mq-request');
    await h.at(102).sent('request', 'mq-request');
    await h.view(suspendedView, 500, db);
    expect(listSuspended(db).items.map((i) => [i.messageId, i.stage])).toEqual([['pipe', 'receive']]);
    expect(suspendedByPort(db)).toEqual([{ key: null, count: 1, oldestAt: iso(4), newestAt: iso(4) }]);
  });
});
