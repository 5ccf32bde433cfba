import { noSecrets, type SecretResolver } from '../../src/adapters/secrets.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReceiveHandler, SendHandler } from '../../src/adapters/adapter.js';
import { TransientAdapterError } from '../../src/adapters/errors.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import type { AdapterRegistry } from '../../src/adapters/registry.js';
import {
  makeBodies,
  outbound,
  PROBE,
  ReceiverRunner,
  Recorder,
  sendAll,
  sha256,
  waitFor,
  type Reception,
} from './adapter-support.js';

/** One location (a folder, a subject, a stream) made fresh for one test. */
export interface AdapterFixture {
  /** Settings of a receive location on it and of a send port to it, as a bindings file has them. */
  readonly receiveConfig: Record<string, unknown>;
  readonly sendConfig: Record<string, unknown>;
  /** Messages still held at the source (files, work files included; stream messages not yet acked). */
  remaining?(): Promise<number>;
  /** Puts messages at the source the way another producer would, without the SendHandler. */
  inject?(bodies: readonly Buffer[]): Promise<void>;
  /** Takes the transport away and brings it back (server restart, folder removed and made again). */
  restartServer?(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface AdapterHarness {
  /** The adapter's name in the registry: the suite builds handlers the way the engine does. */
  readonly adapter: string;
  /** Where `adapter` is registered; default `defaultRegistry()`. */
  readonly registry?: () => AdapterRegistry;
  /** What the handlers reveal credentials with (secret references in the settings); default: none. */
  readonly secrets?: SecretResolver;
  open(): Promise<AdapterFixture>;
  /** The transport keeps nothing for absent receivers (core NATS): receivers are started, and probed, first. */
  readonly liveOnly?: boolean;
  /** Whether a nacked message comes again, or why the transport cannot do it. */
  readonly redelivery: true | { readonly skip: string };
  /** `midStream`: restart while messages are on their way; else once the first half has arrived. */
  readonly restart: { readonly midStream: boolean } | { readonly skip: string };
  /** Size of the one large body among the messages. */
  readonly largeBodyBytes: number;
  /** Settings whose transport is not there (nothing listens, no such folder). */
  unreachable?(): { receiveConfig: Record<string, unknown>; sendConfig: Record<string, unknown> };
}

const N = 50;

/**
 * The behaviour every adapter must have, after redpanda connect's integration suite: connect →
 * read → ack/nack → close; at-least-once across nacks, stops and restarts (a second delivery of a
 * message only ever under the same source key, so the engine records it once); competing
 * receivers that share one location without taking a message twice.
 */
export function adapterContract(name: string, harness: AdapterHarness): void {
  describe(`adapter contract: ${name}`, () => {
    const registry = (harness.registry ?? defaultRegistry)();
    let fixture: AdapterFixture | undefined;
    const runners: ReceiverRunner[] = [];
    const senders: SendHandler[] = [];

    const open = async () => (fixture = await harness.open());
    const receiveHandler = (config = fixture!.receiveConfig): ReceiveHandler =>
      registry.get(harness.adapter).receive!.create(registry.receiveConfig(harness.adapter, config, 'config'), {
        name: 'contract-location',
        receivePort: 'contract-port',
        secrets: harness.secrets ?? noSecrets,
      });
    const sendHandler = (config = fixture!.sendConfig): SendHandler => {
      const handler = registry
        .get(harness.adapter)
        .send!.create(registry.sendConfig(harness.adapter, config, 'config'), {
          name: 'contract-port',
          secrets: harness.secrets ?? noSecrets,
        });
      senders.push(handler);
      return handler;
    };
    const startReceiver = (recorder: Recorder, index = 0, config?: Record<string, unknown>) => {
      const runner = new ReceiverRunner(receiveHandler(config), recorder.submitFor(index)).start();
      runners.push(runner);
      return runner;
    };
    /** For live-only transports: probes until every receiver has shown it is subscribed. */
    const whenListening = async (recorder: Recorder, sender: SendHandler, receivers: number) => {
      if (!harness.liveOnly) return;
      recorder.probes.clear();
      await waitFor(async () => {
        await sender
          .send(outbound(Buffer.from(`${PROBE}${Date.now()}`)), new AbortController().signal)
          .catch(() => undefined);
        await sleep(50);
        return Array.from({ length: receivers }, (_, i) => recorder.probes.get(i) ?? 0).every((n) => n > 0);
      }, 'every receiver to get a probe');
    };
    const expectNothingLeft = async () => {
      if (!fixture?.remaining) return;
      await waitFor(async () => (await fixture!.remaining!()) === 0, 'the source to hold nothing more', 15_000);
    };

    afterEach(async () => {
      const stopping = runners.splice(0).map(async (r) => {
        await r.stop();
        expect(r.fatal, 'a receive handler failed with something other than a TransientAdapterError').toEqual([]);
      });
      await Promise.all(stopping);
      await Promise.all(senders.splice(0).map((s) => s.close()));
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('connects, waits on an empty source without errors, and stops when its signal aborts', async () => {
      await open();
      const recorder = new Recorder();
      const runner = startReceiver(recorder);
      await sleep(500);
      const started = Date.now();
      await runner.stop(5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(runner.transient).toEqual([]);
      expect(runner.fatal).toEqual([]);
      expect(recorder.received).toEqual([]);
      await sendHandler().close();
    });

    it(`sends ${N} messages through the SendHandler and receives each once, bodies intact`, async () => {
      await open();
      const recorder = new Recorder();
      const sender = sendHandler();
      const bodies = makeBodies(N, 'send-receive', harness.largeBodyBytes);
      if (harness.liveOnly) {
        startReceiver(recorder);
        await whenListening(recorder, sender, 1);
      }
      const outcomes = await sendAll(sender, bodies);
      expect(outcomes.every((o) => typeof o.address === 'string' && o.address.length > 0)).toBe(true);
      if (!harness.liveOnly) startReceiver(recorder);
      await waitFor(() => recorder.hasAll(bodies), `all ${N} messages`);
      await sleep(300);
      expectEachOnce(recorder.received, bodies);
      await expectNothingLeft();
    });

    it('receives messages another producer put at the source', async (context) => {
      await open();
      if (!fixture!.inject) return context.skip('the harness cannot put messages at the source directly');
      const recorder = new Recorder();
      const bodies = makeBodies(N, 'injected', harness.largeBodyBytes);
      if (harness.liveOnly) {
        startReceiver(recorder);
        await whenListening(recorder, sendHandler(), 1);
      }
      await fixture!.inject(bodies);
      if (!harness.liveOnly) startReceiver(recorder);
      await waitFor(() => recorder.hasAll(bodies), `all ${N} injected messages`);
      await sleep(300);
      expectEachOnce(recorder.received, bodies);
      await expectNothingLeft();
    });

    it('delivers again a message whose submit failed (the nack), and loses nothing', async (context) => {
      if (harness.redelivery !== true) return context.skip(harness.redelivery.skip);
      await open();
      const recorder = new Recorder();
      const bodies = makeBodies(20, 'nack', 1_000);
      const unlucky = new Set([sha256(bodies[3]!), sha256(bodies[11]!)]);
      recorder.behaviour = (r, deliveries) => (unlucky.has(r.sha) && deliveries === 1 ? 'throw' : undefined);
      await sendAll(sendHandler(), bodies);
      startReceiver(recorder);
      await waitFor(() => recorder.hasAll(bodies), 'every message, the failed ones delivered again');
      expect(recorder.failed.map((r) => r.sha).sort()).toEqual([...unlucky].sort());
      expectAtLeastOnce(recorder.received, bodies);
      for (const failed of recorder.failed) {
        const again = recorder.received.find((r) => r.sha === failed.sha)!;
        expect(again.message.sourceKey, 'a redelivery must carry the same source key').toBe(failed.message.sourceKey);
      }
      await expectNothingLeft();
    });

    it('completes a message at the source when submit reports it a duplicate', async () => {
      await open();
      const recorder = new Recorder();
      recorder.behaviour = () => 'duplicate';
      const bodies = makeBodies(10, 'duplicate', 1_000);
      const sender = sendHandler();
      if (harness.liveOnly) {
        startReceiver(recorder);
        await whenListening(recorder, sender, 1);
      }
      await sendAll(sender, bodies);
      if (!harness.liveOnly) startReceiver(recorder);
      await waitFor(() => recorder.hasAll(bodies), 'every message');
      await expectNothingLeft();
      await sleep(1_500);
      expectEachOnce(recorder.received, bodies);
    });

    it('loses nothing when a receiver is stopped mid-stream and another takes over', async (context) => {
      if (harness.liveOnly) return context.skip('the transport keeps nothing while no receiver runs');
      await open();
      const first = new Recorder();
      first.behaviour = () => {
        // A slow store: the stop comes while messages are being submitted.
        const until = Date.now() + 5;
        while (Date.now() < until);
        return undefined;
      };
      const bodies = makeBodies(N, 'takeover', 2_000);
      await sendAll(sendHandler(), bodies);
      const runner = startReceiver(first);
      await waitFor(() => first.received.length >= 5, 'the first receiver to start');
      await runner.stop();
      runners.splice(runners.indexOf(runner), 1);
      expect(runner.fatal).toEqual([]);
      const second = new Recorder();
      startReceiver(second, 1);
      const all = () => [...first.received, ...second.received];
      await waitFor(() => new Set(all().map((r) => r.sha)).size === N, 'every message across both receivers');
      expectAtLeastOnce(all(), bodies);
      await expectNothingLeft();
    });

    it('reconnects when the transport goes away mid-stream and comes back, losing nothing', async (context) => {
      if ('skip' in harness.restart) return context.skip(harness.restart.skip);
      await open();
      if (!fixture!.restartServer) return context.skip('the harness cannot restart the transport');
      const recorder = new Recorder();
      const sender = sendHandler();
      const bodies = makeBodies(N, 'restart', 2_000);
      const [firstHalf, secondHalf] = [bodies.slice(0, N / 2), bodies.slice(N / 2)];
      const runner = startReceiver(recorder);
      await whenListening(recorder, sender, 1);
      await sendAll(sender, firstHalf);
      if (harness.restart.midStream) {
        await waitFor(() => recorder.received.length >= N / 8, 'some of the first half');
      } else {
        await waitFor(() => recorder.hasAll(firstHalf), 'the first half');
      }
      await fixture!.restartServer();
      await whenListening(recorder, sender, 1);
      await sendAll(sender, secondHalf, { retryForMs: 20_000 });
      await waitFor(() => recorder.hasAll(bodies), 'every message after the restart');
      expectAtLeastOnce(recorder.received, bodies);
      expect(runner.fatal).toEqual([]);
      await expectNothingLeft();
    });

    it('shares one location between two receivers: every message once, between them', async () => {
      await open();
      const recorder = new Recorder();
      const sender = sendHandler();
      const bodies = makeBodies(2 * N, 'parallel', 2_000);
      startReceiver(recorder, 0);
      startReceiver(recorder, 1);
      await whenListening(recorder, sender, 2);
      await sendAll(sender, bodies);
      await waitFor(() => recorder.hasAll(bodies), `all ${2 * N} messages`);
      await sleep(500);
      expectEachOnce(recorder.received, bodies);
      await expectNothingLeft();
    });

    it('reports an unreachable transport as a TransientAdapterError, on both sides', async (context) => {
      if (!harness.unreachable) return context.skip('the harness has no unreachable settings');
      await open();
      const { receiveConfig, sendConfig } = harness.unreachable();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 10_000);
      const received = await receiveHandler(receiveConfig)
        .run({ signal: controller.signal, submit: new Recorder().submitFor(0) })
        .then(
          () => 'returned',
          (e: unknown) => e,
        );
      clearTimeout(timer);
      expect(received).toBeInstanceOf(TransientAdapterError);
      const sent = await sendHandler(sendConfig)
        .send(outbound(Buffer.from('x')), new AbortController().signal)
        .then(
          () => 'sent',
          (e: unknown) => e,
        );
      expect(sent).toBeInstanceOf(TransientAdapterError);
    });
  });
}

function expectEachOnce(received: readonly Reception[], bodies: readonly Buffer[]): void {
  const counts = new Map<string, number>();
  for (const r of received) counts.set(r.sha, (counts.get(r.sha) ?? 0) + 1);
  const expected = new Map(bodies.map((b) => [sha256(b), 1]));
  expect(counts).toEqual(expected);
}

/** Every body at least once, nothing else, and a body received twice only under one source key. */
function expectAtLeastOnce(received: readonly Reception[], bodies: readonly Buffer[]): void {
  const wanted = new Set(bodies.map(sha256));
  const keys = new Map<string, Set<string | undefined>>();
  for (const r of received) {
    expect(wanted.has(r.sha), 'a body nobody sent was received').toBe(true);
    keys.set(r.sha, (keys.get(r.sha) ?? new Set()).add(r.message.sourceKey));
  }
  expect(keys.size).toBe(wanted.size);
  for (const [sha, sourceKeys] of keys) {
    const times = received.filter((r) => r.sha === sha).length;
    if (times > 1) {
      expect([...sourceKeys], `a body received ${times} times must have one source key`).toHaveLength(1);
      expect([...sourceKeys][0]).toBeDefined();
    }
  }
}
