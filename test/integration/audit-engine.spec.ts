import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteAuditSource } from '../../src/audit/sqlite-source.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, startTestEngine, writtenFiles } from './support/engine.js';

const root = tempDir('audit-engine');
afterAll(() => root.cleanup());

async function verify(file: string) {
  const source = openSqliteAuditSource(file);
  try {
    return await verifyAudit(source);
  } finally {
    source.close();
  }
}

describe('a running engine anchors its history', () => {
  it('the anchors it writes cover the flow, verify clean, and catch an edit made afterwards', async () => {
    const dir = join(root.path, 'engine');
    const inbox = join(dir, 'inbox');
    const outbox = join(dir, 'outbox');
    mkdirSync(inbox, { recursive: true });
    const engine = await startTestEngine(
      dir,
      {
        receiveLocations: [
          { name: 'inbox', receivePort: 'orders', adapter: 'file', config: { folder: inbox, pollIntervalMs: 50 } },
        ],
        sendPorts: [
          {
            name: 'outbox',
            adapter: 'file',
            config: { folder: outbox, fileName: '%SourceFileName%', createFolder: true },
            filter: "BTS.ReceivePortName == 'orders'",
          },
        ],
      },
      'main',
      { anchorEveryMs: 100 },
    );
    let head = 0n;
    try {
      for (let i = 0; i < 5; i++) writeFileSync(join(inbox, `order-${i}.xml`), `<order id="${i}"/>`);
      await eventually(() => writtenFiles(outbox).length === 5 || undefined);
      head = await engine.store.headPosition();
      // an anchor written after the flow covers it (anchors cover everything but themselves and leases)
      await eventually(async () => {
        const anchors = await engine.store.readStream('audit-anchors');
        const last = anchors.at(-1);
        return last?.type === 'AuditAnchored' && BigInt(last.data.upTo) >= head - 1n;
      });
    } finally {
      await engine.stop();
    }
    const file = join(dir, 'signalbox.db');
    const clean = await verify(file);
    expect(clean.ok).toBe(true);
    expect(clean.anchors).toBeGreaterThan(0);

    const db = new Database(file);
    const row = db
      .prepare("SELECT stream, revision FROM events WHERE type = 'MessageSent' ORDER BY position LIMIT 1")
      .get() as { stream: string; revision: number };
    db.prepare("UPDATE events SET data = replace(data, 'outbox', 'elsewhere') WHERE stream = ? AND revision = ?").run(
      row.stream,
      row.revision,
    );
    db.close();
    const tampered = await verify(file);
    expect(tampered.ok).toBe(false);
    expect(tampered.failure).toMatchObject({ stream: row.stream, revision: BigInt(row.revision) });
  });
});
