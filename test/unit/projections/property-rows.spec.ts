import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { propertiesView } from '../../../src/projections/views/properties.js';
import { SortedPropertyRows } from '../../../src/projections/views/property-rows.js';

type Row = [name: string, value: string, receivedAt: number, messageId: string, promoted: 0 | 1];

/** Texts whose order differs between UTF-16 units and code points, and plain ones. */
const texts = ['a', 'b', 'ab', '', 'z\uE000', 'z\uFFFF', 'z\u{1F600}', 'z\u{10FFFF}', '\uE000', '\u{1F600}', 'é'];

/** Rows in a scrambled order, with keys that repeat (the first of them must be kept). */
function scrambled(count: number): Row[] {
  const rows: Row[] = [];
  let seed = 7;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let i = 0; i < count; i++)
    rows.push([
      texts[next(4)]!,
      JSON.stringify(texts[next(texts.length)]),
      next(3),
      texts[next(texts.length)]!,
      (i % 2) as 0 | 1,
    ]);
  return rows;
}

function insertHead(table: string): string {
  return `INSERT OR IGNORE INTO ${table} (name, value, received_at, message_id, promoted) VALUES`;
}

describe('sorted property rows of a rebuild', () => {
  it('hold the same rows as inserting each as received, keeping the first of equal keys', () => {
    const rows = scrambled(2_000);
    const expected = new Database(':memory:');
    propertiesView.setup(expected);
    const insert = expected.prepare(`${insertHead('context_properties')} (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
    for (const row of rows) insert.run(row);
    // Once all at the end, and in batches (`spillIfFull` with a small limit).
    for (const limit of [1_000_000, 300]) {
      const db = new Database(':memory:');
      propertiesView.setup(db);
      const sorted = new SortedPropertyRows(db, insertHead('context_properties'), limit);
      for (const row of rows) {
        sorted.add(...row);
        sorted.spillIfFull();
      }
      sorted.write();
      const all = 'SELECT * FROM context_properties ORDER BY name, value, received_at, message_id';
      expect(db.prepare(all).all()).toEqual(expected.prepare(all).all());
      expect(db.prepare(all).all().length).toBeLessThan(rows.length);
    }
  });

  it("writes rows in the key's order as SQLite orders text (by code point), so each goes in at the B-tree's end", () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE written (name TEXT, value TEXT, received_at INTEGER, message_id TEXT, promoted INTEGER)');
    const sorted = new SortedPropertyRows(db, insertHead('written'));
    for (const row of scrambled(1_000)) sorted.add(...row);
    sorted.write();
    const inOrder = db.prepare('SELECT rowid FROM written ORDER BY rowid').pluck().all();
    const byKey = db
      .prepare('SELECT rowid FROM written ORDER BY name, value, received_at, message_id, rowid')
      .pluck()
      .all();
    expect(byKey).toEqual(inOrder);
    expect(inOrder).toHaveLength(1_000);
  });
});
