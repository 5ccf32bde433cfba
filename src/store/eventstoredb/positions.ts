import { START, type Position, type ReadPosition } from '@eventstore/db-client';

/*
 * The port's global position is one bigint; EventStoreDB's is a (commit, prepare) pair. We use
 * the commit position. That loses nothing for what Signalbox writes: since v20 every event
 * appended through gRPC is its own committed prepare record, so its commit and prepare positions
 * are equal, and different for every event, even within one multi-event append. Only events from
 * the legacy TCP client's explicit transactions share one commit position; a single number cannot
 * tell those apart, and Signalbox never writes them. To read from a position p we therefore ask
 * for {commit: p, prepare: p}.
 */

/** Marks a position the server did not report (stream reads from servers older than 22.6). */
export const unknownPosition = -1n;

/** The server's way of saying "no position" on stream reads: u64::MAX. */
const noPosition = 0xffff_ffff_ffff_ffffn;

export function toReadPosition(position: bigint | undefined): ReadPosition {
  return position === undefined ? START : { commit: position, prepare: position };
}

export function fromClientPosition(position: Position | undefined, fallback?: bigint): bigint {
  const commit = position?.commit ?? fallback;
  return commit === undefined || commit === noPosition || commit < 0n ? unknownPosition : commit;
}
