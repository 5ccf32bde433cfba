import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  InboundMessage,
  OutboundMessage,
  ReceiveHandler,
  SendHandler,
  SendOutcome,
  SubmitResult,
} from '../../src/adapters/adapter.js';
import { TransientAdapterError } from '../../src/adapters/errors.js';
import type { MessageContext } from '../../src/domain/events/index.js';

/*
 * What the adapter contract suite drives adapters with: a recording `submit`, a runner that does
 * what the host runtime does with a receive handler (run it, start it again after a
 * TransientAdapterError, stop it by aborting), and bodies that can be told apart and checked.
 */

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export async function bodyBytes(body: Uint8Array | Readable): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

export interface Reception {
  readonly receiver: number;
  readonly sha: string;
  readonly body: Buffer;
  readonly streamed: boolean;
  readonly message: InboundMessage;
}

/** What a submit does with one delivery: succeed (default), throw, or report a duplicate. */
export type Behaviour = (reception: Reception, deliveriesOfBody: number) => 'throw' | 'duplicate' | undefined;

export const PROBE = 'probe:';

/** Records every submit; probes (bodies starting `probe:`) are only counted, per receiver. */
export class Recorder {
  readonly received: Reception[] = [];
  readonly failed: Reception[] = [];
  readonly probes = new Map<number, number>();
  behaviour: Behaviour = () => undefined;
  private ids = 0;

  submitFor(receiver: number): (message: InboundMessage) => Promise<SubmitResult> {
    return async (message) => {
      const streamed = !(message.body instanceof Uint8Array);
      const body = await bodyBytes(message.body);
      if (body.subarray(0, PROBE.length).toString() === PROBE) {
        this.probes.set(receiver, (this.probes.get(receiver) ?? 0) + 1);
        return { status: 'received', messageIds: [`probe-${++this.ids}`] };
      }
      const reception: Reception = { receiver, sha: sha256(body), body, streamed, message };
      const deliveries = this.deliveries(reception.sha) + 1;
      const act = this.behaviour(reception, deliveries);
      if (act === 'throw') {
        this.failed.push(reception);
        throw new Error('submit failed on purpose (the store is down, say)');
      }
      this.received.push(reception);
      const messageId = `m-${++this.ids}`;
      return act === 'duplicate' ? { status: 'duplicate', messageId } : { status: 'received', messageIds: [messageId] };
    };
  }

  /** Deliveries of one body so far, failed ones included. */
  deliveries(sha: string): number {
    return [...this.received, ...this.failed].filter((r) => r.sha === sha).length;
  }

  countOf(sha: string): number {
    return this.received.filter((r) => r.sha === sha).length;
  }

  hasAll(bodies: readonly Buffer[]): boolean {
    const got = new Set(this.received.map((r) => r.sha));
    return bodies.every((b) => got.has(sha256(b)));
  }
}

/**
 * Polls `condition` until it holds. A condition that throws (a server still restarting) counts as
 * not yet; its last error is quoted if time runs out.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await sleep(20);
  }
}

/** Runs a receive handler as the host runtime does. */
export class ReceiverRunner {
  readonly transient: TransientAdapterError[] = [];
  readonly fatal: unknown[] = [];
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly handler: ReceiveHandler,
    private readonly submit: (message: InboundMessage) => Promise<SubmitResult>,
    private readonly backoffMs = 100,
  ) {}

  start(): this {
    this.loop = this.runLoop();
    return this;
  }

  /** Aborts and waits for `run` to return; fails if it does not within `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.controller.abort();
    const timer = sleep(timeoutMs, 'timeout' as const);
    const outcome = await Promise.race([this.loop?.then(() => 'stopped' as const), timer]);
    if (outcome === 'timeout') throw new Error(`receive handler did not stop within ${timeoutMs} ms of its abort`);
  }

  private async runLoop(): Promise<void> {
    const { signal } = this.controller;
    while (!signal.aborted) {
      try {
        await this.handler.run({ signal, submit: this.submit });
        if (!signal.aborted) {
          this.fatal.push(new Error('run() returned although its signal was not aborted'));
          return;
        }
      } catch (error) {
        if (!(error instanceof TransientAdapterError)) {
          this.fatal.push(error);
          return;
        }
        this.transient.push(error);
        await sleep(this.backoffMs);
      }
    }
  }
}

let counter = 0;

/** Bodies tagged with their index (so each is distinct), mostly small, binary, one of `largeBytes`. */
export function makeBodies(n: number, tag: string, largeBytes: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => {
    const head = Buffer.from(`${tag}:${i}:`);
    const size = i === 1 ? largeBytes - head.length : (i * 97) % 3_000;
    return Buffer.concat([head, randomBytes(Math.max(0, size))]);
  });
}

export function outbound(
  body: Buffer,
  options: { messageId?: string; port?: string; attempt?: number; context?: MessageContext } = {},
): OutboundMessage {
  return {
    messageId: options.messageId ?? `msg-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`,
    port: options.port ?? 'contract-port',
    attempt: options.attempt ?? 1,
    context: options.context ?? { promoted: {}, written: {} },
    // Several small chunks, so an adapter that assumes one chunk is caught.
    openBody: async () => Readable.from(chunked(body, 64 * 1024)),
    bodySize: body.length,
    readBody: async (max = Number.POSITIVE_INFINITY) => {
      if (body.length > max) throw new Error(`body of ${body.length} bytes exceeds ${max}`);
      return body;
    },
  };
}

function chunked(body: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) parts.push(body.subarray(i, i + size));
  return parts.length > 0 ? parts : [Buffer.alloc(0)];
}

/**
 * Sends each body, retrying a TransientAdapterError the way a send port's retry policy would
 * (until `retryForMs` has passed), `concurrency` at a time.
 */
export async function sendAll(
  handler: SendHandler,
  bodies: readonly Buffer[],
  options: { concurrency?: number; retryForMs?: number } = {},
): Promise<SendOutcome[]> {
  const { concurrency = 8, retryForMs = 0 } = options;
  const outcomes: SendOutcome[] = new Array<SendOutcome>(bodies.length);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      const deadline = Date.now() + retryForMs;
      for (let attempt = 1; ; attempt++) {
        try {
          outcomes[i] = await handler.send(outbound(bodies[i]!, { attempt }), new AbortController().signal);
          break;
        } catch (error) {
          if (!(error instanceof TransientAdapterError) || Date.now() > deadline) throw error;
          await sleep(100);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}
