import { z } from 'zod';
import { defineContextNamespace } from '../../domain/context/index.js';

/**
 * The POP3 adapter's context properties. The addresses, the subject and the Message-ID are
 * promoted (subscriptions route on them); the rest are written. Address lists hold the bare
 * addresses, `, `-separated (`a@example.com, b@example.com`), so a filter compares addresses,
 * not display names.
 */
export const POP3 = defineContextNamespace('POP3', {
  From: z.string(),
  To: z.string(),
  Cc: z.string(),
  ReplyTo: z.string(),
  Subject: z.string(),
  /** The Message-ID header, with its angle brackets (`<abc@example.com>`). */
  MessageID: z.string().min(1),
  /** The Date header (ISO 8601, UTC). */
  Date: z.iso.datetime({ offset: true }),
  /** The server's unique id of the mail in the mailbox (UIDL). */
  Uidl: z.string().min(1),
  /** `user@host:port` of the mailbox it came from. */
  Mailbox: z.string().min(1),
  /** Size in octets as the server listed it. */
  Size: z.number().int().nonnegative(),
  /** Attachments that became message parts. */
  AttachmentCount: z.number().int().nonnegative(),
  /** False when the mail was too large to decode and its whole raw form is the body. */
  Decoded: z.boolean(),
});
