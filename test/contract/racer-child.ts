// Runs in its own OS process and races the other children for the next revision of one stream:
// read the revision, append expecting it. Reports each revision it won and how often it lost.
import { openStore } from '../../src/store/open-store.js';
import { WrongExpectedRevision } from '../../src/store/errors.js';
import { noteEvent } from '../support/events.js';

const [location, stream, attemptsText, name] = process.argv.slice(2) as [string, string, string, string];
const attempts = Number(attemptsText);
const store = await openStore(location);
const won: string[] = [];
let lost = 0;
// Say we are ready, then wait for the starting gun so the processes begin together.
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
for (let i = 0; i < attempts; i++) {
  const revision = await store.streamRevision(stream);
  try {
    const result = await store.append(stream, [noteEvent(i, name)], revision ?? 'no_stream');
    won.push(result.nextExpectedRevision.toString());
  } catch (error) {
    if (!(error instanceof WrongExpectedRevision)) throw error;
    lost++;
  }
}
await store.close();
process.stdout.write(JSON.stringify({ name, won, lost }) + '\n');
