import { connect, headers, nanos, RetentionPolicy, StorageType, type NatsConnection } from 'nats';

/** One message published to the input stream. */
export interface Input {
  /** Its place in the publishing order, carried in the `seq` header and the body. */
  readonly seq: number;
  readonly kind: string;
  /** Its sequence in the input stream (part of its natural key, so of its message id). */
  readonly streamSeq: number;
}

/** One message found in an output stream. */
export interface Output {
  readonly streamSeq: number;
  /** The publisher's `Nats-Msg-Id`: `messageId:port`, as the NATS send adapter writes it. */
  readonly msgId: string;
  /** The input's `seq`, read back from the body. */
  readonly seq: number;
}

/** The streams' duplicate window (JetStream's default, set explicitly because the audit relies on it). */
export const DUPLICATE_WINDOW_MS = 120_000;

export async function createStreams(url: string, streams: Record<string, string>): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    for (const [name, subject] of Object.entries(streams)) {
      // File storage: the streams must outlive the server's restart, as the inputs' natural keys must.
      await jsm.streams.add({
        name,
        subjects: [subject],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      });
    }
  } finally {
    await nc.close();
  }
}

/** Publishes `count` messages with a kind header each, every one acked by the stream. */
export async function publishInputs(
  url: string,
  subject: string,
  count: number,
  kindOf: (seq: number) => string,
): Promise<Input[]> {
  const nc = await connect({ servers: url });
  try {
    const js = nc.jetstream();
    const inputs: Input[] = [];
    const window: Promise<void>[] = [];
    for (let seq = 0; seq < count; seq++) {
      const h = headers();
      const kind = kindOf(seq);
      h.set('kind', kind);
      h.set('seq', String(seq));
      const body = new TextEncoder().encode(JSON.stringify({ seq, kind }));
      window.push(
        js.publish(subject, body, { headers: h, msgID: `input-${seq}` }).then((ack) => {
          inputs.push({ seq, kind, streamSeq: ack.seq });
        }),
      );
      if (window.length >= 256) await Promise.all(window.splice(0));
    }
    await Promise.all(window);
    return inputs.sort((a, b) => a.seq - b.seq);
  } finally {
    await nc.close();
  }
}

/** Every message of a stream, in stream order, through an ordered consumer. */
export async function readOutputs(url: string, stream: string): Promise<Output[]> {
  const nc: NatsConnection = await connect({ servers: url });
  try {
    const info = await (await nc.jetstreamManager()).streams.info(stream);
    const outputs: Output[] = [];
    if (info.state.messages === 0) return outputs;
    const consumer = await nc.jetstream().consumers.get(stream);
    const messages = await consumer.consume();
    for await (const m of messages) {
      const { seq } = m.json<{ seq: number }>();
      outputs.push({ streamSeq: m.seq, msgId: m.headers?.get('Nats-Msg-Id') ?? '', seq });
      if (m.info.pending === 0) break;
    }
    await messages.close();
    if (outputs.length !== info.state.messages) {
      throw new Error(`read ${outputs.length} messages of ${stream}, which holds ${info.state.messages}`);
    }
    return outputs;
  } finally {
    await nc.close();
  }
}
