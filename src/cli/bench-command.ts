import { Command, InvalidArgumentError } from 'commander';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
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
    .command('failover')
    .description(
      "lease failover: SIGKILL the holder N times (time to the new holder's first accepted fenced write), then count false failovers with every core saturated",
    )
    .option('--json', 'print one JSON object instead of a table', false)
    .option('--kills <n>', 'kill cycles', count, 20)
    .option('--load-seconds <s>', 'seconds of the full-CPU phase (0 skips it)', count, 600)
    .option('--ttl-ms <ms>', "the workers' lease ttl (default: the engine's default)", positive)
    .action(async (options: { json: boolean; kills: number; loadSeconds: number; ttlMs?: number }) => {
      const { benchFailover } = await import('../../bench/failover.js');
      await benchFailover(options);
    });
  bench
    .command('all')
    .description('run every benchmark with its defaults')
    .option('--json', 'print JSON lines instead of tables', false)
    .action(async (options: { json: boolean }) => {
      const { benchStore } = await import('../../bench/store.js');
      await benchStore({ seconds: 5, json: options.json });
      const { benchFailover } = await import('../../bench/failover.js');
      await benchFailover({ json: options.json });
    });
  return bench;
}
