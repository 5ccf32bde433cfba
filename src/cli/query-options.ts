import { InvalidArgumentError, type Command } from 'commander';
import type { MessageFilter } from '../projections/queries/index.js';
import { portStatuses, trackingStatuses } from '../projections/views/tracking-schema.js';

export function time(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new InvalidArgumentError('expected a time such as 2026-11-17T03:00:00Z');
  return at;
}

/** `NAME=VALUE`; VALUE is read as JSON when it is JSON (`5`, `true`, `"5"`), otherwise as text. */
export function propertyMatch(value: string): { name: string; value: string | number | boolean | null } {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected NAME=VALUE, e.g. MQMD.CorrelId=abc');
  const raw = value.slice(eq + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // plain text
  }
  if (parsed !== null && typeof parsed === 'object') parsed = raw;
  return { name: value.slice(0, eq), value: parsed as string | number | boolean | null };
}

function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
}

export interface SelectionOptions {
  status?: MessageFilter['status'];
  location?: string;
  port?: string;
  portStatus?: MessageFilter['portStatus'];
  from?: Date;
  to?: Date;
  property?: MessageFilter['property'];
}

/** How operators select messages, shared by `messages` and `replay`. */
export function withSelection(command: Command): Command {
  return command
    .option('--status <status>', `message status: ${trackingStatuses.join(', ')}`, oneOf(trackingStatuses))
    .option('--location <name>', 'received by this receive location')
    .option('--port <name>', 'routed to this send port')
    .option(
      '--port-status <status>',
      `with the send to --port in this status: ${portStatuses.join(', ')}`,
      oneOf(portStatuses),
    )
    .option('--from <time>', 'received at or after', time)
    .option('--to <time>', 'received before', time)
    .option('--property <name=value>', 'with this promoted or written context property', propertyMatch);
}

export function selectionFilter(options: SelectionOptions): MessageFilter {
  if (options.portStatus && !options.port) throw new InvalidArgumentError('--port-status needs --port');
  return {
    ...(options.status ? { status: options.status } : {}),
    ...(options.location ? { receiveLocation: options.location } : {}),
    ...(options.port ? { port: options.port } : {}),
    ...(options.portStatus ? { portStatus: options.portStatus } : {}),
    ...(options.from ? { receivedFrom: options.from } : {}),
    ...(options.to ? { receivedBefore: options.to } : {}),
    ...(options.property ? { property: options.property } : {}),
  };
}
