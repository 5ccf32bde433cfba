import {
  MQCA_BACKOUT_REQ_Q_NAME,
  MQCA_BASE_Q_NAME,
  MQCA_Q_MGR_NAME,
  MQCA_Q_NAME,
  MQCA_REMOTE_Q_MGR_NAME,
  MQCA_REMOTE_Q_NAME,
  MQCA_XMIT_Q_NAME,
  MQIA_BACKOUT_THRESHOLD,
  MQIA_CURRENT_Q_DEPTH,
  MQIA_DEFINITION_TYPE,
  MQIA_MAX_MSG_LENGTH,
  MQIA_MAX_Q_DEPTH,
  MQIA_OPEN_INPUT_COUNT,
  MQIA_Q_TYPE,
  MQIA_USAGE,
  MQQDT_PERMANENT_DYNAMIC,
  MQQDT_TEMPORARY_DYNAMIC,
  MQQT_ALIAS,
  MQQT_LOCAL,
  MQQT_MODEL,
  MQQT_REMOTE,
  MQUS_NORMAL,
  MQUS_TRANSMISSION,
} from '../constants.js';
import { SimulatedFailure, type OpenHandle } from './simulator-types.js';

/** MQINQ: the attributes of an opened queue by selector; one that does not apply fails with 2067. */
export function queueAttributes(
  handle: OpenHandle,
  queueManagerName: string,
  selectors: readonly number[],
): Map<number, number | string> {
  const definition = handle.definition;
  const queue = handle.queue;
  const local = definition.type === 'local' || handle.queue.owner !== undefined;
  const values = new Map<number, number | string>();
  for (const selector of selectors) {
    const value = (() => {
      switch (selector) {
        case MQIA_CURRENT_Q_DEPTH:
          return local ? queue.depth : undefined;
        case MQIA_MAX_Q_DEPTH:
          return local ? (definition.maxDepth ?? 5_000) : undefined;
        case MQIA_MAX_MSG_LENGTH:
          return definition.maxMessageLength ?? 4 * 1024 * 1024;
        case MQIA_OPEN_INPUT_COUNT:
          return local ? queue.openInputCount : undefined;
        case MQIA_Q_TYPE:
          return { local: MQQT_LOCAL, alias: MQQT_ALIAS, remote: MQQT_REMOTE, model: MQQT_MODEL }[definition.type];
        case MQIA_USAGE:
          return definition.usage === 'transmission' ? MQUS_TRANSMISSION : MQUS_NORMAL;
        case MQIA_DEFINITION_TYPE:
          return definition.definitionType === 'permanent' ? MQQDT_PERMANENT_DYNAMIC : MQQDT_TEMPORARY_DYNAMIC;
        case MQIA_BACKOUT_THRESHOLD:
          return definition.backoutThreshold ?? 0;
        case MQCA_Q_NAME:
          return handle.resolvedName;
        case MQCA_Q_MGR_NAME:
          return queueManagerName;
        case MQCA_BASE_Q_NAME:
          return definition.target ?? '';
        case MQCA_BACKOUT_REQ_Q_NAME:
          return definition.backoutQueue ?? '';
        case MQCA_REMOTE_Q_NAME:
          return definition.remoteName ?? '';
        case MQCA_REMOTE_Q_MGR_NAME:
          return definition.remoteQueueManager ?? '';
        case MQCA_XMIT_Q_NAME:
          return definition.transmissionQueue ?? '';
        default:
          return undefined;
      }
    })();
    if (value === undefined)
      throw new SimulatedFailure(2067, `selector ${selector} does not apply to ${handle.resolvedName}`);
    values.set(selector, value);
  }
  return values;
}
