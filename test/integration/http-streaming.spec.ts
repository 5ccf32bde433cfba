import { request } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundMessage, SubmitResult } from '../../src/adapters/adapter.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import { noSecrets } from '../../src/adapters/secrets.js';
import { PermanentAdapterError } from '../../src/adapters/errors.js';
import { ReceiverRunner } from '../contract/adapter-support.js';
import { freePort } from '../support/nats-server.js';
import { whenListening } from './http-support.js';

const registry = defaultRegistry();
const runners: ReceiverRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

function receiver(
  config: Record<string, unknown>,
  submit: (m: InboundMessage) => Promise<SubmitResult>,
  name = 'stream-in',
) {
  const handler = registry.get('http').receive!.create(registry.receiveConfig('http', config, 'config'), {
    name,
    receivePort: 'stream',
    secrets: noSecrets,
  });
  const runner = new ReceiverRunner(handler, submit).start();
  runners.push(runner);
  return runner;
}

describe('HTTP receive streams bodies', () => {
  it('hands the body to the engine while the client is still sending it', async () => {
    const port = await freePort();
    let seen = 0;
    let firstHalfArrived!: () => void;
    const firstHalf = new Promise<void>((resolve) => (firstHalfArrived = resolve));
    const half = 1024 * 1024;
    const submitted: { streamed: boolean; bytes: number }[] = [];
    receiver({ listen: `127.0.0.1:${port}`, path: '/s' }, async (message) => {
      const streamed = message.body instanceof Readable;
      for await (const chunk of message.body as Readable) {
        seen += (chunk as Buffer).length;
        if (seen >= half) firstHalfArrived();
      }
      submitted.push({ streamed, bytes: seen });
      return { status: 'received', messageIds: ['m-1'] };
    });
    await whenListening(`http://127.0.0.1:${port}/s`);
    // The second half is written only once the engine has read the first: a server that held
    // the body until its end would wait here for ever (and the test would time out).
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/s', method: 'POST' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(half, 1));
      void firstHalf.then(() => req.end(Buffer.alloc(half, 2)));
    });
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ messageId: 'm-1', status: 'received' });
    expect(submitted).toEqual([{ streamed: true, bytes: 2 * half }]);
  }, 30_000);

  it('a client that hangs up mid-body leaves the engine with a failed stream, not a cut message', async () => {
    const port = await freePort();
    const outcomes: string[] = [];
    let started!: () => void;
    const inSubmit = new Promise<void>((resolve) => (started = resolve));
    receiver({ listen: `127.0.0.1:${port}`, path: '/s' }, async (message) => {
      started();
      try {
        for await (const chunk of message.body as Readable) void chunk;
        outcomes.push('complete');
      } catch {
        outcomes.push('failed');
        throw new Error('the body stream failed');
      }
      return { status: 'received', messageIds: ['m-2'] };
    });
    await whenListening(`http://127.0.0.1:${port}/s`);
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/s',
      method: 'POST',
      headers: { 'content-length': '100000' },
    });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(10_000, 3));
    await inSubmit;
    req.destroy();
    await expect.poll(() => outcomes, { timeout: 10_000 }).toEqual(['failed']);
  }, 30_000);

  it('refuses a second location on a path another location listens at', async () => {
    const port = await freePort();
    const config = { listen: `127.0.0.1:${port}`, path: '/taken' };
    const ok = async (): Promise<SubmitResult> => ({ status: 'received', messageIds: ['m'] });
    receiver(config, ok, 'first');
    await whenListening(`http://127.0.0.1:${port}/taken`);
    const second = receiver(config, ok, 'second');
    await expect.poll(() => second.fatal.length, { timeout: 10_000 }).toBe(1);
    expect(second.fatal[0]).toBeInstanceOf(PermanentAdapterError);
    expect((second.fatal[0] as Error).message).toMatch(/already the path of receive location "first"/);
    // The first location is untouched.
    const answer = await fetch(`http://127.0.0.1:${port}/taken`, { method: 'POST', body: 'x' });
    expect(answer.status).toBe(202);
  });
});
