import type { MqMd } from '../md.js';
import { defaultMd, MD_BYTE_FIELDS } from '../md.js';

/*
 * The MQI simulator's wire protocol: one JSON object per line over a local TCP socket. A request
 * is `{id, op, ...arguments}`; the answer `{id, ok: true, result}` or `{id, ok: false, compCode,
 * reason, detail}`. Byte fields and bodies travel as base64. Calls on one connection are answered
 * in order, as MQI calls on one connection handle are serialised.
 */

export interface Request {
  readonly id: number;
  readonly op: string;
  readonly [argument: string]: unknown;
}

export type Response =
  | { readonly id: number; readonly ok: true; readonly result?: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly compCode: number;
      readonly reason: number;
      readonly detail?: string;
    };

export type WireMd = Record<string, string | number>;

export function mdToWire(md: Partial<MqMd>): WireMd {
  const wire: WireMd = {};
  for (const [name, value] of Object.entries(md)) {
    if (value === undefined) continue;
    wire[name] = Buffer.isBuffer(value) ? value.toString('base64') : value;
  }
  return wire;
}

export function partialMdFromWire(wire: unknown): Partial<MqMd> {
  const md: Record<string, unknown> = {};
  if (!wire || typeof wire !== 'object') return md;
  for (const [name, value] of Object.entries(wire as Record<string, unknown>)) {
    md[name] = (MD_BYTE_FIELDS as readonly string[]).includes(name) ? Buffer.from(String(value), 'base64') : value;
  }
  return md;
}

export function mdFromWire(wire: unknown): MqMd {
  return { ...defaultMd(), ...partialMdFromWire(wire) };
}

/** Splits a byte stream into lines and parses each as JSON. */
export class LineReader {
  private buffered = '';

  constructor(private readonly onMessage: (message: unknown) => void) {}

  push(chunk: Buffer): void {
    this.buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      if (line.trim().length > 0) this.onMessage(JSON.parse(line));
    }
  }
}
