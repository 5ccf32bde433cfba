import { z } from 'zod';
import { defineContextNamespace } from '../../domain/context/index.js';

const oneLine = z.string().refine((s) => !/[\r\n]/.test(s), 'must not contain a line break');

/**
 * The SMTP adapter's context properties: what a send port puts in the mail's headers, taking
 * precedence over the port's settings. Open, because `SMTP.Header.<name>` adds any other header.
 */
export const SMTP = defineContextNamespace(
  'SMTP',
  {
    From: oneLine,
    /** Comma-separated addresses. */
    To: oneLine,
    Cc: oneLine,
    Bcc: oneLine,
    ReplyTo: oneLine,
    Subject: oneLine,
    /** Set on the way out: the Message-ID the mail was sent with. */
    MessageID: oneLine,
  },
  { open: true },
);

/** `SMTP.Header.<name>`: one more header of the mail (`X-Order-Id`, …). */
export const HEADER_PREFIX = 'SMTP.Header.';
