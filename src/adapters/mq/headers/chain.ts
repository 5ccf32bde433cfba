import {
  MQFMT_CICS,
  MQFMT_DEAD_LETTER_HEADER,
  MQFMT_IMS,
  MQFMT_RF_HEADER_2,
  MQFMT_XMIT_Q_HEADER,
} from '../constants.js';
import type { FieldValues } from './layout.js';
import { packRfh2, unpackRfh2, type Rfh2Folders } from './rfh2.js';
import { MQCIH, MQCIH_LENGTH_1, MQDLH, MQIIH, MQXQH } from './structures.js';

/** One MQ header found in front of (or put in front of) the application data. */
export type MqHeader =
  | { readonly type: 'MQXQH'; readonly values: FieldValues }
  | { readonly type: 'MQCIH'; readonly values: FieldValues }
  | { readonly type: 'MQIIH'; readonly values: FieldValues }
  | { readonly type: 'MQDLH'; readonly values: FieldValues }
  | { readonly type: 'MQRFH2'; readonly values: FieldValues; readonly folders: Rfh2Folders };

export interface ParsedMessage {
  readonly headers: MqHeader[];
  /** The application data after the last header. */
  readonly data: Buffer;
  /** Format, encoding and CCSID of `data`, as the last header (or the MQMD) gives them. */
  readonly format: string;
  readonly encoding: number;
  readonly ccsid: number;
}

const same = (a: string, b: string) => a.trim() === b.trim();

/**
 * Walks the header chain: each header's Format (MQXQH: its MsgDesc.Format) names what follows,
 * and its Encoding/CodedCharSetId describe it, starting from the MQMD's. A header that does not
 * parse (wrong StrucId, too short) throws a RangeError naming it; the caller keeps the message.
 */
export function parseHeaders(format: string, encoding: number, ccsid: number, body: Buffer): ParsedMessage {
  const headers: MqHeader[] = [];
  let offset = 0;
  for (let guard = 0; guard < 16; guard++) {
    if (same(format, MQFMT_XMIT_Q_HEADER)) {
      const values = MQXQH.unpack(body, offset, encoding);
      expectStrucId(values, 'XQH', 'MQXQH');
      headers.push({ type: 'MQXQH', values });
      const md = values.MsgDesc as FieldValues;
      offset += MQXQH.length;
      [format, encoding, ccsid] = [md.Format as string, md.Encoding as number, md.CodedCharSetId as number];
    } else if (same(format, MQFMT_CICS) || same(format, MQFMT_IMS) || same(format, MQFMT_DEAD_LETTER_HEADER)) {
      const cics = same(format, MQFMT_CICS);
      const dead = same(format, MQFMT_DEAD_LETTER_HEADER);
      const layout = cics ? MQCIH : dead ? MQDLH : MQIIH;
      const type = cics ? 'MQCIH' : dead ? 'MQDLH' : 'MQIIH';
      // A version-1 MQCIH is 164 bytes: read it through the version-2 layout only if it is that long.
      const values = unpackSized(layout, body, offset, encoding, cics);
      expectStrucId(values, type.slice(2), type);
      headers.push({ type, values });
      offset += dead ? MQDLH.length : (values.StrucLength as number);
      [format, encoding, ccsid] = [values.Format as string, values.Encoding as number, values.CodedCharSetId as number];
    } else if (same(format, MQFMT_RF_HEADER_2)) {
      const rfh = unpackRfh2(body, offset, encoding);
      headers.push({ type: 'MQRFH2', values: rfh.fixed, folders: rfh.folders });
      offset += rfh.length;
      const fixed = rfh.fixed;
      [format, encoding, ccsid] = [fixed.Format as string, fixed.Encoding as number, fixed.CodedCharSetId as number];
    } else {
      break;
    }
  }
  return { headers, data: body.subarray(offset), format: format.trim(), encoding, ccsid };
}

function unpackSized(layout: typeof MQCIH, body: Buffer, offset: number, encoding: number, cics: boolean) {
  if (cics && body.length - offset >= MQCIH_LENGTH_1 && body.length - offset < MQCIH.length) {
    const padded = Buffer.alloc(MQCIH.length);
    body.copy(padded, 0, offset, offset + MQCIH_LENGTH_1);
    return layout.unpack(padded, 0, encoding);
  }
  return layout.unpack(body, offset, encoding);
}

function expectStrucId(values: FieldValues, id: string, name: string): void {
  if (values.StrucId !== id)
    throw new RangeError(`expected ${name} (StrucId "${id} "), found ${JSON.stringify(values.StrucId)}`);
}

/** MQCIH_DEFAULT and MQIIH_DEFAULT (cmqc.h) for the fields a context does not set. */
const CIH_DEFAULTS: FieldValues = {
  UOWControl: 0x111,
  GetWaitInterval: -2,
  LinkType: 1,
  OutputDataLength: -1,
  ReplyToFormat: '        ',
};
const IIH_DEFAULTS: FieldValues = { TranState: ' ', CommitMode: '0', SecurityScope: 'C', Reserved: ' ' };

/**
 * Puts `headers` in front of `data` of `dataFormat`, chaining each header's Format to the next.
 * Returns the bytes and the Format the MQMD must carry (the first header's, or `dataFormat`).
 */
export function buildHeaders(
  headers: readonly MqHeader[],
  data: Buffer,
  dataFormat: string,
  encoding: number,
  ccsid: number,
): { body: Buffer; format: string } {
  let next = dataFormat;
  const parts: Buffer[] = [data];
  for (let i = headers.length - 1; i >= 0; i--) {
    const header = headers[i]!;
    switch (header.type) {
      case 'MQRFH2':
        parts.unshift(packRfh2(header.folders, next, encoding, ccsid));
        next = MQFMT_RF_HEADER_2;
        break;
      case 'MQCIH':
        parts.unshift(
          MQCIH.pack(
            {
              ...CIH_DEFAULTS,
              ...header.values,
              StrucId: 'CIH ',
              Version: 2,
              StrucLength: MQCIH.length,
              Encoding: encoding,
              CodedCharSetId: ccsid,
              Format: next,
            },
            encoding,
          ),
        );
        next = MQFMT_CICS;
        break;
      case 'MQIIH':
        parts.unshift(
          MQIIH.pack(
            {
              ...IIH_DEFAULTS,
              ...header.values,
              StrucId: 'IIH ',
              Version: 1,
              StrucLength: MQIIH.length,
              Encoding: encoding,
              CodedCharSetId: ccsid,
              Format: next,
            },
            encoding,
          ),
        );
        next = MQFMT_IMS;
        break;
      case 'MQDLH':
        parts.unshift(
          MQDLH.pack(
            { ...header.values, StrucId: 'DLH ', Version: 1, Encoding: encoding, CodedCharSetId: ccsid, Format: next },
            encoding,
          ),
        );
        next = MQFMT_DEAD_LETTER_HEADER;
        break;
      case 'MQXQH': {
        const md = {
          ...(header.values.MsgDesc as FieldValues),
          StrucId: 'MD  ',
          Version: 1,
          Format: next,
          Encoding: encoding,
          CodedCharSetId: ccsid,
        };
        parts.unshift(MQXQH.pack({ ...header.values, StrucId: 'XQH ', Version: 1, MsgDesc: md }, encoding));
        next = MQFMT_XMIT_Q_HEADER;
        break;
      }
    }
  }
  return { body: Buffer.concat(parts), format: next };
}
