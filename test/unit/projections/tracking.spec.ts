import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileSubscriptions } from '../../../src/domain/routing/route.js';
import { getMessage } from '../../../src/projections/queries/message-detail.js';
import { portCounts } from '../../../src/projections/queries/port-counts.js';
import { trackingView } from '../../../src/projections/views/tracking.js';
import { resumeMessage, terminateMessage } from '../../../src/workers/operations.js';
import { replayMessages } from '../../../src/workers/replay.js';
import { dump, History, iso, ms } from './history.js';
import { vi } from 'vitest';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const out = 'orders-out';
const noSubscriptions = () => ({ subscriptions: [], enabledPorts: new Set<string>() });

describe('tracking view', () => {
  it('follows retries, the backup transport, a suspension, a resume and the final send', async () => {
    const h = new History();
    await h.at(0).receive('m1', [out]);
    await h.at(1).claim('m1', out);
    await h.at(2).fail('m1', out, 'MQRC_Q_FULL', true);
    const db = await h.view(trackingView);
    expect(getMessage(db, 'm1')?.message).toMatchObject({ status: 'retrying', attempts: 1, completedAt: null });

    await h.at(3).claim('m1', out);
    await h.at(4).fail('m1', out, 'MQRC_Q_FULL', true); // retries used up: the backup transport next
    await h.at(5).claim('m1', out);
    await h.at(6).fail('m1', out, 'MQRC_Q_FULL', true);
    await h.at(7).claim('m1', out);
    await h.view(trackingView, 500, db);
    expect(getMessage(db, 'm1')?.message.status).toBe('sending');
    expect(portCounts(db, out)).toEqual([
      { port: out, routed: 1, pending: 0, sending: 1, retrying: 0, sent: 0, suspended: 0, terminated: 0 },
    ]);

    await h.at(8).fail('m1', out, 'MQRC_Q_FULL', true); // backup's retries used up too: suspended
    await h.view(trackingView, 500, db);
    const suspended = getMessage(db, 'm1')!;
    expect(suspended.message).toMatchObject({
      status: 'suspended',
      attempts: 4,
      lastError: { code: 'MQRC_Q_FULL', message: 'MQRC_Q_FULL on attempt 4' },
    });
    expect(suspended.ports[0]).toMatchObject({ status: 'suspended', attempts: 4, transport: 'backup' });
    expect(portCounts(db, out)[0]).toMatchObject({ sending: 0, suspended: 1 });

    h.at(20);
    expect(
      (
        await resumeMessage(
          h.store,
          { messageId: 'm1', port: out, actor: 'user:alice', note: 'queue drained' },
          noSubscriptions,
        )
      ).ok,
    ).toBe(true);
    await h.at(21).claim('m1', out);
    await h.at(22).sent('m1', out, 'QM1/ORDERS.OUT');
    await h.view(trackingView, 500, db);

    expect(getMessage(db, 'm1')).toEqual({
      message: {
        messageId: 'm1',
        status: 'sent',
        receiveLocation: 'mq-orders',
        receivePort: 'orders',
        adapter: 'mq',
        sourceKey: 'src-m1',
        batchId: null,
        receivedAt: iso(0),
        completedAt: iso(22),
        attempts: 5,
        lastError: { code: 'MQRC_Q_FULL', message: 'MQRC_Q_FULL on attempt 4' },
        suspendedStage: null,
        replayOf: null,
        replayId: null,
        requestMessageId: null,
        replyMessageId: null,
        updatedAt: iso(22),
      },
      ports: [
        {
          port: out,
          status: 'sent',
          previousStatus: 'sending',
          attempts: 5,
          transport: 'primary',
          address: 'QM1/ORDERS.OUT',
          lastError: { code: 'MQRC_Q_FULL', message: 'MQRC_Q_FULL on attempt 4' },
          nextRetryAt: null,
          sentAt: iso(22),
          updatedAt: iso(22),
        },
      ],
      timeline: [
        {
          position: 1,
          at: iso(0),
          step: 'receive',
          port: null,
          detail: { location: 'mq-orders', adapter: 'mq', sourceKey: 'src-m1' },
        },
        {
          position: 1,
          at: iso(0),
          step: 'route',
          port: null,
          detail: { sendPorts: [out], subscriptions: [`sub-${out}`] },
        },
        { position: 2, at: iso(1), step: 'claim', port: out, detail: { attempt: 1, worker: 'w1' } },
        {
          position: 3,
          at: iso(2),
          step: 'fail',
          port: out,
          detail: {
            attempt: 1,
            transport: 'primary',
            error: { code: 'MQRC_Q_FULL', message: 'MQRC_Q_FULL on attempt 1' },
            nextRetryAt: iso(3),
          },
        },
        { position: 4, at: iso(3), step: 'claim', port: out, detail: { attempt: 2, worker: 'w1' } },
        {
          position: 5,
          at: iso(4),
          step: 'fail',
          port: out,
          detail: {
            attempt: 2,
            transport: 'primary',
            error: { code: 'MQRC_Q_FULL', message: 'MQRC_Q_FULL on attempt 2' },
            nextRetryAt: iso(4),
            nextTransport: 'backup',
          },
        },
        { position: 6, at: iso(5), step: 'claim', port: out, detail: { attempt: 3, worker: 'w1' } },
        {
          position: 7,
          at: iso(6),
          step: 'fail',
          port: out,
          detail: {
            attempt: 3,
            transport: 'backup',
            error: { code: 'MQRC_Q_FULL', message: 'MQRC_Q_FULL on attempt 3' },
            nextRetryAt: iso(7),
          },
        },
        { position: 8, at: iso(7), step: 'claim', port: out, detail: { attempt: 4, worker: 'w1' } },
        {
          position: 9,
          at: iso(8),
          step: 'fail',
          port: out,
          detail: {
            attempt: 4,
            transport: 'backup',
            error: { code: 'MQRC_Q_FULL', message: 'MQRC_Q_FULL on attempt 4' },
          },
        },
        {
          position: 10,
          at: iso(8),
          step: 'suspend',
          port: out,
          detail: { stage: 'send', code: 'MQRC_Q_FULL', message: 'MQRC_Q_FULL on attempt 4' },
        },
        { position: 11, at: iso(20), step: 'resume', port: out, detail: { note: 'queue drained' } },
        { position: 12, at: iso(21), step: 'claim', port: out, detail: { attempt: 5, worker: 'w1' } },
        {
          position: 13,
          at: iso(22),
          step: 'send',
          port: out,
          detail: { attempt: 5, transport: 'primary', durationMs: 12, address: 'QM1/ORDERS.OUT' },
        },
      ],
    });
    expect(portCounts(db)).toEqual([
      { port: out, routed: 1, pending: 0, sending: 0, retrying: 0, sent: 1, suspended: 0, terminated: 0 },
    ]);
  });

  it('shows an unroutable message, then routes it when resumed under a configuration that matches', async () => {
    const h = new History();
    await h.at(0).receive('m2', [], { context: { promoted: { 'ORD.Region': 'EU' } } });
    const db = await h.view(trackingView);
    expect(getMessage(db, 'm2')).toMatchObject({
      message: {
        status: 'unroutable',
        suspendedStage: 'route',
        lastError: { code: 'UNROUTABLE', message: 'no subscription matched the promoted properties' },
      },
      ports: [],
    });
    expect(getMessage(db, 'm2')!.timeline.map((t) => t.step)).toEqual(['receive', 'unroutable', 'suspend']);

    // Still nothing matches: the resume is refused and nothing is written.
    expect((await resumeMessage(h.store, { messageId: 'm2', actor: 'user:bob' }, noSubscriptions)).ok).toBe(false);

    const subscriptions = compileSubscriptions([
      { name: 'eu-orders', sendPort: 'eu-out', filter: "ORD.Region == 'EU'", enabled: true },
    ]);
    h.at(10);
    const resumed = await resumeMessage(h.store, { messageId: 'm2', actor: 'user:bob' }, () => ({
      subscriptions,
      enabledPorts: new Set(['eu-out']),
    }));
    expect(resumed.ok).toBe(true);
    await h.view(trackingView, 500, db);
    expect(getMessage(db, 'm2')).toMatchObject({
      message: { status: 'routed', suspendedStage: null, completedAt: null },
      ports: [{ port: 'eu-out', status: 'pending', attempts: 0 }],
    });
    expect(getMessage(db, 'm2')!.timeline.at(-1)).toEqual({
      position: 4,
      at: iso(10),
      step: 'resume',
      port: null,
      detail: { sendPorts: ['eu-out'] },
    });

    await h.at(11).claim('m2', 'eu-out');
    await h.at(12).sent('m2', 'eu-out');
    await h.view(trackingView, 500, db);
    expect(getMessage(db, 'm2')!.message).toMatchObject({ status: 'sent', completedAt: iso(12), attempts: 1 });
    expect(portCounts(db, 'eu-out')[0]).toMatchObject({ routed: 1, sent: 1, pending: 0 });
  });

  it('terminates a suspended send; a message with another send still sent is terminated once both end', async () => {
    const h = new History();
    await h.at(0).receive('m3', ['a', 'b']);
    await h.at(1).claim('m3', 'a');
    await h.at(2).sent('m3', 'a');
    await h.at(3).claim('m3', 'b');
    await h.at(4).fail('m3', 'b', 'HTTP_500', false, false); // not retryable: suspended at once
    const db = await h.view(trackingView);
    expect(getMessage(db, 'm3')!.message).toMatchObject({ status: 'suspended', completedAt: null });

    h.at(30);
    expect(
      (await terminateMessage(h.store, { messageId: 'm3', port: 'b', actor: 'user:carol', note: 'duplicate' })).ok,
    ).toBe(true);
    await h.view(trackingView, 500, db);
    const detail = getMessage(db, 'm3')!;
    expect(detail.message).toMatchObject({ status: 'terminated', completedAt: iso(30), attempts: 2 });
    expect(detail.ports.map((p) => [p.port, p.status])).toEqual([
      ['a', 'sent'],
      ['b', 'terminated'],
    ]);
    expect(detail.timeline.at(-1)).toEqual({
      position: 7,
      at: iso(30),
      step: 'terminate',
      port: 'b',
      detail: { note: 'duplicate' },
    });
    expect(portCounts(db).map((c) => [c.port, c.sent, c.suspended, c.terminated])).toEqual([
      ['a', 1, 0, 0],
      ['b', 0, 0, 1],
    ]);
  });

  it('links a request and its reply through the correlation, on both timelines', async () => {
    const h = new History();
    await h.at(0).receive('req', ['mq-request']);
    await h.at(1).claim('req', 'mq-request');
    // The send worker records the conversation before the send's outcome.
    await h.at(2).append('correlation-orders-req', 'CorrelationInitialized', {
      set: 'orders',
      key: 'req',
      messageId: 'req',
      port: 'mq-request',
      keySource: 'engine',
      expiresAt: iso(62),
    });
    await h.sent('req', 'mq-request');
    await h.at(5).receive('rep', ['crm-out'], {
      location: 'mq-replies',
      context: { promoted: { 'BTS.CorrelationSet': 'orders', 'BTS.RequestMessageID': 'req', 'MQMD.CorrelId': 'req' } },
    });
    await h.append('correlation-orders-req', 'CorrelationFollowed', {
      set: 'orders',
      key: 'req',
      messageId: 'rep',
      requestMessageId: 'req',
    });
    const db = await h.view(trackingView);
    const request = getMessage(db, 'req')!;
    const reply = getMessage(db, 'rep')!;
    expect(request.message).toMatchObject({ status: 'sent', replyMessageId: 'rep', requestMessageId: null });
    expect(reply.message).toMatchObject({ status: 'routed', requestMessageId: 'req', receiveLocation: 'mq-replies' });
    expect(request.timeline.map((t) => t.step)).toEqual(['receive', 'route', 'claim', 'correlate', 'send', 'reply']);
    expect(request.timeline[3]).toEqual({
      position: 3,
      at: iso(2),
      step: 'correlate',
      port: 'mq-request',
      detail: { set: 'orders', key: 'req', keySource: 'engine', expiresAt: iso(62) },
    });
    expect(request.timeline[5]).toEqual({
      position: 6,
      at: iso(5),
      step: 'reply',
      port: null,
      detail: { reply: 'rep', set: 'orders', key: 'req' },
    });
    expect(reply.timeline.map((t) => [t.step, t.detail])).toEqual([
      ['receive', { location: 'mq-replies', adapter: 'mq', sourceKey: 'src-rep' }],
      ['route', { sendPorts: ['crm-out'], subscriptions: ['sub-crm-out'] }],
      ['reply-to', { request: 'req', set: 'orders', key: 'req' }],
    ]);
  });

  it('tracks a replayed copy as a message of its own, linked to its original', async () => {
    const h = new History();
    await h.at(0).receive('orig', [out]);
    await h.at(1).claim('orig', out);
    await h.at(2).sent('orig', out);
    h.at(50);
    const [item] = await replayMessages(h.store, {
      replayId: 'r-1',
      messageIds: ['orig'],
      toPort: 'archive-out',
      knownPorts: new Set([out, 'archive-out']),
      actor: 'user:dana',
    });
    const db = await h.view(trackingView);
    const copy = getMessage(db, item!.copy!)!;
    expect(copy.message).toMatchObject({ status: 'routed', replayOf: 'orig', replayId: 'r-1', receivedAt: iso(50) });
    expect(copy.ports.map((p) => p.port)).toEqual(['archive-out']);
    expect(copy.timeline.map((t) => t.step)).toEqual(['receive', 'route', 'replay-of']);
    expect(getMessage(db, 'orig')!.timeline.at(-1)).toEqual({
      position: 5,
      at: iso(50),
      step: 'replay',
      port: 'archive-out',
      detail: { copy: item!.copy, replayId: 'r-1' },
    });
    expect(getMessage(db, 'orig')!.message.status).toBe('sent');
  });

  it('comes out the same followed event by event as rebuilt in one pass', async () => {
    const h = new History();
    await h.at(0).receive('x1', ['a', 'b']);
    await h.at(1).receive('x2', []);
    await h.at(2).claim('x1', 'a');
    await h.at(3).fail('x1', 'a');
    await h.at(4).claim('x1', 'a');
    await h.at(5).fail('x1', 'a');
    await h.at(6).claim('x1', 'b');
    await h.at(7).sent('x1', 'b');
    h.at(8);
    await resumeMessage(h.store, { messageId: 'x1', port: 'a', actor: 'user:alice' }, noSubscriptions);
    await terminateMessage(h.store, { messageId: 'x2', actor: 'user:alice' });
    const followed = await h.view(trackingView, 1);
    const rebuilt = await h.view(trackingView, 10_000);
    expect(dump(rebuilt, trackingView)).toEqual(dump(followed, trackingView));
    expect(getMessage(followed, 'x2')!.message).toMatchObject({ status: 'terminated', completedAt: iso(8) });
    expect(ms(8)).toBe(Date.parse(iso(8)));
  });
});
