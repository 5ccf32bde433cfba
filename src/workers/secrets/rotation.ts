import type { EventStore } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';
import { MasterKeyUnavailable } from './errors.js';
import type { Keyring } from './keyring.js';
import type { MasterKey } from './master-key.js';
import { masterStream, readMaster, type SecretState } from './secret-streams.js';

export interface RotationResult {
  /** Secrets sealed again by this run (an interrupted run's earlier work is not counted twice). */
  readonly reencrypted: number;
  readonly fromKeyId: string;
  readonly toKeyId: string;
}

export interface RotationContext {
  readonly store: EventStore;
  readonly keys: Keyring;
  list(): Promise<SecretState[]>;
  reseal(name: string, target: MasterKey): Promise<boolean>;
}

/**
 * Moves every secret to a new master key without ever being unable to open one:
 *
 * 1. The new key is made durable first (`master.key.new`, fsynced; or `SIGNALBOX_NEW_MASTER_KEY`),
 *    then `MasterKeyRotationStarted` records both key ids. From then on new values are sealed
 *    under the new key, and readers hold both keys.
 * 2. Each secret still under another key is opened and sealed again as `SecretReencrypted`
 *    (at the revision read, so a value set meanwhile is never overwritten); passes repeat
 *    until one finds nothing left.
 * 3. Only then does the new key file replace `master.key`, and `MasterKeyRotationCompleted`
 *    records the end. The old key is gone only after no secret needs it.
 *
 * Killed at any point, the next run finds the rotation begun and the new key waiting, and
 * carries on with that same key; a secret already moved is not moved again.
 */
export async function rotateMasterKey(
  context: RotationContext,
  actor: string,
  onProgress?: (done: number, total: number) => void,
): Promise<RotationResult> {
  const { store, keys } = context;
  keys.load();
  let master = await readMaster(store);
  if (master.current === undefined) {
    // No secret yet: record the key in use, so the rotation has a key to move from.
    const first = keys.initial();
    await store.append(masterStream, [makeEvent('MasterKeyInitialized', { keyId: first.id }, { actor })], 'no_stream');
    master = await readMaster(store);
  }
  let target: MasterKey;
  if (master.rotation) {
    const waiting = keys.find(master.rotation.toKeyId);
    if (!waiting) {
      throw new MasterKeyUnavailable(
        `an interrupted rotation to master key id ${master.rotation.toKeyId} cannot go on: that key is not available (${keys.pendingSource} must hold it)`,
      );
    }
    target = waiting;
  } else {
    const from = keys.require(master.current!, "this store's secrets");
    target = keys.rotationTarget();
    if (target.id === from.id) throw new MasterKeyUnavailable('the new master key is the master key in use');
    const secrets = (await context.list()).length;
    await store.append(
      masterStream,
      [makeEvent('MasterKeyRotationStarted', { fromKeyId: from.id, toKeyId: target.id, secrets }, { actor })],
      master.revision ?? 'no_stream',
    );
    master = await readMaster(store);
  }
  const fromKeyId = master.rotation!.fromKeyId;

  let reencrypted = 0;
  for (;;) {
    const all = await context.list();
    const stale = all.filter((s) => s.keyId !== target.id);
    let done = all.length - stale.length;
    onProgress?.(done, all.length);
    if (stale.length === 0) break;
    for (const secret of stale) {
      if (await context.reseal(secret.name, target)) reencrypted++;
      done++;
      onProgress?.(done, all.length);
    }
  }

  keys.promotePending();
  const now = await readMaster(store);
  await store.append(
    masterStream,
    [makeEvent('MasterKeyRotationCompleted', { fromKeyId, toKeyId: target.id, reencrypted }, { actor })],
    now.revision ?? 'no_stream',
  );
  keys.load();
  return { reencrypted, fromKeyId, toKeyId: target.id };
}
