// Appends from 32 concurrent callers until killed, printing each event id once its append is
// acknowledged: the parent checks every printed id survived the SIGKILL.
import { SqliteEventStore } from '../../../src/store/sqlite/index.js';
import { noteEvent } from '../../support/events.js';

const store = new SqliteEventStore(process.argv[2]!);
let n = 0;
async function writer(w: number): Promise<never> {
  for (;;) {
    const event = noteEvent(n++);
    await store.append(`message-w${w}`, [event], 'any');
    process.stdout.write(`${event.id}\n`);
  }
}
await Promise.all(Array.from({ length: 32 }, (_, w) => writer(w)));
