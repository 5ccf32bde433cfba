import { PermanentAdapterError } from '../errors.js';
import { natsSendConfigSchema, type NatsSendConfig } from './config.js';
import { NATS_ERROR } from './errors.js';

/**
 * A dynamic send address: `nats://orders.eu` (a subject, on the default server),
 * `nats://host:4222/orders.eu` (a subject on that server), and `?jetstream` (or `?mode=jetstream`)
 * to publish to JetStream and wait for its ack.
 */
export function parseNatsAddress(address: string): NatsSendConfig {
  const match = /^nats:\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/i.exec(address);
  if (!match) throw invalid(address, 'expected nats://subject or nats://host:port/subject');
  const [, authority = '', path, query = ''] = match;
  const params = new URLSearchParams(query);
  const jetstream = params.has('jetstream') ? params.get('jetstream') !== 'false' : params.get('mode') === 'jetstream';
  const settings = path === undefined ? { subject: authority } : { servers: `nats://${authority}`, subject: path };
  const parsed = natsSendConfigSchema.safeParse({ ...settings, mode: jetstream ? 'jetstream' : 'core' });
  if (!parsed.success) {
    throw invalid(address, parsed.error.issues.map((i) => `${i.path.join('.') || 'address'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

function invalid(address: string, why: string): PermanentAdapterError {
  return new PermanentAdapterError(NATS_ERROR.ADDRESS_INVALID, `${JSON.stringify(address)}: ${why}`);
}
