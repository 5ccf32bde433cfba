// A host instance in its own OS process for the POP3 kill test: an embedded engine on the folder
// and bindings given, with the mailbox password as its one secret; prints `ready`, runs until killed.
import { DEFAULT_TTL_MS } from '../../src/workers/lease/options.js';
import { startMailEngine } from '../integration/pop3-engine.js';
import { staticSecrets } from '../support/secrets.js';

const [dir, bindings, name, password] = process.argv.slice(2);
await startMailEngine(dir!, JSON.parse(bindings!), staticSecrets({ 'pop3-password': password! }), name, DEFAULT_TTL_MS);
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
