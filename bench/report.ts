import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where benchmark results go: one JSON file per benchmark, kept out of git. */
export const resultsDir = join(process.cwd(), 'bench', 'results');

/**
 * Prints a benchmark's result as a table (or, with `json`, as one JSON line on stdout) and always
 * writes it to `bench/results/<name>.json`.
 */
export function report(name: string, result: Record<string, unknown>, json: boolean): void {
  mkdirSync(resultsDir, { recursive: true });
  const text = JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  writeFileSync(join(resultsDir, `${name}.json`), `${text}\n`);
  if (json) {
    process.stdout.write(`${text}\n`);
    return;
  }
  const rows = Object.entries(result).map(
    ([k, v]) =>
      [k, typeof v === 'number' ? format(v) : typeof v === 'object' && v ? JSON.stringify(v) : String(v)] as const,
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${name}\n${'-'.repeat(width + 16)}\n`);
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v.padStart(14)}\n`);
}

function format(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
