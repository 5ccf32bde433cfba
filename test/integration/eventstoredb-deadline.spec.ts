// The EventStoreDB client waits for minutes on a server that accepts TCP and never answers, even
// with its own deadline set. These tests stand up exactly such a server on 127.0.0.1 and show that
// every call of our store fails with StoreUnavailable within its deadline, naming the call and the
// endpoint but never the credentials; and that a closed port fails fast.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/store/event-store.js';
import { StoreClosed, StoreUnavailable } from '../../src/store/errors.js';
import { openEventStoreDbStore } from '../../src/store/eventstoredb/index.js';
import { noteEvent, uniqueName } from '../support/events.js';

const deadlineMs = 1500;
const storeModule = new URL('../../src/store/eventstoredb/index.ts', import.meta.url).href;
const eventsModule = new URL('../support/events.ts', import.meta.url).href;
const margin = 2000;
const password = 'not-a-real-secret';

interface Outcome {
  error: unknown;
  elapsedMs: number;
}

async function timed(call: () => Promise<unknown>): Promise<Outcome> {
  const started = performance.now();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, elapsedMs: Math.round(performance.now() - started) };
}

async function first<T>(iterable: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of iterable) return item;
  return undefined;
}

function expectUnavailable(outcome: Outcome, operation: string, endpoint: string): void {
  expect(outcome.error).toBeInstanceOf(StoreUnavailable);
  const message = (outcome.error as Error).message;
  expect(message).toContain(operation);
  expect(message).toContain(endpoint);
  expect(message).not.toContain(password);
  expect(message).not.toContain('admin:');
}

/** A TCP server that accepts connections and never writes a byte. */
async function silentServer(): Promise<{ server: Server; sockets: Set<Socket>; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, sockets, port: (server.address() as { port: number }).port };
}

/** A port nothing listens on: bound once to learn a free number, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('EventStoreDB store against a server that accepts TCP and never answers', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  let connectionString: string;
  let endpoint: string;
  const opened: EventStore[] = [];
  const measured: Record<string, number> = {};

  async function open(): Promise<EventStore> {
    const store = await openEventStoreDbStore({ connectionString, deadlineMs });
    opened.push(store);
    return store;
  }

  beforeAll(async () => {
    silent = await silentServer();
    endpoint = `esdb://127.0.0.1:${silent.port}`;
    connectionString = `esdb://admin:${password}@127.0.0.1:${silent.port}?tls=false`;
  });

  afterAll(async () => {
    // Close every store first (this must not wait on the silent server), then drop the server's
    // side of every connection so nothing keeps the process alive.
    const closing = await timed(() => Promise.all(opened.map((store) => store.close())));
    measured['close all stores'] = closing.elapsedMs;
    for (const socket of silent.sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.server.close(() => resolve()));
    console.info('eventstoredb deadline timings (ms):', JSON.stringify(measured));
    expect(closing.elapsedMs).toBeLessThan(deadlineMs + margin);
  });

  it('append rejects with StoreUnavailable within the deadline, naming the call and the endpoint', async () => {
    const store = await open();
    const stream = uniqueName('message-');
    const outcome = await timed(() => store.append(stream, [noteEvent(0)], 'no_stream'));
    measured.append = outcome.elapsedMs;
    expectUnavailable(outcome, `append to ${stream}`, endpoint);
    expect((outcome.error as Error).message).toContain(`${deadlineMs} ms`);
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(deadlineMs - 50);
    expect(outcome.elapsedMs).toBeLessThan(deadlineMs + margin);
  });

  it('readStream rejects with StoreUnavailable within the deadline', async () => {
    const store = await open();
    const stream = uniqueName('message-');
    const outcome = await timed(() => store.readStream(stream));
    measured.readStream = outcome.elapsedMs;
    expectUnavailable(outcome, `readStream ${stream}`, endpoint);
    expect(outcome.elapsedMs).toBeLessThan(deadlineMs + margin);
  });

  it('readAll rejects with StoreUnavailable within the deadline', async () => {
    const store = await open();
    const outcome = await timed(() => first(store.readAll({ after: 0n })));
    measured.readAll = outcome.elapsedMs;
    expectUnavailable(outcome, 'readAll', endpoint);
    expect(outcome.elapsedMs).toBeLessThan(deadlineMs + margin);
  });

  it('subscribeAll, headPosition, streamRevision and the metadata calls are bounded too', async () => {
    const stream = uniqueName('lease-');
    const calls: [string, (store: EventStore) => Promise<unknown>][] = [
      ['subscribeAll', (store) => first(store.subscribeAll({ signal: new AbortController().signal }))],
      ['headPosition', (store) => store.headPosition()],
      [`streamRevision ${stream}`, (store) => store.streamRevision(stream)],
      [`setStreamMetadata ${stream}`, (store) => store.setStreamMetadata(stream, { maxCount: 3 })],
      [`getStreamMetadata ${stream}`, (store) => store.getStreamMetadata(stream)],
    ];
    // One store each, all at once: a timeout resets the store's connection, and each call should
    // be seen timing out on its own.
    const outcomes = await Promise.all(calls.map(async ([, call]) => timed(async () => call(await open()))));
    calls.forEach(([operation], i) => {
      const outcome = outcomes[i]!;
      measured[operation.split(' ')[0]!] = outcome.elapsedMs;
      expectUnavailable(outcome, operation, endpoint);
      expect(outcome.elapsedMs).toBeLessThan(deadlineMs + margin);
    });
  });

  it('after a timeout the store starts over on a new connection, and times out again within the deadline', async () => {
    const store = await open();
    const stream = uniqueName('message-');
    const firstTry = await timed(() => store.append(stream, [noteEvent(0)], 'no_stream'));
    const secondTry = await timed(() => store.append(stream, [noteEvent(0)], 'no_stream'));
    measured['append, second try'] = secondTry.elapsedMs;
    expectUnavailable(firstTry, `append to ${stream}`, endpoint);
    expectUnavailable(secondTry, `append to ${stream}`, endpoint);
    expect(secondTry.elapsedMs).toBeLessThan(deadlineMs + margin);
    // Two connections reached the server: the second try did not wait on the first one's channel.
    expect(silent.sockets.size).toBeGreaterThanOrEqual(2);
  });

  it('calls running when the connection is reset fail at once, naming themselves', async () => {
    const store = await open();
    const stream = uniqueName('message-');
    // The append starts first, so its deadline passes first and resets the connection under the read.
    const append = timed(() => store.append(stream, [noteEvent(0)], 'no_stream'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const read = timed(() => store.readStream(stream));
    const [appended, readBack] = await Promise.all([append, read]);
    expectUnavailable(appended, `append to ${stream}`, endpoint);
    expectUnavailable(readBack, `readStream ${stream} was cut off`, endpoint);
    expect(readBack.elapsedMs).toBeLessThan(deadlineMs);
  });

  it('close returns promptly, and a closed store refuses calls with StoreClosed', async () => {
    const store = await open();
    await timed(() => store.readStream(uniqueName('message-')));
    const closing = await timed(() => store.close());
    measured['close after a timeout'] = closing.elapsedMs;
    expect(closing.error).toBeUndefined();
    expect(closing.elapsedMs).toBeLessThan(deadlineMs + margin);
    await expect(store.readStream(uniqueName('message-'))).rejects.toBeInstanceOf(StoreClosed);
    await expect(store.append(uniqueName('message-'), [noteEvent(0)], 'any')).rejects.toBeInstanceOf(StoreClosed);
  });

  it('a process that used the store exits by itself once the store is closed', async () => {
    // In a child process, so that anything close() leaves open (the client's gRPC channel, a
    // socket to the silent server) shows up as a process that does not exit.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        const { openEventStoreDbStore } = await import(${JSON.stringify(storeModule)});
        const { noteEvent } = await import(${JSON.stringify(eventsModule)});
        const store = await openEventStoreDbStore({ connectionString: process.argv[1], deadlineMs: 500 });
        const failures = [];
        await store.readStream('message-exit').catch((e) => failures.push(e.name));
        await store.append('message-exit', [noteEvent(0)], 'no_stream').catch((e) => failures.push(e.name));
        const subscription = store.subscribeAll()[Symbol.asyncIterator]();
        const following = subscription.next().catch((e) => failures.push(e.name));
        await store.close();
        await following;
        process.stdout.write(JSON.stringify(failures));
        `,
        connectionString,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    let closedAt = Number.NaN;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      closedAt = performance.now();
    });
    const exitCode = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code) => {
        clearTimeout(killer);
        resolve(code);
      });
    });
    const exitAfterCloseMs = Math.round(performance.now() - closedAt);
    measured['child exit after close'] = exitAfterCloseMs;
    expect(exitCode).toBe(0);
    // Promptly: not once the append's gRPC deadline (a second later) or the server lets go.
    expect(exitAfterCloseMs).toBeLessThan(300);
    expect(JSON.parse(output)).toEqual(['StoreUnavailable', 'StoreUnavailable', 'StoreClosed']);
  });
});

describe('EventStoreDB store against a closed port', () => {
  it('append, readStream and readAll fail fast with StoreUnavailable', async () => {
    const port = await closedPort();
    const store = await openEventStoreDbStore({
      connectionString: `esdb://admin:${password}@127.0.0.1:${port}?tls=false`,
      deadlineMs: 10_000,
    });
    const endpoint = `esdb://127.0.0.1:${port}`;
    try {
      const stream = uniqueName('message-');
      const outcomes = {
        append: await timed(() => store.append(stream, [noteEvent(0)], 'no_stream')),
        readStream: await timed(() => store.readStream(stream)),
        readAll: await timed(() => first(store.readAll())),
      };
      console.info(
        'eventstoredb closed-port timings (ms):',
        JSON.stringify(Object.fromEntries(Object.entries(outcomes).map(([k, v]) => [k, v.elapsedMs]))),
      );
      expectUnavailable(outcomes.append, `append to ${stream}`, endpoint);
      expectUnavailable(outcomes.readStream, `readStream ${stream}`, endpoint);
      expectUnavailable(outcomes.readAll, 'readAll', endpoint);
      for (const outcome of Object.values(outcomes)) {
        expect((outcome.error as Error).message).toContain('ECONNREFUSED');
        expect(outcome.elapsedMs).toBeLessThan(1000);
      }
    } finally {
      await store.close();
    }
  });
});
