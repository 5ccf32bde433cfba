export const SUBJECT_IN = 'bench.in';
export const SUBJECT_OUT = 'bench.out';
export const SUBJECT_SLOW = 'bench.slow';
export const RECEIVE_LOCATION = 'bench-in';
/**
 * Messages each worker's receiver submits at once. Each submit waits for its durable append (a
 * group commit with `synchronous=FULL`), so a receiver takes in at most this many messages per
 * commit latency: the adapter's default of 16 held one worker to about 1,000 msg/s here.
 */
export const RECEIVE_CONCURRENCY = 64;

/**
 * NATS subject in → a filter on a promoted header → NATS subject out. Core NATS on both sides, in
 * a queue group so that the workers' receivers compete; the send waits for the server's reply to
 * a flush, so a send is recorded sent only once the server has the message.
 */
export function routedFlow(url: string) {
  return {
    receiveLocations: [
      {
        name: RECEIVE_LOCATION,
        receivePort: 'bench',
        adapter: 'nats',
        config: {
          servers: url,
          mode: 'core',
          subject: SUBJECT_IN,
          queueGroup: 'signalbox-bench',
          concurrency: RECEIVE_CONCURRENCY,
        },
      },
    ],
    sendPorts: [
      {
        name: 'bench-out',
        adapter: 'nats',
        filter: "NATS.Header.kind == 'order'",
        config: { servers: url, mode: 'core', subject: SUBJECT_OUT },
      },
    ],
  };
}

/**
 * The send-bound flow: the routed message is sent as a NATS request to a service that answers
 * after 5 ms (solicit-response), and the reply, received as a new message correlated to it, is
 * routed on to the output subject. The 5 ms are spent waiting on another process, as with a slow
 * HTTP or MQ partner.
 */
export function sendBoundFlow(url: string) {
  const routed = routedFlow(url);
  return {
    receiveLocations: routed.receiveLocations,
    sendPorts: [
      {
        name: 'slow',
        adapter: 'nats',
        filter: "NATS.Header.kind == 'order'",
        config: { servers: url, mode: 'core', subject: SUBJECT_SLOW, requestReply: true, timeoutMs: 2_000 },
      },
      {
        name: 'bench-out',
        adapter: 'nats',
        filter: "BTS.CorrelationSet == 'slow'",
        config: { servers: url, mode: 'core', subject: SUBJECT_OUT },
      },
    ],
  };
}
