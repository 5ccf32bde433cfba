import { z } from 'zod';
import { defineContextNamespace } from '../../domain/context/index.js';

const count = z.number().int().nonnegative();

/**
 * The NATS adapter's context properties. Open, because each message header becomes
 * `NATS.Header.<name>`, with names that come from the wire.
 */
export const NATS = defineContextNamespace(
  'NATS',
  {
    /** The subject the message was published to (promoted). */
    Subject: z.string().min(1),
    /** core: the reply subject of a request. */
    ReplyTo: z.string().min(1),
    /** jetstream: the stream, its sequence of this message, and the consumer that delivered it. */
    Stream: z.string().min(1),
    StreamSequence: count,
    Consumer: z.string().min(1),
    ConsumerSequence: count,
    /** jetstream: 1 on the first delivery, more when delivered again. */
    DeliveryCount: z.number().int().positive(),
    /** jetstream: when the stream stored the message (ISO 8601, UTC). */
    Timestamp: z.iso.datetime({ offset: true }),
  },
  { open: true },
);

/** `NATS.Header.<name>`: a message header (several values of one header are joined with `, `). */
export const HEADER_PREFIX = 'NATS.Header.';
