import { hash } from 'node:crypto';

/**
 * The audit hash chain (docs/audit.md). Each event's hash covers its stored content and the hash
 * of the event before it in its stream, so an edit, a deletion or a reordering inside a stream
 * breaks the chain from that event on. It is computed in two steps so that the expensive one
 * (hashing the ~1 KB content) runs where the event is serialised, and only a short step runs
 * where the store assigns the revision and the time.
 */

/** The previous hash of a stream's first event, and of an event whose predecessor has no hash. */
export const GENESIS_HASH = '0'.repeat(64);

/** The stored content of an event that its writer already knows: everything but revision and time. */
export interface EventContent {
  readonly stream: string;
  readonly id: string;
  readonly type: string;
  /** The data exactly as stored: its JSON text. */
  readonly data: string;
  /** The metadata exactly as stored: its JSON text. */
  readonly metadata: string;
}

function field(value: string): string {
  return `${Buffer.byteLength(value)}:${value}`;
}

/**
 * sha256 (hex) over `len:stream len:id len:type len:data len:metadata` without separators, each
 * `len` the field's UTF-8 length in bytes, so no two different contents encode alike.
 */
export function contentDigest(content: EventContent): string {
  return hash(
    'sha256',
    field(content.stream) + field(content.id) + field(content.type) + field(content.data) + field(content.metadata),
  );
}

/**
 * sha256 (hex) over `previous + digest + revision + "\n" + recordedAt`: two 64-digit hex values
 * then two decimal numbers (the revision, and the recording time in ms since the epoch).
 */
export function chainHash(previous: string, digest: string, revision: number | bigint, recordedAt: number): string {
  return hash('sha256', `${previous}${digest}${revision}\n${recordedAt}`);
}

/** `chainHash` as its 32 bytes, for a store that keeps them as such. */
export function chainHashBytes(previous: string, digest: string, revision: number, recordedAt: number): Buffer {
  return hash('sha256', `${previous}${digest}${revision}\n${recordedAt}`, 'buffer');
}

/** Both steps at once: the hash an event must carry. */
export function eventHash(
  previous: string,
  content: EventContent,
  revision: number | bigint,
  recordedAt: number,
): string {
  return chainHash(previous, contentDigest(content), revision, recordedAt);
}
