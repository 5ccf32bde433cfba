import { pino } from 'pino';

/** What the queues log through: a pino logger fits, and so does anything with these two methods. */
export interface BusLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** JSON on stderr like the CLI's logger, so a queue built without one still reports trouble. */
export function defaultBusLogger(): BusLogger {
  return pino({ name: 'signalbox-work-queue', level: process.env.SIGNALBOX_LOG_LEVEL ?? 'info' }, pino.destination(2));
}
