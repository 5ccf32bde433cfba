import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * Progress of long work on stderr (stdout stays for results and --json): a bar on a terminal,
 * otherwise a line at each tenth, so a log file shows it is moving too.
 */
export function progress(label: string, enabled = true): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | eta {eta_formatted}`,
        stream: process.stderr,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const began = performance.now();
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, done, { rate: 0 });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { rate: Math.round(done / Math.max((performance.now() - began) / 1000, 0.001)) });
      },
      stop: () => bar.stop(),
    };
  }
  let nextTenth = 1;
  return {
    update(done, total) {
      if (total <= 0) return;
      while (done / total >= nextTenth / 10 && nextTenth <= 10) {
        process.stderr.write(`${label}: ${nextTenth * 10}% (${done}/${total})\n`);
        nextTenth++;
      }
    },
    stop: () => undefined,
  };
}
