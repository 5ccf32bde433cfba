import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditLog } from '../../../src/projections/queries/audit.js';
import { auditLogView } from '../../../src/projections/views/audit-log.js';
import { resumeMessage, terminateMessage } from '../../../src/workers/operations.js';
import { replayMessages } from '../../../src/workers/replay.js';
import { History, iso } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const noSubscriptions = () => ({ subscriptions: [], enabledPorts: new Set<string>() });

describe('audit log view', () => {
  it('records every operator action with its actor, target and detail, and nothing the workers did', async () => {
    const h = new History();
    await h.at(0).append(
      'config-send-port-erp',
      'ConfigDefined',
      {
        kind: 'send-port',
        name: 'erp',
        definition: { adapter: 'http' },
      },
      'user:alice',
    );
    await h.at(1).receive('m1', ['erp']);
    await h.at(2).claim('m1', 'erp');
    await h.at(3).fail('m1', 'erp', 'HTTP_503', false, false);
    await h.at(4).receive('m2', []);
    h.at(10);
    await resumeMessage(
      h.store,
      { messageId: 'm1', port: 'erp', actor: 'user:bob', note: 'ERP is back' },
      noSubscriptions,
    );
    h.at(11);
    await terminateMessage(h.store, { messageId: 'm2', actor: 'token:ops-api' });
    await h.at(12).append('config-send-port-erp', 'ConfigDisabled', { kind: 'send-port', name: 'erp' }, 'user:alice');
    h.at(13);
    const [copy] = await replayMessages(h.store, {
      replayId: 'r-7',
      messageIds: ['m1'],
      knownPorts: new Set(['erp']),
      actor: 'user:carol',
    });
    const db = await h.view(auditLogView);

    expect(auditLog(db).items).toEqual([
      {
        position: 13,
        at: iso(13),
        actor: 'user:carol',
        action: 'MessageReplayed',
        targetKind: 'message',
        target: 'm1',
        streamId: `message-${copy!.copy}`,
        detail: { copy: copy!.copy, replayId: 'r-7', sendPort: 'erp' },
      },
      // The copy's receipt (position 12) was written by the operator too; the replay is its one entry.
      {
        position: 11,
        at: iso(12),
        actor: 'user:alice',
        action: 'ConfigDisabled',
        targetKind: 'config',
        target: 'send-port/erp',
        streamId: 'config-send-port-erp',
        detail: null,
      },
      {
        position: 10,
        at: iso(11),
        actor: 'token:ops-api',
        action: 'MessageTerminated',
        targetKind: 'message',
        target: 'm2',
        streamId: 'message-m2',
        detail: {},
      },
      {
        position: 9,
        at: iso(10),
        actor: 'user:bob',
        action: 'MessageResumed',
        targetKind: 'message',
        target: 'm1',
        streamId: 'message-m1',
        detail: { port: 'erp', note: 'ERP is back' },
      },
      {
        position: 1,
        at: iso(0),
        actor: 'user:alice',
        action: 'ConfigDefined',
        targetKind: 'config',
        target: 'send-port/erp',
        streamId: 'config-send-port-erp',
        detail: { definition: { adapter: 'http' } },
      },
    ]);

    expect(auditLog(db, { actor: 'user:alice' }).items.map((e) => e.action)).toEqual([
      'ConfigDisabled',
      'ConfigDefined',
    ]);
    expect(auditLog(db, { targetKind: 'message', target: 'm1' }).items.map((e) => e.action)).toEqual([
      'MessageReplayed',
      'MessageResumed',
    ]);
    expect(
      auditLog(db, { from: new Date(Date.parse(iso(11))), before: new Date(Date.parse(iso(13))) }).items.map(
        (e) => e.position,
      ),
    ).toEqual([11, 10]);
    const first = auditLog(db, {}, { limit: 3 });
    expect(auditLog(db, {}, { limit: 3, cursor: first.nextCursor! }).items.map((e) => e.position)).toEqual([9, 1]);
  });
});
