import { PermanentAdapterError } from '../errors.js';
import { mqSendConfigSchema, type MqSendConfig } from './config.js';
import { MQ_ERROR } from './errors.js';

/**
 * A dynamic send address: `mq://QMGR/QUEUE` (bindings mode), or with a client connection
 * `mq://QMGR/QUEUE?channel=DEV.APP.SVRCONN&conn=host(port)`; `&remoteQueueManager=QM2` puts to
 * QUEUE on another queue manager, `&client=simulator` goes to the MQI simulator. Credentials
 * never go in an address: a port that needs them is configured with secret references.
 */
export function parseMqAddress(address: string): MqSendConfig {
  const match = /^mq:\/\/([^/?#]*)\/([^?#]+)(?:\?([^#]*))?$/i.exec(address);
  if (!match) throw invalid(address, 'expected mq://QMGR/QUEUE?channel=…&conn=host(port)');
  const [, queueManager = '', queue = '', query = ''] = match;
  const params = new URLSearchParams(query);
  const allowed = new Set(['channel', 'conn', 'client', 'remoteQueueManager', 'cipherSpec']);
  for (const key of params.keys()) {
    if (!allowed.has(key))
      throw invalid(address, `unknown parameter ${JSON.stringify(key)} (known: ${[...allowed].join(', ')})`);
  }
  const settings: Record<string, unknown> = {
    queueManager: decodeURIComponent(queueManager),
    queue: decodeURIComponent(queue),
  };
  for (const key of allowed) {
    const value = params.get(key);
    if (value !== null) settings[key] = value;
  }
  const parsed = mqSendConfigSchema.safeParse(settings);
  if (!parsed.success) {
    throw invalid(address, parsed.error.issues.map((i) => `${i.path.join('.') || 'address'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

function invalid(address: string, why: string): PermanentAdapterError {
  return new PermanentAdapterError(MQ_ERROR.ADDRESS_INVALID, `${JSON.stringify(address)}: ${why}`);
}
