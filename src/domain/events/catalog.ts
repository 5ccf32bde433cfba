import { z } from 'zod';
import * as audit from './audit-events.js';
import * as config from './config-events.js';
import * as correlation from './correlation-events.js';
import * as host from './host-events.js';
import * as lease from './lease-events.js';
import * as location from './location-events.js';
import * as message from './message-events.js';
import * as port from './port-events.js';
import * as secret from './secret-events.js';
import * as token from './token-events.js';

/** Every event definition, in one list: the discriminated union and the codec are built from it. */
export const eventDefinitions = [
  message.MessageReceived,
  message.MessageUnroutable,
  message.SendClaimed,
  message.MessageSent,
  message.SendFailed,
  message.MessageSuspended,
  message.MessageResumed,
  message.MessageTerminated,
  message.MessageReplayed,
  lease.LeaseAcquired,
  lease.LeaseRenewed,
  lease.LeaseReleased,
  lease.LeaseTakenOver,
  lease.FenceRaised,
  location.FileClaimed,
  location.FileCompleted,
  location.MailClaimed,
  location.MailCompleted,
  location.QueueMessageClaimed,
  location.QueueMessageCompleted,
  location.ClaimsCheckpointed,
  port.MessageEnqueued,
  port.BacklogCheckpointed,
  correlation.CorrelationInitialized,
  correlation.CorrelationFollowed,
  config.ConfigDefined,
  config.ConfigEnabled,
  config.ConfigDisabled,
  config.ConfigRemoved,
  host.HostInstanceStarted,
  host.HostInstanceStopped,
  host.HostInstanceAlive,
  audit.AuditAnchored,
  token.TokenIssued,
  token.TokenRevoked,
  secret.SecretSet,
  secret.SecretReencrypted,
  secret.MasterKeyInitialized,
  secret.MasterKeyRotationStarted,
  secret.MasterKeyRotationCompleted,
] as const;

type Definitions = typeof eventDefinitions;
type AnyDefinition = Definitions[number];
type SchemasOf<T extends readonly unknown[]> = { [K in keyof T]: T[K] extends { schema: infer S } ? S : never };

function unionOf<const T extends readonly [AnyDefinition, ...AnyDefinition[]]>(definitions: T) {
  return z.discriminatedUnion('type', definitions.map((d) => d.schema) as unknown as SchemasOf<T>);
}

export const signalboxEventSchema = unionOf(eventDefinitions);

/** The `{type, data}` of any Signalbox event, discriminated on `type`. */
export type SignalboxEvent = z.infer<typeof signalboxEventSchema>;
export type EventType = SignalboxEvent['type'];
export type EventOf<T extends EventType> = Extract<SignalboxEvent, { type: T }>;
export type EventData<T extends EventType> = EventOf<T>['data'];

const byType = new Map<string, AnyDefinition>(eventDefinitions.map((d) => [d.type, d]));

export function definitionOf(type: string): AnyDefinition | undefined {
  return byType.get(type);
}

export function currentVersion(type: EventType): number {
  const definition = byType.get(type);
  if (!definition) throw new Error(`unknown event type ${type}`);
  return definition.version;
}
