import type { MqObjectDescriptor } from '../client.js';
import { MQOO_BROWSE, MQOO_INPUT_ANY, MQOO_INQUIRE, MQOO_OUTPUT } from '../constants.js';
import { MQRC } from '../reason-codes.js';
import type { QueueDefinition } from './definitions.js';
import { SimulatedQueue } from './simulated-queue.js';
import { SimulatedFailure, type OpenHandle } from './simulator-types.js';

export type ResolvedObject = Omit<OpenHandle, 'id' | 'options'>;

let nextDynamic = 1;

/**
 * MQOPEN's name resolution: a local queue is itself; an alias resolves to its base (2082 when
 * there is none); a remote definition, or a queue on another queue manager, to its transmission
 * queue (puts then carry an MQXQH; 2087, 2092; input is refused with 2045); a model queue makes
 * a dynamic queue named from DynamicQName, owned by the connection `owner`.
 */
export function resolveObject(
  queues: Map<string, SimulatedQueue>,
  queueManagerName: string,
  od: MqObjectDescriptor,
  options: number,
  owner: number,
): ResolvedObject {
  const wantsInput = (options & (MQOO_INPUT_ANY | MQOO_BROWSE)) !== 0;
  if ((options & (MQOO_INPUT_ANY | MQOO_BROWSE | MQOO_OUTPUT | MQOO_INQUIRE)) === 0) {
    throw new SimulatedFailure(MQRC.OPTIONS_ERROR, 'open options name no access (input, browse, output or inquire)');
  }
  const local = (queue: SimulatedQueue, definition: QueueDefinition, name: string): ResolvedObject => ({
    queue,
    definition,
    resolvedName: name,
    resolvedQueueManager: queueManagerName,
  });
  const targetQmgr = od.queueManager?.trim() ?? '';
  if (targetQmgr && targetQmgr !== queueManagerName) {
    // A queue on another queue manager: reached through the transmission queue named after it.
    if (wantsInput) {
      throw new SimulatedFailure(MQRC.OPTION_NOT_VALID_FOR_TYPE, 'cannot get from a queue on another queue manager');
    }
    const xmit = transmissionQueue(queues, targetQmgr);
    return {
      queue: xmit,
      definition: xmit.definition,
      resolvedName: od.name,
      resolvedQueueManager: targetQmgr,
      remote: { queue: od.name, queueManager: targetQmgr },
    };
  }
  const object = queues.get(od.name);
  if (!object) throw new SimulatedFailure(MQRC.UNKNOWN_OBJECT_NAME, `no queue ${od.name}`);
  const definition = object.definition;
  switch (definition.type) {
    case 'local':
      return local(object, definition, definition.name);
    case 'alias': {
      const base = queues.get(definition.target!);
      if (!base || base.definition.type === 'alias' || base.definition.type === 'model') {
        throw new SimulatedFailure(
          MQRC.UNKNOWN_ALIAS_BASE_Q,
          `alias ${definition.name} targets ${definition.target}, which is not a queue here`,
        );
      }
      if (base.definition.type === 'remote') return remote(queues, base.definition, wantsInput, definition.name);
      return local(base, definition, definition.name);
    }
    case 'remote':
      return remote(queues, definition, wantsInput, definition.name);
    case 'model': {
      const name = dynamicName(queues, od.dynamicQName ?? 'AMQ.*');
      const dynamic = new SimulatedQueue(
        { ...definition, name, type: 'local', definitionType: definition.definitionType ?? 'temporary' },
        owner,
      );
      queues.set(name, dynamic);
      return local(dynamic, dynamic.definition, name);
    }
  }
}

function remote(
  queues: Map<string, SimulatedQueue>,
  definition: QueueDefinition,
  wantsInput: boolean,
  opened: string,
): ResolvedObject {
  if (wantsInput) {
    throw new SimulatedFailure(
      MQRC.OPTION_NOT_VALID_FOR_TYPE,
      `${definition.name} is a remote definition: it can only be put to`,
    );
  }
  const xmitName = definition.transmissionQueue ?? definition.remoteQueueManager!;
  const xmit = transmissionQueue(queues, xmitName);
  const queueManager = definition.remoteQueueManager ?? xmitName;
  return {
    queue: xmit,
    definition,
    resolvedName: opened,
    resolvedQueueManager: queueManager,
    remote: { queue: definition.remoteName ?? definition.name, queueManager },
  };
}

function transmissionQueue(queues: Map<string, SimulatedQueue>, name: string): SimulatedQueue {
  const xmit = queues.get(name);
  if (!xmit || xmit.definition.type !== 'local') {
    throw new SimulatedFailure(MQRC.UNKNOWN_REMOTE_Q_MGR, `no transmission queue ${name}`);
  }
  if (xmit.definition.usage !== 'transmission') {
    throw new SimulatedFailure(MQRC.XMIT_Q_USAGE_ERROR, `${name} is not a transmission queue`);
  }
  return xmit;
}

/** `PREFIX.*` gets a unique suffix for the `*`, as MQ does; a name without `*` is taken as it is. */
function dynamicName(queues: Map<string, SimulatedQueue>, pattern: string): string {
  const star = pattern.indexOf('*');
  if (star < 0) {
    if (queues.has(pattern)) throw new SimulatedFailure(2100, `queue ${pattern} already exists`);
    return pattern;
  }
  const prefix = pattern.slice(0, star);
  for (;;) {
    const counter = (nextDynamic++).toString(16).toUpperCase().padStart(8, '0');
    const name = (prefix + (Date.now().toString(16).toUpperCase() + counter).slice(-16)).slice(0, 48);
    if (!queues.has(name)) return name;
  }
}
