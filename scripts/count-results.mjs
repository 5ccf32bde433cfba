// Turns vitest's JSON report (`--reporter=json`) into the closing line of `npm test`.

const SKIPPED = new Set(['skipped', 'pending', 'todo', 'disabled']);

/**
 * Counts individual tests. A file that failed without any failing test in it (it did not load,
 * or a hook threw) counts as one failed test, so that it cannot pass unnoticed.
 * @param {{ testResults?: { status?: string, assertionResults?: { status?: string }[] }[] }} report
 * @returns {{ passed: number, failed: number, skipped: number }}
 */
export function countResults(report) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const file of report.testResults ?? []) {
    let failedInFile = 0;
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'passed') passed += 1;
      else if (test.status === 'failed') failedInFile += 1;
      else if (test.status !== undefined && SKIPPED.has(test.status)) skipped += 1;
    }
    if (file.status === 'failed' && failedInFile === 0) failedInFile = 1;
    failed += failedInFile;
  }
  return { passed, failed, skipped };
}

/**
 * `N passed, N failed`, with `, N skipped` when some were skipped.
 * @param {{ passed: number, failed: number, skipped: number }} counts
 */
export function formatCounts({ passed, failed, skipped }) {
  const line = `${passed} passed, ${failed} failed`;
  return skipped > 0 ? `${line}, ${skipped} skipped` : line;
}

/**
 * 0 when nothing failed and at least one test passed, else 1.
 * @param {{ passed: number, failed: number }} counts
 */
export function exitCodeFor({ passed, failed }) {
  return failed === 0 && passed > 0 ? 0 : 1;
}
