/**
 * Compiles a file mask (`*.xml`, `order-??.json`, `[ab]*.csv`) to a matcher for one file name.
 * `*` and `?` never match a leading dot, as in a shell, so hidden files (and the adapter's own
 * `.…sbtmp` temporary names) stay out of `*`.
 */
export function compileMask(mask: string): (name: string) => boolean {
  let source = '';
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = mask.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        let set = mask.slice(i + 1, end);
        const negated = set.startsWith('!');
        if (negated) set = set.slice(1);
        source += `[${negated ? '^' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  const pattern = new RegExp(`^${source}$`, 'u');
  const wildcardFirst = mask.startsWith('*') || mask.startsWith('?') || mask.startsWith('[');
  return (name) => pattern.test(name) && !(wildcardFirst && name.startsWith('.'));
}
