import { describe, expect, it } from 'vitest';

import { countResults, exitCodeFor, formatCounts } from '../../scripts/count-results.mjs';

// The shape of vitest's `--reporter=json` output, cut down to what the count reads.
const report = {
  testResults: [
    {
      name: 'a.spec.ts',
      status: 'failed',
      assertionResults: [{ status: 'passed' }, { status: 'passed' }, { status: 'failed' }, { status: 'skipped' }],
    },
    { name: 'b.spec.ts', status: 'passed', assertionResults: [{ status: 'passed' }, { status: 'todo' }] },
    { name: 'c.spec.ts', status: 'passed', assertionResults: [{ status: 'pending' }] },
  ],
};

describe('countResults', () => {
  it('counts individual tests, with pending and todo as skipped', () => {
    expect(countResults(report)).toEqual({ passed: 3, failed: 1, skipped: 3 });
  });

  it('counts a file that failed to load (no tests) as one failure', () => {
    const broken = { testResults: [{ status: 'failed', message: 'SyntaxError', assertionResults: [] }] };
    expect(countResults(broken)).toEqual({ passed: 0, failed: 1, skipped: 0 });
  });

  it('counts a failed file whose tests all passed (a hook threw) as one failure', () => {
    const hook = { testResults: [{ status: 'failed', assertionResults: [{ status: 'passed' }] }] };
    expect(countResults(hook)).toEqual({ passed: 1, failed: 1, skipped: 0 });
  });

  it('does not add a failure for a failed file that already has failing tests', () => {
    const failing = {
      testResults: [{ status: 'failed', assertionResults: [{ status: 'failed' }, { status: 'failed' }] }],
    };
    expect(countResults(failing).failed).toBe(2);
  });

  it('counts nothing in an empty report', () => {
    expect(countResults({})).toEqual({ passed: 0, failed: 0, skipped: 0 });
  });
});

describe('formatCounts', () => {
  it('prints the closing line, with skipped only when some were skipped', () => {
    expect(formatCounts({ passed: 3, failed: 1, skipped: 0 })).toBe('3 passed, 1 failed');
    expect(formatCounts({ passed: 3, failed: 0, skipped: 2 })).toBe('3 passed, 0 failed, 2 skipped');
  });
});

describe('exitCodeFor', () => {
  it('passes only when nothing failed and something passed', () => {
    expect(exitCodeFor({ passed: 1, failed: 0 })).toBe(0);
    expect(exitCodeFor({ passed: 0, failed: 0 })).toBe(1);
    expect(exitCodeFor({ passed: 5, failed: 1 })).toBe(1);
  });
});
