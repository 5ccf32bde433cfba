// Types for count-results.mjs, so TypeScript tests can import it.

export interface VitestJsonReport {
  testResults?: { status?: string; assertionResults?: { status?: string }[] }[];
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export function countResults(report: VitestJsonReport): Counts;
export function formatCounts(counts: Counts): string;
export function exitCodeFor(counts: Pick<Counts, 'passed' | 'failed'>): 0 | 1;
