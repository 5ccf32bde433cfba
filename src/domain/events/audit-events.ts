import { z } from 'zod';
import { defineEvent } from './define.js';

const position = z.string().regex(/^\d+$/);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * An audit anchor (docs/audit.md), written to `audit-anchors`: it seals the global order of the
 * events after the previous anchor up to a position, so that deleting a stream's last event or
 * reordering events of different streams, which no per-stream hash chain can show, is caught.
 * Streams with retention metadata are left out (their old events are removed legitimately).
 */
export const AuditAnchored = defineEvent(
  'AuditAnchored',
  1,
  z.object({
    /** The previous anchor's `upTo` ("0" for the first anchor): this one covers positions after it. */
    after: position,
    /** The last position this anchor covers. */
    upTo: position,
    /** How many events it covers. */
    count: z.number().int().nonnegative(),
    /** The previous anchor's `anchorHash`; 64 zeros for the first anchor. */
    previousAnchorHash: sha256Hex,
    /** sha256 over `previousAnchorHash`, `after`, `upTo`, `count` and the covered events' hashes in order. */
    anchorHash: sha256Hex,
    /**
     * One `tag:revision:fingerprint` per covered event, in order, space-separated: the first 8
     * hex digits of sha256(stream name), the revision, the first 6 hex digits of the event's hash.
     * Not needed to check the anchor; they let verify name the event that is missing or moved.
     */
    entries: z.string(),
  }),
);
