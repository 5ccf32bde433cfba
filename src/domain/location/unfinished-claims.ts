import type { EventOf, SignalboxEvent } from '../events/index.js';

export type LocationClaim = EventOf<'FileClaimed'> | EventOf<'MailClaimed'> | EventOf<'QueueMessageClaimed'>;

const claimTypes = new Set(['FileClaimed', 'MailClaimed', 'QueueMessageClaimed']);
const completionTypes = new Set(['FileCompleted', 'MailCompleted', 'QueueMessageCompleted']);

/**
 * The claims on a location stream that no completion followed, oldest first: an earlier holder
 * claimed an item (a file, a mail, a queue message) and died before it removed the item from its
 * source. A claim and its completion share the message id the claim derived. A checkpoint lists
 * the claims open where it stands, so the history may start at one.
 */
export function unfinishedClaims(history: readonly SignalboxEvent[]): LocationClaim[] {
  const open = new Map<string, LocationClaim>();
  for (const event of history) {
    if (claimTypes.has(event.type)) {
      const claim = event as LocationClaim;
      open.set(claim.data.messageId, claim);
    } else if (completionTypes.has(event.type)) {
      open.delete((event.data as { messageId: string }).messageId);
    } else if (event.type === 'ClaimsCheckpointed') {
      open.clear();
      for (const claim of event.data.open) open.set(claim.data.messageId, claim);
    }
  }
  return [...open.values()];
}
