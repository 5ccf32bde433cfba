/** A queue of the simulator, as MQSC would define it (DEFINE QLOCAL / QALIAS / QREMOTE / QMODEL). */
export interface QueueDefinition {
  readonly name: string;
  readonly type: 'local' | 'alias' | 'remote' | 'model';
  /** local: `transmission` makes it a transmission queue (USAGE(XMITQ)). */
  readonly usage?: 'normal' | 'transmission';
  /** alias: the queue it resolves to (TARGET). */
  readonly target?: string;
  /** remote: RNAME, RQMNAME and XMITQ (default: the transmission queue named as RQMNAME). */
  readonly remoteName?: string;
  readonly remoteQueueManager?: string;
  readonly transmissionQueue?: string;
  /** model: DEFTYPE; dynamic queues made from it are temporary (deleted when their creator leaves) or permanent. */
  readonly definitionType?: 'temporary' | 'permanent';
  readonly maxDepth?: number;
  readonly maxMessageLength?: number;
  readonly getInhibited?: boolean;
  readonly putInhibited?: boolean;
  readonly backoutThreshold?: number;
  readonly backoutQueue?: string;
}

/** What every simulator starts with, as a new queue manager has them. */
export const standardDefinitions: readonly QueueDefinition[] = [
  { name: 'SYSTEM.DEFAULT.MODEL.QUEUE', type: 'model', definitionType: 'temporary' },
  { name: 'SYSTEM.DEFAULT.PERMANENT.MODEL.QUEUE', type: 'model', definitionType: 'permanent' },
  { name: 'SYSTEM.DEAD.LETTER.QUEUE', type: 'local' },
];

const NAME = /^[A-Za-z0-9._/%]{1,48}$/;

/** Why `definition` cannot be defined, or undefined. */
export function definitionProblem(definition: QueueDefinition): string | undefined {
  if (!NAME.test(definition.name)) return `queue name ${JSON.stringify(definition.name)}: 1-48 of A-Z a-z 0-9 . _ / %`;
  if (!['local', 'alias', 'remote', 'model'].includes(definition.type)) return `unknown queue type ${definition.type}`;
  if (definition.type === 'alias' && !definition.target) return `alias ${definition.name} needs a target`;
  if (definition.type === 'remote' && !definition.remoteQueueManager && !definition.transmissionQueue) {
    return `remote definition ${definition.name} needs remoteQueueManager or transmissionQueue`;
  }
  return undefined;
}
