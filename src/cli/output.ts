/** Results go to stdout: one JSON document with --json, otherwise aligned columns. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

export function printTable<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): void {
  const cell = (v: unknown): string =>
    v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    `${values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')}\n`;
  process.stdout.write(line(columns));
  for (const row of cells) process.stdout.write(line(row));
}
