import { streams } from '../../domain/streams.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import type { Sealed } from './seal.js';

/** The stream of the master key ids and rotations; no secret name can make it (they start alphanumeric). */
export const masterStream = streams.secret('_master-key');

export interface MasterState {
  /** The key every secret is sealed under when no rotation runs; undefined before the first secret. */
  readonly current?: string;
  readonly rotation?: { readonly fromKeyId: string; readonly toKeyId: string };
  readonly revision?: bigint;
}

export async function readMaster(store: EventStore): Promise<MasterState> {
  let state: MasterState = {};
  for (const event of await store.readStream(masterStream)) {
    const revision = event.revision;
    switch (event.type) {
      case 'MasterKeyInitialized':
        state = { current: event.data.keyId, revision };
        break;
      case 'MasterKeyRotationStarted':
        state = { ...state, rotation: { fromKeyId: event.data.fromKeyId, toKeyId: event.data.toKeyId }, revision };
        break;
      case 'MasterKeyRotationCompleted':
        state = { current: event.data.toKeyId, revision };
        break;
      default:
        state = { ...state, revision };
    }
  }
  return state;
}

/** The key new values are sealed under: the rotation's target while one runs. */
export function writeKeyId(state: MasterState): string | undefined {
  return state.rotation?.toKeyId ?? state.current;
}

export interface SecretState extends Sealed {
  readonly name: string;
  readonly version: number;
  readonly keyId: string;
  /** When the latest value was set, and by whom (re-sealing does not change the value). */
  readonly updatedAt: Date;
  readonly updatedBy: string;
  readonly revision: bigint;
}

/** Folds a secret's events (in stream order) into its latest sealed value. */
export function foldSecret(events: readonly RecordedEvent[]): SecretState | undefined {
  let state: SecretState | undefined;
  for (const event of events) {
    if (event.type === 'SecretSet') {
      const { name, version, keyId, iv, ciphertext, tag } = event.data;
      state = {
        name,
        version,
        keyId,
        iv,
        ciphertext,
        tag,
        updatedAt: event.recordedAt,
        updatedBy: event.metadata.actor,
        revision: event.revision,
      };
    } else if (event.type === 'SecretReencrypted' && state) {
      const { keyId, iv, ciphertext, tag } = event.data;
      state = { ...state, keyId, iv, ciphertext, tag, revision: event.revision };
    }
  }
  return state;
}

export async function readSecret(store: EventStore, name: string): Promise<SecretState | undefined> {
  return foldSecret(await store.readStream(streams.secret(name)));
}

/** Every secret's latest state, by name. */
export async function readAllSecrets(store: EventStore): Promise<SecretState[]> {
  const byStream = new Map<string, RecordedEvent[]>();
  for await (const event of store.readAll({
    filter: { streamPrefixes: ['secret-'], eventTypes: ['SecretSet', 'SecretReencrypted'] },
  })) {
    const list = byStream.get(event.streamId) ?? [];
    list.push(event);
    byStream.set(event.streamId, list);
  }
  return [...byStream.values()]
    .map((events) => foldSecret(events))
    .filter((s): s is SecretState => s !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
