export { LocalWorkQueue, type LocalWorkQueueOptions } from './local-work-queue.js';
