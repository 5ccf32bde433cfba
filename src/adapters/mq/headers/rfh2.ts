import { MQFMT_NONE } from '../constants.js';
import { littleEndian, type FieldValues } from './layout.js';
import { MQRFH2 } from './structures.js';

/** Properties by folder (`usr`, `mcd`, `jms`, …) and name; values as the folder's text gives them. */
export type Rfh2Folders = Record<string, Record<string, string>>;

export interface Rfh2 {
  readonly fixed: FieldValues;
  readonly folders: Rfh2Folders;
  readonly length: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const CCSID_UTF8 = 1208;

/**
 * Reads an MQRFH2 at `offset`: the fixed part, then NameValueLength/NameValueData pairs up to
 * StrucLength. Each NameValueData is one folder (`<usr><Colour>red</Colour></usr>`); only flat
 * property elements are read, which is what MQ's own folders hold.
 */
export function unpackRfh2(source: Buffer, offset: number, encoding: number): Rfh2 {
  const fixed = MQRFH2.unpack(source, offset, encoding);
  if (fixed.StrucId !== 'RFH')
    throw new RangeError(`expected an MQRFH2 (StrucId "RFH "), found ${JSON.stringify(fixed.StrucId)}`);
  const length = fixed.StrucLength as number;
  if (length < MQRFH2.length || offset + length > source.length) {
    throw new RangeError(`MQRFH2 StrucLength ${length} does not fit the message`);
  }
  const le = littleEndian(encoding);
  const folders: Rfh2Folders = {};
  let at = offset + MQRFH2.length;
  while (at < offset + length) {
    const size = le ? source.readInt32LE(at) : source.readInt32BE(at);
    at += 4;
    if (size < 0 || at + size > offset + length)
      throw new RangeError('an MQRFH2 NameValueLength runs past StrucLength');
    const xml = source.toString('utf8', at, at + size).trim();
    at += size;
    const folder = /^<([A-Za-z_][\w.-]*)(?:\s[^>]*)?>([\s\S]*)<\/\1>$/.exec(xml);
    if (!folder) continue;
    const properties = (folders[folder[1]!] ??= {});
    for (const match of folder[2]!.matchAll(/<([A-Za-z_][\w.-]*)(?:\s[^>]*)?>([^<]*)<\/\1>/g)) {
      properties[match[1]!] = unescapeXml(match[2]!);
    }
  }
  return { fixed, folders, length };
}

/** Builds an MQRFH2 carrying `folders`, followed by data of `format`. */
export function packRfh2(folders: Rfh2Folders, format: string, encoding: number, ccsid: number): Buffer {
  const le = littleEndian(encoding);
  const parts: Buffer[] = [];
  for (const [folder, properties] of Object.entries(folders)) {
    if (!NAME.test(folder)) throw new RangeError(`MQRFH2 folder name ${JSON.stringify(folder)} is not an XML name`);
    let xml = `<${folder}>`;
    for (const [name, value] of Object.entries(properties)) {
      if (!NAME.test(name)) throw new RangeError(`MQRFH2 property name ${JSON.stringify(name)} is not an XML name`);
      xml += `<${name}>${escapeXml(value)}</${name}>`;
    }
    xml += `</${folder}>`;
    let data = Buffer.from(xml, 'utf8');
    // NameValueLength must be a multiple of 4; blanks pad it.
    const padded = Math.ceil(data.length / 4) * 4;
    if (padded !== data.length) data = Buffer.concat([data, Buffer.alloc(padded - data.length, 0x20)]);
    const length = Buffer.alloc(4);
    if (le) length.writeInt32LE(data.length);
    else length.writeInt32BE(data.length);
    parts.push(length, data);
  }
  const variable = Buffer.concat(parts);
  const fixed = MQRFH2.pack(
    {
      StrucId: 'RFH ',
      Version: 2,
      StrucLength: MQRFH2.length + variable.length,
      Encoding: encoding,
      CodedCharSetId: ccsid,
      Format: format || MQFMT_NONE,
      Flags: 0,
      NameValueCCSID: CCSID_UTF8,
    },
    encoding,
  );
  return Buffer.concat([fixed, variable]);
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

function unescapeXml(text: string): string {
  return text.replace(
    /&(lt|gt|amp|quot|apos);/g,
    (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!,
  );
}
