import { createHash, hash } from 'node:crypto';
import { streams } from '../domain/streams.js';

/** The stream the audit anchors are written to. */
export const ANCHOR_STREAM = streams.audit('anchors');

/** One covered event, as an anchor lists and hashes it. */
export interface AnchoredEvent {
  readonly stream: string;
  readonly revision: number | bigint;
  readonly hash: string;
}

/** The first 8 hex digits of sha256(stream name): enough to find the stream again among those verify saw. */
export function streamTag(stream: string): string {
  return hash('sha256', stream).slice(0, 8);
}

/** `tag:revision:fingerprint` (see `AuditAnchored.entries`); `tag` may look the stream's tag up in a cache. */
export function entryOf(event: AnchoredEvent, tag: (stream: string) => string = streamTag): string {
  return `${tag(event.stream)}:${event.revision}:${event.hash.slice(0, 6)}`;
}

/** `streamTag` remembering the tags it computed: a stream's events usually come close together. */
export function cachedStreamTag(): (stream: string) => string {
  const tags = new Map<string, string>();
  return (stream) => {
    let tag = tags.get(stream);
    if (tag === undefined) {
      if (tags.size >= 10_000) tags.clear();
      tag = streamTag(stream);
      tags.set(stream, tag);
    }
    return tag;
  };
}

export function parseEntry(entry: string): { tag: string; revision: number; fingerprint: string } | undefined {
  const match = /^([0-9a-f]{8}):(\d+):([0-9a-f]{6})$/.exec(entry);
  return match ? { tag: match[1]!, revision: Number(match[2]), fingerprint: match[3]! } : undefined;
}

/**
 * sha256 (hex) over `previousAnchorHash "\n" after "\n" upTo "\n" count "\n"` followed by the
 * covered events' hashes (64 hex digits each) in global order, without separators.
 */
export function anchorHash(
  previousAnchorHash: string,
  after: bigint | number | string,
  upTo: bigint | number | string,
  hashes: readonly string[],
): string {
  const digest = createHash('sha256').update(`${previousAnchorHash}\n${after}\n${upTo}\n${hashes.length}\n`);
  for (const h of hashes) digest.update(h);
  return digest.digest('hex');
}
