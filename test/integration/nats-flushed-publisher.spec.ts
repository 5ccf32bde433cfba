import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FlushedPublisher } from '../../src/adapters/nats/flushed-publisher.js';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';

let server: NatsTestServer;
let sink: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer('nats-flushed-publisher');
  sink = await connect({ servers: server.url });
}, 60_000);
afterAll(async () => {
  await sink?.close();
  await server?.stop();
});

/** Collects the ids of what arrives on `subject` until `count` have come. */
function collect(subject: string, count: number): { ids: number[]; all: Promise<void> } {
  const ids: number[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  sink.subscribe(subject, {
    callback: (_error, msg) => {
      ids.push(Number(new TextDecoder().decode(msg.data)));
      if (ids.length === count) done();
    },
  });
  return { ids, all };
}

describe('FlushedPublisher (real nats-server)', () => {
  it('confirms the publishes of one turn with one round trip, each arriving once and in order', async () => {
    const nc = await connect({ servers: server.url });
    try {
      const received = collect('flushed.turn', 300);
      await sink.flush();
      const flush = vi.spyOn(nc, 'flush');
      const publisher = new FlushedPublisher();
      const encode = (i: number) => new TextEncoder().encode(String(i));
      // 200 in one turn, then 100 more in the next turns: the first 200 share a PING.
      const first = Array.from({ length: 200 }, (_, i) =>
        publisher.publish(nc, 'flushed.turn', encode(i), natsHeaders()),
      );
      await Promise.all(first);
      expect(flush).toHaveBeenCalledTimes(1);
      for (let i = 200; i < 300; i++) await publisher.publish(nc, 'flushed.turn', encode(i), natsHeaders());
      await received.all;
      expect(received.ids).toEqual(Array.from({ length: 300 }, (_, i) => i));
    } finally {
      await nc.close();
    }
  });

  it('fails only the publish the client refuses, and the others of its turn still arrive', async () => {
    const nc = await connect({ servers: server.url });
    try {
      const received = collect('flushed.refused', 2);
      await sink.flush();
      const publisher = new FlushedPublisher();
      const tooLarge = new Uint8Array((nc.info?.max_payload ?? 1024 * 1024) + 1);
      const results = await Promise.allSettled([
        publisher.publish(nc, 'flushed.refused', new TextEncoder().encode('1'), natsHeaders()),
        publisher.publish(nc, 'flushed.refused', tooLarge, natsHeaders()),
        publisher.publish(nc, 'flushed.refused', new TextEncoder().encode('2'), natsHeaders()),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      await received.all;
      expect(received.ids).toEqual([1, 2]);
    } finally {
      await nc.close();
    }
  });

  it('rejects every publish of a turn when the connection is closed', async () => {
    const nc = await connect({ servers: server.url });
    await nc.close();
    const publisher = new FlushedPublisher();
    const results = await Promise.allSettled([
      publisher.publish(nc, 'flushed.closed', new TextEncoder().encode('1'), natsHeaders()),
      publisher.publish(nc, 'flushed.closed', new TextEncoder().encode('2'), natsHeaders()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
