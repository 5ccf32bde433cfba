import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { SignalboxError } from '../../src/domain/errors.js';

/*
 * What the blob store tests share: bodies written in pieces, read back whole, and addressed by
 * their sha256; and the typed error a promise must fail with.
 */

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Yields `data` in small pieces with pauses, so concurrent writers really interleave. */
export async function* trickle(data: Buffer, pieceBytes = 4096): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += pieceBytes) {
    yield data.subarray(offset, offset + pieceBytes);
    if ((offset / pieceBytes) % 16 === 0) await sleep(1);
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The error `promise` fails with, asserted to be a `type`. */
export async function rejection<E extends SignalboxError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  const error: unknown = await promise.then(
    () => expect.fail(`expected ${type.name}`),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}
