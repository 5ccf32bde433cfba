import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../support/nats-server.js';
import { adapterContract } from './adapter.contract.js';

/** A port held by another server, so a receiver configured on it cannot listen. */
let blocker: Server;
let blockedPort: number;
let closedPort: number;
beforeAll(async () => {
  blocker = createServer((_req, res) => res.end());
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  blockedPort = (blocker.address() as { port: number }).port;
  closedPort = await freePort();
});
afterAll(async () => {
  await new Promise((resolve) => blocker?.close(resolve));
});

let fixtures = 0;

adapterContract('http', {
  adapter: 'http',
  // HTTP keeps nothing for an absent receiver: the client is told (connection refused) and sends again.
  liveOnly: true,
  redelivery: {
    skip: 'the client is the redelivery: a failed submit answers 503 and the sender retries (test/integration/http-receive.spec.ts)',
  },
  restart: { skip: 'the receiver is the server; a stopped and started receiver is covered by the first case' },
  largeBodyBytes: 4 * 1024 * 1024,
  async open() {
    const port = await freePort();
    const path = `/contract/${++fixtures}`;
    const url = `http://127.0.0.1:${port}${path}`;
    return {
      receiveConfig: { listen: `127.0.0.1:${port}`, path },
      sendConfig: { url, timeoutMs: 10_000 },
      async inject(bodies) {
        for (const body of bodies) {
          const answer = await fetch(url, { method: 'POST', body });
          if (answer.status !== 202) throw new Error(`POST answered ${answer.status}`);
        }
      },
      cleanup: async () => undefined,
    };
  },
  unreachable: () => ({
    receiveConfig: { listen: `127.0.0.1:${blockedPort}`, path: '/x' },
    sendConfig: { url: `http://127.0.0.1:${closedPort}/x`, timeoutMs: 2_000 },
  }),
});
