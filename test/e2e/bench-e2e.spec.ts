import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../bin/signalbox.js', import.meta.url));
const dir = tempDir('bench-e2e');
afterAll(() => dir.cleanup());

interface Phase {
  workers: number;
  published: number;
  arrived: number;
  lost: number;
  duplicates: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  eventsPerMessage: number;
  eventsByType: Record<string, number>;
}

describe('signalbox bench e2e (built CLI)', () => {
  it('runs the routed flow with 1 and 2 worker processes and the send-bound flow, and prints the issue’s JSON', () => {
    const run = spawnSync(
      process.execPath,
      [bin, 'bench', 'e2e', '--json', '--messages', '1500', '--rate', '500', '--scale-messages', '300'],
      { encoding: 'utf8', cwd: dir.path, timeout: 240_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim()) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining([
        'messages',
        'msgsPerSec',
        'p50Ms',
        'p99Ms',
        'lost',
        'duplicates',
        'rawStoreLimitMsgsPerSec',
        'scaleOut2x',
      ]),
    );
    expect(result).toMatchObject({ messages: 1500, lost: 0, duplicates: 0, eventsPerMessage: 3 });
    const phases = ['routed1', 'routed2', 'sendBound1', 'sendBound2'].map((k) => result[k] as Phase);
    expect(phases.map((p) => p.workers)).toEqual([1, 2, 1, 2]);
    for (const phase of phases) {
      expect(phase.arrived).toBe(phase.published);
      expect(phase.p50Ms).toBeLessThanOrEqual(phase.p99Ms);
      expect(phase.msgsPerSec).toBeGreaterThan(0);
    }
    // Counted from the store, not assumed: receipt, claim and sent per message of the routed flow
    // (warm-up messages included); the send-bound flow adds the reply and its correlation.
    const routed = phases[0]!.eventsByType;
    expect(routed.MessageReceived).toBeGreaterThanOrEqual(1500);
    expect(routed.SendClaimed).toBe(routed.MessageReceived);
    expect(routed.MessageSent).toBe(routed.MessageReceived);
    expect(phases[2]!.eventsPerMessage).toBe(8);
    expect(result.rawStoreLimitMsgsPerSec).toBe(Math.round((result.rawInsertsPerSec as number) / 3));
    expect(result.scaleOut2x).toBe(Math.round((phases[3]!.msgsPerSec / phases[2]!.msgsPerSec) * 100) / 100);
    expect(run.stderr).toMatch(/routed-2: \d+ msg\/s/);
    expect(JSON.parse(readFileSync(join(dir.path, 'bench', 'results', 'e2e.json'), 'utf8'))).toEqual(result);
  }, 240_000);
});
