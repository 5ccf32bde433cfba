/**
 * JSON Pointer (RFC 6901): `""` is the whole document, `/a/b` walks member `a` then `b`, `/lines/0`
 * takes the first array element; `~1` stands for `/` and `~0` for `~` inside a token.
 */

export type PointerParse = { ok: true; tokens: string[] } | { ok: false; reason: string };

export function parsePointer(pointer: string): PointerParse {
  if (pointer === '') return { ok: true, tokens: [] };
  if (!pointer.startsWith('/')) return { ok: false, reason: 'a JSON pointer starts with "/"' };
  const tokens: string[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    // A lone `~` or `~2` has no meaning in RFC 6901; guessing would resolve a different member.
    const bad = /~(?![01])/.exec(raw);
    if (bad) return { ok: false, reason: `"~" must be followed by 0 or 1 (in token "${raw}")` };
    // `~01` is `~1` literally, not `/`: unescape `~1` first, then `~0` (RFC 6901, section 4).
    tokens.push(raw.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return { ok: true, tokens };
}

export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((token) => '/' + token.replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

export type PointerResolution = { found: true; value: unknown } | { found: false; reason: string };

/** Follows `tokens` into a parsed JSON value; own members only, so `__proto__` finds nothing it was not given. */
export function resolvePointer(document: unknown, tokens: readonly string[]): PointerResolution {
  let current = document;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const at = () => formatPointer(tokens.slice(0, i)) || '(root)';
    if (Array.isArray(current)) {
      // RFC 6901: decimal without leading zeros; `-` names the element after the last, which never exists.
      if (!/^(0|[1-9][0-9]*)$/.test(token)) {
        return { found: false, reason: `${at()} is an array and "${token}" is not an index` };
      }
      const index = Number(token);
      if (index >= current.length) {
        return { found: false, reason: `${at()} has ${current.length} elements, no index ${token}` };
      }
      current = current[index];
    } else if (typeof current === 'object' && current !== null) {
      if (!Object.hasOwn(current, token)) return { found: false, reason: `${at()} has no member "${token}"` };
      current = (current as Record<string, unknown>)[token];
    } else {
      return { found: false, reason: `${at()} is ${describe(current)}, not an object or array` };
    }
  }
  return { found: true, value: current };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
