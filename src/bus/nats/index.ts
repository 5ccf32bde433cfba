export { NatsWorkQueue } from './nats-work-queue.js';
export type { NatsWorkQueueOptions, ResolvedNatsOptions } from './options.js';
