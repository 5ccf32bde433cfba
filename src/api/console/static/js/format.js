// Shared wording and formats. Times are shown and entered in UTC, so that operators in different
// places, the logs and the API all speak of the same instant.

export const messageStatuses = [
  'received',
  'routed',
  'unroutable',
  'sending',
  'retrying',
  'sent',
  'suspended',
  'terminated',
];

/** Statuses that change on their own soon: a page showing one keeps itself up to date. */
export const movingStatuses = new Set(['received', 'routed', 'sending', 'retrying']);

/** `2026-11-22 03:04:05Z` from an ISO time; anything unparsable as it came. */
export function time(value) {
  if (value === undefined || value === null || value === '') return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A `datetime-local` field's value, read as UTC, as ISO 8601; empty stays empty. */
export function utcInput(value) {
  if (!value) return '';
  const date = new Date(`${value.length === 16 ? `${value}:00` : value}Z`);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** An ISO time as a `datetime-local` value in UTC (the reverse of utcInput). */
export function inputOfUtc(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 19);
}

/** An error summary (`{ code, message }` or a string) as one line. */
export function errorText(error) {
  if (!error) return '';
  if (typeof error === 'string') return error;
  const code = error.code ? `${error.code}: ` : '';
  return `${code}${error.message ?? ''}`;
}

/** A name made from the current UTC time, e.g. for a replay id. */
export function stamp(prefix) {
  return `${prefix}-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
}
