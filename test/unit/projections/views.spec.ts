import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decide, foldLease, type LeaseCommand } from '../../../src/domain/lease/index.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { allViews, viewByName } from '../../../src/projections/views/index.js';
import { makeEvent } from '../../../src/store/make-event.js';
import { resumeMessage, terminateMessage } from '../../../src/workers/operations.js';
import { replayMessages } from '../../../src/workers/replay.js';
import { dump, History } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const noSubscriptions = () => ({ subscriptions: [], enabledPorts: new Set<string>() });

async function lease(h: History, command: LeaseCommand): Promise<void> {
  const stream = `lease-${command.resource}`;
  const events = await h.store.readStream(stream);
  await h.store.append(
    stream,
    decide(command, foldLease(events)).map((e) => makeEvent(e.type, e.data, { actor: command.holder })),
    events.at(-1)?.revision ?? 'no_stream',
  );
}

/** Retries, suspensions, resumes, terminations, an unroutable message, a failover, config changes, a replay. */
async function mixedHistory(): Promise<History> {
  const h = new History();
  let t = 0;
  const next = () => h.at(++t);
  await lease(next(), { type: 'Acquire', resource: 'port-ledger', holder: 'host-a/1', ttlMs: 2000 });
  await next().append(
    'config-send-port-erp',
    'ConfigDefined',
    { kind: 'send-port', name: 'erp', definition: {} },
    'user:a',
  );
  for (let i = 0; i < 12; i++) {
    const id = `m${i}`;
    await next().receive(id, i % 5 === 4 ? [] : i % 3 === 0 ? ['erp', 'ledger'] : ['erp'], {
      context: { promoted: { 'ORD.Customer': `c${i % 3}` }, written: { 'ORD.Lines': i } },
    });
    if (i % 5 === 4) continue;
    await next().claim(id, 'erp');
    if (i % 4 === 1) {
      await next().fail(id, 'erp');
      await next().claim(id, 'erp');
      await next().fail(id, 'erp', 'HTTP_503', false, false);
      if (i === 1) await resumeMessage(h.store, { messageId: id, port: 'erp', actor: 'user:ops' }, noSubscriptions);
      else await terminateMessage(h.store, { messageId: id, port: 'erp', actor: 'user:ops' });
      if (i === 1) {
        await next().claim(id, 'erp');
        await next().sent(id, 'erp');
      }
    } else await next().sent(id, 'erp');
    if (i % 3 === 0) {
      await next().append('port-ledger', 'MessageEnqueued', {
        port: 'ledger',
        messageId: id,
        sequence: i / 3,
        routedAt: '1',
      });
    }
  }
  await lease(next(), {
    type: 'TakeOver',
    resource: 'port-ledger',
    holder: 'host-b/1',
    ttlMs: 2000,
    observedExpired: true,
  });
  // host-a/1 was killed: it stops beating and never records its stop; host-b/1 takes over.
  for (const instance of ['host-a/1', 'host-b/1']) {
    await next().append(
      'host-default',
      'HostInstanceStarted',
      { host: 'default', instance, pid: 7, hostname: 'node-1', version: '1.0.0', heartbeatMs: 1000 },
      `worker:${instance}`,
    );
    await next().append(
      `hostbeat-${instance}`,
      'HostInstanceAlive',
      { host: 'default', instance },
      `worker:${instance}`,
    );
  }
  await next().append(
    'hostbeat-host-b/1',
    'HostInstanceAlive',
    { host: 'default', instance: 'host-b/1' },
    'worker:host-b/1',
  );
  await next().claim('m0', 'ledger', 'host-b/1');
  await next().sent('m0', 'ledger');
  await terminateMessage(next().store, { messageId: 'm4', actor: 'user:ops' });
  await next().append(
    'host-default',
    'HostInstanceStopped',
    { host: 'default', instance: 'host-b/1', reason: 'SIGTERM' },
    'worker:host-b/1',
  );
  await next().append('config-send-port-erp', 'ConfigDisabled', { kind: 'send-port', name: 'erp' }, 'user:a');
  await replayMessages(next().store, {
    replayId: 'r1',
    messageIds: ['m2', 'm3'],
    knownPorts: new Set(['erp']),
    actor: 'user:ops',
  });
  return h;
}

describe('views', () => {
  it('list every table they create with its primary key', () => {
    for (const view of allViews) {
      const db = openViewDatabase(':memory:');
      view.setup(db);
      view.setup(db); // setting up twice is harmless
      const tables = (
        db
          .prepare(
            `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('checkpoints', 'view_files', 'view_files_generation') ORDER BY name`,
          )
          .all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      expect(tables).toEqual(view.tables.map((t) => t.name).sort());
      for (const table of view.tables) {
        const pk = (db.prepare(`PRAGMA table_info(${table.name})`).all() as { name: string; pk: number }[])
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name);
        expect(pk, `${view.name}.${table.name}`).toEqual(table.key);
      }
      expect(viewByName(view.name)).toBe(view);
    }
    expect(viewByName('nonesuch')).toBeUndefined();
  });

  it('come out identical followed one event at a time and rebuilt in one pass, after a mixed history', async () => {
    const h = await mixedHistory();
    for (const view of allViews) {
      const followed = await h.view(view, 1);
      const rebuilt = await h.view(view, 100_000);
      expect(dump(rebuilt, view), view.name).toEqual(dump(followed, view));
      // and the view is not empty: the history reaches every view
      expect(
        Object.values(dump(rebuilt, view)).some((rows) => rows.length > 0),
        view.name,
      ).toBe(true);
    }
  });
});
