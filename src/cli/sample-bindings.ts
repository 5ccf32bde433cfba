import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseBindings, type Bindings } from '../domain/config/index.js';

/**
 * The flow `signalbox start` runs when no bindings file is given: files dropped into
 * `<data>/inbox` are routed by a filter on their receive port to `<data>/outbox`.
 */
export function sampleBindings(dataDir: string, host = 'default'): Bindings {
  const data = resolve(dataDir);
  for (const folder of ['inbox', 'outbox']) mkdirSync(join(data, folder), { recursive: true });
  return parseBindings(
    {
      hosts: [{ name: host }],
      receiveLocations: [
        {
          name: 'inbox',
          receivePort: 'orders',
          host,
          adapter: 'file',
          config: { folder: join(data, 'inbox'), mask: '*', pollIntervalMs: 250 },
        },
      ],
      sendPorts: [
        {
          name: 'outbox',
          host,
          adapter: 'file',
          config: { folder: join(data, 'outbox'), fileName: '%SourceFileName%', createFolder: true },
          filter: "BTS.ReceivePortName == 'orders'",
          retry: { count: 3, intervalMs: 1000 },
        },
      ],
    },
    'sample bindings',
  );
}
