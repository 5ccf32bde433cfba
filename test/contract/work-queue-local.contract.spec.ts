import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalWorkQueue } from '../../src/bus/local/index.js';
import { tempDir } from '../support/temp-dir.js';
import { workQueueContract } from './work-queue.contract.js';

const dir = tempDir('work-queue');
afterAll(() => dir.cleanup());

workQueueContract('local (SQLite file, separate connections and processes)', {
  target: (name) => ({ location: `local:${join(dir.path, `${name}.db`)}` }),
});

describe('local work queue file', () => {
  it('refuses a file that is not a work queue', () => {
    const foreign = join(dir.path, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(() => new LocalWorkQueue(foreign)).toThrow(/not a Signalbox work queue/);
    const garbage = join(dir.path, 'garbage.db');
    writeFileSync(garbage, 'not sqlite at all, just text that is long enough to be a header '.repeat(20));
    expect(() => new LocalWorkQueue(garbage)).toThrow(expect.objectContaining({ code: 'WORK_QUEUE_MISCONFIGURED' }));
  });
});
