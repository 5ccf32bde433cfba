import {
  emptyContext,
  promoteProperty,
  propertyNameProblem,
  writeProperty,
  type MessageContext,
} from '../../domain/context/index.js';
import { PermanentAdapterError } from '../errors.js';
import type { MqHeader, ParsedMessage } from './headers/chain.js';
import type { FieldValues, Layout } from './headers/layout.js';
import { MQCIH, MQDLH, MQIIH, MQMD1, MQMD2 } from './headers/structures.js';
import { MQ_ERROR } from './errors.js';
import type { MqMd } from './md.js';

const SKIPPED = new Set(['StrucId', 'StrucLength', 'Version', 'Authenticator']);

/** A structure's fields as `<prefix><Field>` properties: numbers, trimmed strings, upper-case hex. */
export function layoutProperties(layout: Layout, values: FieldValues, prefix: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const field of layout.fields) {
    if (SKIPPED.has(field.name)) continue;
    const value = values[field.name];
    const name = `${prefix}${field.name}`;
    if (field.type.kind === 'struct') {
      Object.assign(out, layoutProperties(field.type.layout, (value ?? {}) as FieldValues, `${name}.`));
    } else if (Buffer.isBuffer(value)) {
      out[name] = value.toString('hex').toUpperCase();
    } else if (typeof value === 'string') {
      out[name] = value.replace(/[ \0]+$/, '');
    } else if (typeof value === 'number') {
      out[name] = value;
    }
  }
  return out;
}

/**
 * The context of a received message: every MQMD field promoted (they route: MsgType, Format,
 * ReplyToQ, CorrelId, …), the headers found in front of the data written, MQRFH2 `usr`
 * properties promoted (they are the application's own), and where it came from.
 */
export function receivedContext(
  md: MqMd,
  parsed: ParsedMessage | undefined,
  where: { queue: string; queueManager: string },
  headerError?: string,
): MessageContext {
  let context = emptyContext();
  for (const [name, value] of Object.entries(layoutProperties(MQMD2, md as unknown as FieldValues, 'MQMD.'))) {
    context = promoteProperty(context, name, value);
  }
  for (const header of parsed?.headers ?? []) {
    for (const [name, value, promote] of headerProperties(header)) {
      if (propertyNameProblem(name) !== undefined) continue;
      context = promote ? promoteProperty(context, name, value) : writeProperty(context, name, value);
    }
  }
  context = promoteProperty(context, 'MQ.Queue', where.queue);
  context = promoteProperty(context, 'MQ.QueueManager', where.queueManager);
  if (headerError) context = writeProperty(context, 'MQ.HeaderError', headerError);
  return context;
}

function headerProperties(header: MqHeader): [string, string | number, boolean][] {
  switch (header.type) {
    case 'MQXQH':
      return [
        ['MQXQH.RemoteQName', trim(header.values.RemoteQName), false],
        ['MQXQH.RemoteQMgrName', trim(header.values.RemoteQMgrName), false],
        ...Object.entries(layoutProperties(MQMD1, header.values.MsgDesc as FieldValues, 'MQXQH.MsgDesc.')).map(
          ([n, v]) => [n, v, false] as [string, string | number, boolean],
        ),
      ];
    case 'MQCIH':
    case 'MQIIH':
    case 'MQDLH': {
      const layout = { MQCIH, MQIIH, MQDLH }[header.type];
      return Object.entries(layoutProperties(layout, header.values, `${header.type}.`)).map(([n, v]) => [n, v, false]);
    }
    case 'MQRFH2':
      return Object.entries(header.folders).flatMap(([folder, properties]) =>
        Object.entries(properties).map(
          ([n, v]) => [`MQRFH2.${folder}.${n}`, v, folder === 'usr'] as [string, string, boolean],
        ),
      );
  }
}

function trim(value: unknown): string {
  return typeof value === 'string' ? value.replace(/[ \0]+$/, '') : '';
}

/** MQMD fields a sender may set (the identity and origin context belong to the queue manager). */
const SETTABLE = [
  'Report',
  'MsgType',
  'Expiry',
  'Feedback',
  'Encoding',
  'CodedCharSetId',
  'Format',
  'Priority',
  'Persistence',
  'MsgId',
  'CorrelId',
  'ReplyToQ',
  'ReplyToQMgr',
  'GroupId',
  'MsgSeqNumber',
  'Offset',
  'MsgFlags',
  'OriginalLength',
] as const;

/** The properties of `namespace` in `context` (promoted or written), without the namespace. */
export function propertiesOf(
  context: MessageContext,
  namespace: string,
): Map<string, string | number | boolean | null> {
  const out = new Map<string, string | number | boolean | null>();
  for (const set of [context.written, context.promoted]) {
    for (const [name, value] of Object.entries(set)) {
      if (name.startsWith(`${namespace}.`)) out.set(name.slice(namespace.length + 1), value);
    }
  }
  return out;
}

/** Field values for `layout` from properties, checked against the field types. */
function fieldValues(layout: Layout, properties: Map<string, unknown>, namespace: string): FieldValues {
  const values: FieldValues = {};
  for (const field of layout.fields) {
    if (SKIPPED.has(field.name) || !properties.has(field.name)) continue;
    const value = properties.get(field.name);
    const name = `${namespace}.${field.name}`;
    if (value === null || value === undefined) continue;
    switch (field.type.kind) {
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(name, 'an integer');
        values[field.name] = value;
        break;
      case 'char':
        if (typeof value !== 'string' || Buffer.byteLength(value, 'latin1') > field.length) {
          throw invalid(name, `text of at most ${field.length} characters`);
        }
        values[field.name] = value;
        break;
      case 'bytes':
        if (typeof value !== 'string' || !/^(?:[0-9A-Fa-f]{2})*$/.test(value) || value.length > field.length * 2) {
          throw invalid(name, `hex of at most ${field.length} bytes`);
        }
        values[field.name] = Buffer.from(value, 'hex');
        break;
      case 'struct':
        break;
    }
  }
  return values;
}

function invalid(name: string, expected: string): PermanentAdapterError {
  return new PermanentAdapterError(MQ_ERROR.PROPERTY_INVALID, `context property ${name} must be ${expected}`);
}

/** The MQMD fields the context sets (MQMD.*), as the descriptor of a put. */
export function mdFromContext(context: MessageContext): Partial<MqMd> {
  const properties = propertiesOf(context, 'MQMD');
  const settable = new Map([...properties].filter(([name]) => (SETTABLE as readonly string[]).includes(name)));
  const values = fieldValues(MQMD2, settable, 'MQMD');
  const md: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    md[name] = Buffer.isBuffer(value) ? padded(value, name === 'AccountingToken' ? 32 : 24) : value;
  }
  return md;
}

function padded(bytes: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  bytes.copy(out);
  return out;
}

/**
 * The headers the context asks for, outermost first: MQXQH (only when putting straight to a
 * transmission queue), MQDLH, MQRFH2, then MQCIH or MQIIH (the bridge header sits next to the
 * data it describes).
 */
export function headersFromContext(context: MessageContext, options: { transmissionHeader: boolean }): MqHeader[] {
  const headers: MqHeader[] = [];
  if (options.transmissionHeader) {
    const xqh = propertiesOf(context, 'MQXQH');
    const remoteQ = xqh.get('RemoteQName');
    const remoteQm = xqh.get('RemoteQMgrName');
    if (typeof remoteQ !== 'string' || remoteQ === '' || typeof remoteQm !== 'string') {
      throw new PermanentAdapterError(
        MQ_ERROR.PROPERTY_INVALID,
        'a put to a transmission queue needs the context properties MQXQH.RemoteQName and MQXQH.RemoteQMgrName',
      );
    }
    const msgDesc = new Map([...xqh].filter(([n]) => n.startsWith('MsgDesc.')).map(([n, v]) => [n.slice(8), v]));
    headers.push({
      type: 'MQXQH',
      values: { RemoteQName: remoteQ, RemoteQMgrName: remoteQm, MsgDesc: fieldValues(MQMD1, msgDesc, 'MQXQH.MsgDesc') },
    });
  }
  const dlh = propertiesOf(context, 'MQDLH');
  if (dlh.size > 0) headers.push({ type: 'MQDLH', values: fieldValues(MQDLH, dlh, 'MQDLH') });
  const rfh = propertiesOf(context, 'MQRFH2');
  if (rfh.size > 0) {
    const folders: Record<string, Record<string, string>> = {};
    for (const [name, value] of rfh) {
      const dot = name.indexOf('.');
      if (dot <= 0 || value === null) continue;
      (folders[name.slice(0, dot)] ??= {})[name.slice(dot + 1)] = String(value);
    }
    headers.push({ type: 'MQRFH2', values: {}, folders });
  }
  const cih = propertiesOf(context, 'MQCIH');
  if (cih.size > 0) headers.push({ type: 'MQCIH', values: fieldValues(MQCIH, cih, 'MQCIH') });
  const iih = propertiesOf(context, 'MQIIH');
  if (iih.size > 0) headers.push({ type: 'MQIIH', values: fieldValues(MQIIH, iih, 'MQIIH') });
  return headers;
}
