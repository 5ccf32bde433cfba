import type { Projection } from '../runner.js';
import { applyTracking } from './tracking-reducer.js';
import { TrackingRows } from './tracking-rows.js';
import { trackingSchema } from './tracking-schema.js';

/**
 * Where every message is: per message its status, receipt, attempts and last error; per send
 * (message and port) its status and outcome; the flow timeline of each message; and per port
 * the count of its sends in each status, kept up to date event by event. See `tracking-schema.ts`
 * for the statuses and steps.
 */
export const trackingView: Projection = {
  name: 'tracking',
  filter: {
    streamPrefixes: ['message-', 'correlation-'],
    eventTypes: [
      'MessageReceived',
      'MessageUnroutable',
      'SendClaimed',
      'MessageSent',
      'SendFailed',
      'MessageSuspended',
      'MessageResumed',
      'MessageTerminated',
      'MessageReplayed',
      'CorrelationInitialized',
      'CorrelationFollowed',
    ],
  },
  tables: [
    { name: 'tracking_messages', key: ['message_id'] },
    { name: 'tracking_ports', key: ['message_id', 'port'] },
    { name: 'tracking_flow', key: ['message_id', 'position', 'seq'] },
    { name: 'tracking_port_counts', key: ['port'], additive: true },
  ],
  // A replayed copy's receipt adds a step to its original's timeline.
  partition: { shared: ['MessageReplayed'] },
  setup(db) {
    db.exec(trackingSchema);
  },
  apply(db, event) {
    const rows = new TrackingRows(db);
    applyTracking(rows, event);
    rows.flush();
  },
  batchWriter(db, options) {
    const rows = new TrackingRows(db, options);
    return { apply: (event) => applyTracking(rows, event), flush: () => rows.flush() };
  },
};
