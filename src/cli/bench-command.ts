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
    .command('e2e')
    .description(
      'end to end: NATS subject in → filter → NATS subject out through 1 and 2 worker processes (SQLite store, NATS work queue), then the scale-out of a send-bound flow',
    )
    .option('--json', 'print one JSON object instead of a table', false)
    .option('--messages <n>', 'messages per phase of the routed flow', positive, 50_000)
    .option('--rate <n>', 'offered load of the routed flow, msg/s', positive, 5_000)
    .option('--scale-messages <n>', 'messages per phase of the send-bound flow', positive, 2_000)
    .option('--scale-concurrency <n>', 'sends in progress per worker in the send-bound flow', positive, 1)
    .option('--profile <folder>', "write the workers' CPU profiles (--cpu-prof) here")
    .action(
      async (options: {
        json: boolean;
        messages: number;
        rate: number;
        scaleMessages: number;
        scaleConcurrency: number;
        profile?: string;
      }) => {
        const { benchE2e } = await import('../../bench/e2e.js');
        await benchE2e({ ...options, ...(options.profile ? { profileDir: options.profile } : {}) });
      },
    );
  bench
    .command('rebuild')
    .description(
      'writes a realistic history, then rebuilds the tracking and context-property views from it, against a raw read + JSON.parse of the same events',
    )
    .option('--json', 'print one JSON object instead of a table', false)
    .option('--events <n>', 'events of history to write', positive, 1_000_000)
    .action(async (options: { json: boolean; events: number }) => {
      const { benchRebuild } = await import('../../bench/rebuild.js');
      await benchRebuild(options);
    });
  bench
    .command('transfer')
    .description(
      'one file received over FTP and sent over SFTP through an engine process (real pure-ftpd and sshd): peak RSS, MB/s and SHA-256, against a plain 64 KB stream copy',
    )
    .option('--json', 'print one JSON object instead of a table', false)
    .option('--size <size>', 'size of the file: 1GB, 4GB, 512MB, …', '1GB')
    .option('--dir <folder>', 'where the servers, the engine data and the copies go (default: the temp folder)')
    .action(async (options: { json: boolean; size: string; dir?: string }) => {
      const { benchTransfer, parseSize } = await import('../../bench/transfer.js');
      await benchTransfer({
        json: options.json,
        bytes: parseSize(options.size),
        ...(options.dir ? { dir: options.dir } : {}),
      });
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
      const { benchE2e } = await import('../../bench/e2e.js');
      await benchE2e({ json: options.json });
      const { benchRebuild } = await import('../../bench/rebuild.js');
      await benchRebuild({ events: 1_000_000, json: options.json });
    });
  return bench;
}
