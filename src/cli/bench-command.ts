import { Command, InvalidArgumentError } from 'commander';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/**
 * `signalbox bench <name>`: the benchmarks live in `bench/` and are loaded only when asked for,
 * so the engine itself never carries them.
 */
export function benchCommand(): Command {
  const bench = new Command('bench').description('run a benchmark; prints a table, or JSON with --json');
  bench
    .command('store')
    .description('EventStore appends (64 concurrent callers, group commit) against raw SQLite inserts')
    .option('--json', 'print one JSON object instead of a table', false)
    .option('--seconds <s>', 'seconds per phase', positive, 5)
    .option('--concurrency <n>', 'concurrent appenders', positive, 64)
    .action(async (options: { json: boolean; seconds: number; concurrency: number }) => {
      const { benchStore } = await import('../../bench/store.js');
      await benchStore(options);
    });
  bench
    .command('all')
    .description('run every benchmark with its defaults')
    .option('--json', 'print JSON lines instead of tables', false)
    .action(async (options: { json: boolean }) => {
      const { benchStore } = await import('../../bench/store.js');
      await benchStore({ seconds: 5, json: options.json });
    });
  return bench;
}
