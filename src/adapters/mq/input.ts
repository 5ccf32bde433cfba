import { setTimeout as sleep } from 'node:timers/promises';
import { messageIdFromSource } from '../../store/message-id.js';
import type { LocationLog, ReceiveContext, ReceiveHandler, ReceiveLocationRuntime } from '../adapter.js';
import { MqiError, type MqClient, type MqConnection, type MqHandle } from './client.js';
import { mqMatchSchema, type MqMatch, type MqReceiveConfig } from './config.js';
import {
  MQGMO_FAIL_IF_QUIESCING,
  MQGMO_NO_SYNCPOINT,
  MQGMO_SYNCPOINT,
  MQGMO_WAIT,
  MQOO_FAIL_IF_QUIESCING,
  MQOO_INPUT_AS_Q_DEF,
  MQOO_INPUT_EXCLUSIVE,
  MQOO_OUTPUT,
  MQPMO_NO_SYNCPOINT,
} from './constants.js';
import { mqError } from './errors.js';
import { parseHeaders, type ParsedMessage } from './headers/chain.js';
import { matchFor } from './match.js';
import type { MqMd } from './md.js';
import { receivedContext } from './message-context.js';
import { MQRC } from './reason-codes.js';
import { MqSession } from './session.js';

/**
 * Receives from a local, alias or transmission queue: MQGET with a wait interval (and
 * MatchOptions when set), then, when transactional, under syncpoint:
 *
 *   MQGET (syncpoint) → submit (the engine appends MessageReceived) → MQCMIT
 *
 * The source key is the MsgId, so a message backed out by a crash between the append and the
 * commit comes again and is recorded as a duplicate, then committed: nothing is lost and nothing
 * received twice. A failed submit backs the message out (BackoutCount + 1) to be taken again.
 * Ordered receive runs under the location's lease: the queue is opened exclusively, and each
 * message is claimed on the fenced location stream before it is submitted and completed before
 * it is committed.
 */
export class MqReceiveHandler implements ReceiveHandler {
  private readonly session: MqSession;
  private match: MqMatch | undefined;

  constructor(
    private readonly config: MqReceiveConfig,
    private readonly location: ReceiveLocationRuntime,
    client?: MqClient,
  ) {
    this.session = new MqSession(config, location.secrets, client);
    this.match = config.match;
  }

  /** Changes the MatchOptions at run time; the next MQGET uses them. `undefined` takes any message. */
  setMatch(match: MqMatch | undefined): void {
    this.match = match === undefined ? undefined : mqMatchSchema.parse(match);
  }

  async run(context: ReceiveContext): Promise<void> {
    const { signal } = context;
    if (signal.aborted) return;
    const session = this.session;
    let waiting = false;
    // A stop while an MQGET waits ends the connection, so the stop does not wait out the interval.
    const interrupt = () => {
      if (waiting) void session.reset();
    };
    signal.addEventListener('abort', interrupt, { once: true });
    try {
      const input = this.config.ordered ? MQOO_INPUT_EXCLUSIVE : MQOO_INPUT_AS_Q_DEF;
      const output = this.config.transactional ? 0 : MQOO_OUTPUT;
      const handle = await session.open(
        'queue',
        { name: this.config.queue },
        input | output | MQOO_FAIL_IF_QUIESCING,
        signal,
      );
      const connection = await session.connect(signal);
      const unfinished = context.log ? await this.unfinishedClaims(context.log) : new Set<string>();
      while (!signal.aborted) {
        const { md: match, options: matchOptions } = matchFor(this.match);
        let got: { md: MqMd; body: Buffer };
        waiting = true;
        try {
          got = await connection.get(
            handle,
            match,
            {
              options:
                MQGMO_WAIT |
                MQGMO_FAIL_IF_QUIESCING |
                (this.config.transactional ? MQGMO_SYNCPOINT : MQGMO_NO_SYNCPOINT),
              waitInterval: this.config.waitIntervalMs,
              matchOptions,
            },
            this.config.maxMessageBytes,
          );
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof MqiError && error.reason === MQRC.NO_MSG_AVAILABLE) continue;
          throw mqError(error, `MQGET from ${this.config.queue} on ${session.target}`);
        } finally {
          waiting = false;
        }
        await this.deliver(got, connection, handle, context, unfinished);
      }
    } catch (error) {
      if (signal.aborted && error instanceof MqiError) return;
      if (error instanceof MqiError) throw mqError(error, `receiving from ${this.config.queue} on ${session.target}`);
      throw error;
    } finally {
      signal.removeEventListener('abort', interrupt);
      // Whatever is uncommitted goes back to the queue with the connection.
      await session.reset();
    }
  }

  private async unfinishedClaims(log: LocationLog): Promise<Set<string>> {
    const claims = await log.unfinished();
    return new Set(claims.filter((c) => c.type === 'QueueMessageClaimed').map((c) => c.data.messageId));
  }

  private async deliver(
    got: { md: MqMd; body: Buffer },
    connection: MqConnection,
    handle: MqHandle,
    context: ReceiveContext,
    unfinished: Set<string>,
  ): Promise<void> {
    const { md, body } = got;
    const sourceKey = md.MsgId.toString('hex').toUpperCase();
    let parsed: ParsedMessage | undefined;
    let headerError: string | undefined;
    if (this.config.parseHeaders) {
      try {
        parsed = parseHeaders(md.Format, md.Encoding, md.CodedCharSetId, body);
      } catch (error) {
        headerError = error instanceof Error ? error.message : String(error);
      }
    }
    const messageContext = receivedContext(
      md,
      parsed,
      { queue: this.config.queue, queueManager: handle.resolvedQueueManager },
      headerError,
    );
    const log = context.log;
    const claim = {
      location: this.location.name,
      queue: this.config.queue,
      sourceId: sourceKey,
      messageId: messageIdFromSource(this.location.name, sourceKey),
    };
    if (log && !unfinished.has(claim.messageId)) await log.record('QueueMessageClaimed', claim);
    try {
      await context.submit({
        sourceKey,
        body: parsed?.data ?? body,
        context: messageContext,
        ...(this.config.contentType ? { contentType: this.config.contentType } : {}),
      });
    } catch {
      // Claimed already: when it comes again it is not claimed a second time.
      if (log) unfinished.add(claim.messageId);
      await this.giveBack(got, connection, handle);
      await sleep(this.config.retryDelayMs, undefined, { signal: context.signal }).catch(() => undefined);
      return;
    }
    if (log) {
      await log.record('QueueMessageCompleted', claim);
      unfinished.delete(claim.messageId);
    }
    if (this.config.transactional) {
      try {
        await connection.commit();
      } catch (error) {
        // The message goes back to the queue; its next delivery is a duplicate and is committed then.
        throw mqError(error, `MQCMIT on ${this.session.target}`);
      }
    }
  }

  /** A failed submit: backed out (transactional), or put back on the queue (not). */
  private async giveBack(got: { md: MqMd; body: Buffer }, connection: MqConnection, handle: MqHandle): Promise<void> {
    try {
      if (this.config.transactional) await connection.backout();
      else await connection.put(handle, got.md, { options: MQPMO_NO_SYNCPOINT }, got.body);
    } catch (error) {
      throw mqError(error, `returning a message to ${this.config.queue} on ${this.session.target}`);
    }
  }
}
