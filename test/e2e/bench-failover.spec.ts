import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../bin/signalbox.js', import.meta.url));
const dir = tempDir('bench-failover');
afterAll(() => dir.cleanup());

describe('signalbox bench failover (built CLI)', () => {
  it('kills the holder N times and prints the failover times, stale writes and false failovers as JSON', () => {
    const run = spawnSync(
      process.execPath,
      [bin, 'bench', 'failover', '--json', '--kills', '3', '--load-seconds', '2', '--ttl-ms', '1000'],
      { encoding: 'utf8', cwd: dir.path, timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim()) as Record<string, number>;
    expect(result).toMatchObject({ kills: 3, staleWritesAccepted: 0, loadSeconds: 2, ttlMs: 1000, workers: 3 });
    expect(run.stderr.match(/kill \d\/3: \d+ ms/g)).toHaveLength(3);
    // A dead holder is noticed no sooner than a renewal period short of the ttl, and not much later.
    expect(result.minMs).toBeGreaterThanOrEqual(1000 - result.renewEveryMs! - 50);
    expect(result.p50Ms).toBeLessThanOrEqual(result.p99Ms!);
    expect(result.p99Ms).toBeLessThan(3000);
    expect(result.falseFailovers).toBeGreaterThanOrEqual(0);
    expect(result.loadRenewals).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(dir.path, 'bench', 'results', 'failover.json'), 'utf8'))).toEqual(result);
  }, 60_000);
});
