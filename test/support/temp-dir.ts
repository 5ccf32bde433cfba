import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder for one test file; removed by the returned cleanup. */
export function tempDir(label: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `signalbox-${label}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
