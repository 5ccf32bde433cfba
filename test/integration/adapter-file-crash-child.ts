// A file receiver that "crashes" between submit and delete: its submit prints the source key and
// never returns, and the parent kills this process with SIGKILL, leaving the work file behind.
import { noSecrets } from '../../src/adapters/secrets.js';
import { fileAdapter } from '../../src/adapters/file/index.js';

const folder = process.argv[2]!;
// The receiver's own timers do not keep a process alive; this does, until the SIGKILL.
setInterval(() => undefined, 60_000);
const config = fileAdapter.receive!.config.parse({ folder, pollIntervalMs: 20 });
await fileAdapter.receive!.create(config, { name: 'crash', receivePort: 'crash', secrets: noSecrets }).run({
  signal: new AbortController().signal,
  submit: (message) => {
    process.stdout.write(`${JSON.stringify({ sourceKey: message.sourceKey })}\n`);
    return new Promise(() => undefined);
  },
});
