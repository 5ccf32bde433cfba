import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { buildAuditHistory, copyStore, messageStream } from './support/audit-history.js';

// The CLI from its sources (through tsx), so the test needs no build.
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const dir = tempDir('audit-cli');
const pristine = join(dir.path, 'pristine.db');

beforeAll(() => buildAuditHistory(pristine));
afterAll(() => dir.cleanup());

function signalbox(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('signalbox audit', () => {
  it('verify exits 0 with a one-line summary on an untouched store', () => {
    const run = signalbox('audit', 'verify', '--store', pristine);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toMatch(
      /^audit ok: 38 events in 14 streams, 3 anchors up to position \d+ \(last anchor hash [0-9a-f]{64}\)/,
    );
  });

  it('verify exits non-zero naming the first bad stream and revision', () => {
    const file = copyStore(pristine, join(dir.path, 'deleted.db'));
    const db = new Database(file);
    db.prepare('DELETE FROM events WHERE stream = ? AND revision = 2').run(messageStream(4));
    db.close();
    const run = signalbox('audit', 'verify', '--store', file);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`audit FAILED: stream ${messageStream(4)} revision 2 (gone) deleted`);

    const json = signalbox('audit', 'verify', '--store', file, '--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      failure: { stream: messageStream(4), revision: '2', kind: 'deleted' },
    });
  });

  it('anchor writes an anchor over new events, then finds nothing new', () => {
    const data = join(dir.path, 'data');
    const file = copyStore(pristine, join(dir.path, 'anchor.db'));
    const first = signalbox('audit', 'anchor', '--store', file, '--data', data);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^wrote 1 anchor: up to position \d+, anchor hash [0-9a-f]{64}$/m);
    expect(signalbox('audit', 'anchor', '--store', file).stdout).toBe('nothing new to anchor\n');
    const verify = signalbox('audit', 'verify', '--store', file, '--json');
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, anchors: 4, unanchored: 1 });
  });

  it('refuses a store that does not exist, without creating it', () => {
    const run = signalbox('audit', 'verify', '--data', join(dir.path, 'nowhere'));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('no event store');
  });
});
