import { Command } from 'commander';
import { openSqliteAuditSource } from '../audit/sqlite-source.js';
import { verifyAudit, type AuditReport } from '../audit/verify.js';
import { writeAnchor } from '../audit/anchor-writer.js';
import { progress } from './progress.js';
import { operatorActor } from './operator.js';
import { existingSqliteFile, openCommandStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

interface AuditOptions extends StoreAccessOptions {
  json: boolean;
}

const json = (value: unknown) =>
  `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;

/** `signalbox audit verify | anchor` (docs/audit.md). */
export function auditCommand(): Command {
  const audit = new Command('audit').description('tamper-evident audit of the event store (docs/audit.md)');
  withStoreAccess(
    audit
      .command('verify')
      .description(
        'check every event against its hash chain and every anchor against the events it covers; exits 1 naming the first bad stream and revision',
      ),
  )
    .option('--json', 'print one JSON object', false)
    .action(async (options: AuditOptions) => {
      const report = await verify(options);
      process.stdout.write(options.json ? json(report) : `${summary(report)}\n`);
      if (!report.ok) process.exitCode = 1;
    });
  withStoreAccess(audit.command('anchor').description('write an audit anchor over the events not yet anchored, now'))
    .option('--json', 'print one JSON object', false)
    .action(async (options: AuditOptions) => {
      const store = await openCommandStore(options);
      try {
        const result = await writeAnchor(store, { actor: operatorActor() });
        if (options.json) process.stdout.write(json(result));
        else if (!result.last) process.stdout.write('nothing new to anchor\n');
        else {
          process.stdout.write(
            `wrote ${result.written} anchor${result.written === 1 ? '' : 's'}: up to position ${result.last.upTo}, anchor hash ${result.last.anchorHash}\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
  return audit;
}

async function verify(options: AuditOptions): Promise<AuditReport> {
  const file = existingSqliteFile(options);
  if (file === undefined) {
    throw new Error('audit verify reads a SQLite store file; verifying an EventStoreDB store is not supported');
  }
  const source = openSqliteAuditSource(file);
  const bar = progress('audit verify', !options.json);
  try {
    return await verifyAudit(source, { onProgress: (done, total) => bar.update(done, total) });
  } finally {
    bar.stop();
    source.close();
  }
}

function summary(report: AuditReport): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const failure = report.failure;
  if (failure) {
    const position = failure.position === undefined ? 'gone' : `position ${failure.position}`;
    return `audit FAILED: stream ${failure.stream} revision ${failure.revision} (${position}) ${failure.kind}: ${failure.detail}`;
  }
  const rate = report.events / Math.max(report.elapsedMs / 1000, 0.001);
  const anchors =
    report.anchors === 0
      ? 'no anchors yet'
      : `${n(report.anchors)} anchors up to position ${report.anchoredUpTo} (last anchor hash ${report.lastAnchorHash})`;
  const unchained =
    report.unchained === 0
      ? ''
      : `, ${n(report.unchained)} unchained events from before hashing (up to position ${report.unchainedUntil})`;
  return (
    `audit ok: ${n(report.events)} events in ${n(report.streams)} streams, ${anchors}, ` +
    `${n(report.unanchored)} after the last anchor, ${n(report.retained)} in streams with retention` +
    `${unchained}; ${n(Math.round(rate))} events/s`
  );
}
