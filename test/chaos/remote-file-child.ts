// One host instance in its own OS process, for the remote-file kill test: starts an engine on
// the shared data folder with the bindings given, prints its lease holder id, and runs until
// killed. The FTP password and SSH key come in the environment, not on the command line.
import { staticSecrets } from '../support/secrets.js';
import { startRemoteFileEngine } from '../support/remote-file-engine.js';

const [dir, bindings, name] = process.argv.slice(2);
const secrets = staticSecrets(JSON.parse(process.env.SIGNALBOX_TEST_SECRETS ?? '{}') as Record<string, string>);
const engine = await startRemoteFileEngine(dir!, JSON.parse(bindings!), secrets, {
  name: name ?? 'child',
  leaseTtlMs: Number(process.env.SIGNALBOX_TEST_LEASE_TTL_MS ?? 1_000),
});
process.stdout.write(`${JSON.stringify({ ready: true, instance: engine.instance })}\n`);
setInterval(() => undefined, 60_000);
