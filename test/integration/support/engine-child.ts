// A host instance in its own OS process, for tests that SIGKILL one: starts an embedded engine
// on the folder and bindings given, prints `ready`, and runs until it is killed.
import { startTestEngine } from './engine.js';

const [dir, bindings, name] = process.argv.slice(2);
await startTestEngine(dir!, JSON.parse(bindings!), name ?? 'child');
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
