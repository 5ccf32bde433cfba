/**
 * The `hash` column holds the 32 bytes, not the 64 hex digits: a row of a typical ~1.3 KB event
 * then still fits three to a 4 KB page, where hex text made it two and cost a third more pages
 * (and WAL frames) per append. In JS hashes are hex strings, as everywhere else.
 */
export function fromHashColumn(stored: Buffer | null): string | null {
  return stored === null ? null : stored.toString('hex');
}
