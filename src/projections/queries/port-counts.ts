import type Database from 'better-sqlite3';
import { prepared } from '../views/statements.js';

/** A send port's sends by status, as the tracking view keeps them. */
export interface PortCounts {
  readonly port: string;
  /** Sends ever routed to the port. */
  readonly routed: number;
  readonly pending: number;
  readonly sending: number;
  readonly retrying: number;
  readonly sent: number;
  readonly suspended: number;
  readonly terminated: number;
}

/** Every port's counts by name, or one port's (an empty list when nothing was routed to it). */
export function portCounts(db: Database.Database, port?: string): PortCounts[] {
  const columns = 'port, routed, pending, sending, retrying, sent, suspended, terminated';
  if (port !== undefined) {
    return prepared(db, `SELECT ${columns} FROM tracking_port_counts WHERE port = ?`).all(port) as PortCounts[];
  }
  return prepared(db, `SELECT ${columns} FROM tracking_port_counts ORDER BY port`).all() as PortCounts[];
}
