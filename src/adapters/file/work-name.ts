import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { MAX_NAME_BYTES } from './target-path.js';

/**
 * A taken file is renamed to `<stem>.<12 hex>.sbwork` in its own folder. The stem is the original
 * name, so a work file left by a crashed receiver still says which file it was; a name too long
 * to take the suffix is cut and given a hash of the whole name, so two long names stay distinct.
 */
export const WORK_SUFFIX = '.sbwork';
const WORK_NAME = /^([\s\S]+)\.([0-9a-f]{12})\.sbwork$/;
const SUFFIX_BYTES = 1 + 12 + WORK_SUFFIX.length;
const LONG_STEM_BYTES = 200;

export function stemOf(name: string): string {
  if (Buffer.byteLength(name) + SUFFIX_BYTES <= MAX_NAME_BYTES) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${truncateUtf8(name, LONG_STEM_BYTES)}~${hash}`;
}

export function workName(stem: string): string {
  return `${stem}.${randomBytes(6).toString('hex')}${WORK_SUFFIX}`;
}

/** The stem of a work name, or `undefined` when `name` is not one. */
export function stemOfWorkName(name: string): string | undefined {
  return WORK_NAME.exec(name)?.[1];
}

function truncateUtf8(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return out;
}
