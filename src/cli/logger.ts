import { pino } from 'pino';

/** JSON logs on stderr, so stdout stays free for command output (`--json`). */
export const logger = pino(
  { name: 'signalbox', level: process.env.SIGNALBOX_LOG_LEVEL ?? 'info' },
  pino.destination(2),
);
