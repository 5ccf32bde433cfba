import { createHash } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * Ids for messages the engine names itself are UUIDv7: time-ordered, so each new `message-{id}`
 * stream lands at the end of the store's (stream, revision) index instead of at a random page.
 */
export function newMessageId(): string {
  return v7();
}

/**
 * The id of a message whose source has a natural key (MQ MsgId, FTP claim, POP3 UIDL, JetStream
 * sequence, Idempotency-Key): the same source message always gets the same id, so its first
 * append, which expects `no_stream`, cannot succeed twice.
 */
export function messageIdFromSource(location: string, sourceKey: string): string {
  return createHash('sha256').update(location).update('\0').update(sourceKey).digest('hex').slice(0, 32);
}
