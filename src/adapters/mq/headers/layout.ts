/*
 * MQ structures as IBM's C headers lay them out: fields in order, no padding (every MQ header is
 * built from 4-byte integers and character/byte arrays, so offsets follow from the lengths).
 * Integers follow the encoding of the data they sit in (MQENC_*: the low nibble 1 = normal,
 * big-endian; 2 = reversed, little-endian); character fields are blank padded.
 */

export type FieldValue = number | string | Buffer | FieldValues;
export interface FieldValues {
  [name: string]: FieldValue;
}

export type FieldKind =
  | { readonly kind: 'long' }
  | { readonly kind: 'char'; readonly length: number }
  | { readonly kind: 'bytes'; readonly length: number }
  | { readonly kind: 'struct'; readonly layout: Layout };

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldKind;
}

export interface Layout {
  readonly name: string;
  readonly length: number;
  readonly fields: readonly (FieldSpec & { readonly offset: number; readonly length: number })[];
  offsetOf(name: string): number;
  /** Writes every field (missing ones as zero or blanks) at `offset` of `target`. */
  packInto(values: FieldValues, target: Buffer, offset: number, encoding: number): void;
  pack(values: FieldValues, encoding: number): Buffer;
  unpack(source: Buffer, offset: number, encoding: number): FieldValues;
}

export const long = { kind: 'long' } as const;
export const char = (length: number) => ({ kind: 'char', length }) as const;
export const bytes = (length: number) => ({ kind: 'bytes', length }) as const;
export const struct = (layout: Layout) => ({ kind: 'struct', layout }) as const;

/** MQENC_INTEGER_REVERSED (2) is little-endian; normal (1) is big-endian; undefined (0) means native. */
export function littleEndian(encoding: number): boolean {
  const integer = encoding & 0x0f;
  return integer !== 1;
}

function sizeOf(type: FieldKind): number {
  if (type.kind === 'long') return 4;
  if (type.kind === 'struct') return type.layout.length;
  return type.length;
}

export function defineLayout(name: string, specs: readonly FieldSpec[]): Layout {
  let offset = 0;
  const fields = specs.map((spec) => {
    const length = sizeOf(spec.type);
    const field = { ...spec, offset, length };
    offset += length;
    return field;
  });
  const byName = new Map(fields.map((f) => [f.name, f]));
  const layout: Layout = {
    name,
    length: offset,
    fields,
    offsetOf(field) {
      const found = byName.get(field);
      if (!found) throw new Error(`${name} has no field ${field}`);
      return found.offset;
    },
    packInto(values, target, at, encoding) {
      const le = littleEndian(encoding);
      for (const field of fields) {
        const value = values[field.name];
        const start = at + field.offset;
        switch (field.type.kind) {
          case 'long': {
            const n = typeof value === 'number' ? value : 0;
            if (le) target.writeInt32LE(n | 0, start);
            else target.writeInt32BE(n | 0, start);
            break;
          }
          case 'char': {
            const text = typeof value === 'string' ? value : '';
            const encoded = Buffer.from(text, 'latin1');
            if (encoded.length > field.length) {
              throw new RangeError(
                `${name}.${field.name} is at most ${field.length} characters: ${JSON.stringify(text)}`,
              );
            }
            target.fill(0x20, start, start + field.length);
            encoded.copy(target, start);
            break;
          }
          case 'bytes': {
            target.fill(0, start, start + field.length);
            if (Buffer.isBuffer(value)) {
              if (value.length > field.length) throw new RangeError(`${name}.${field.name} is ${field.length} bytes`);
              value.copy(target, start);
            }
            break;
          }
          case 'struct': {
            const nested = value && typeof value === 'object' && !Buffer.isBuffer(value) ? value : {};
            field.type.layout.packInto(nested, target, start, encoding);
            break;
          }
        }
      }
    },
    pack(values, encoding) {
      const out = Buffer.alloc(offset);
      layout.packInto(values, out, 0, encoding);
      return out;
    },
    unpack(source, at, encoding) {
      if (source.length < at + offset) {
        throw new RangeError(`${name} needs ${offset} bytes at offset ${at}; the message has ${source.length - at}`);
      }
      const le = littleEndian(encoding);
      const values: FieldValues = {};
      for (const field of fields) {
        const start = at + field.offset;
        switch (field.type.kind) {
          case 'long':
            values[field.name] = le ? source.readInt32LE(start) : source.readInt32BE(start);
            break;
          case 'char':
            values[field.name] = trimChar(source.toString('latin1', start, start + field.length));
            break;
          case 'bytes':
            values[field.name] = Buffer.from(source.subarray(start, start + field.length));
            break;
          case 'struct':
            values[field.name] = field.type.layout.unpack(source, start, encoding);
            break;
        }
      }
      return values;
    },
  };
  return layout;
}

/** Character fields end in blanks or NULs (both appear: MQMD_DEFAULT uses "", MQ fills blanks). */
export function trimChar(text: string): string {
  return text.replace(/[ \0]+$/, '');
}
