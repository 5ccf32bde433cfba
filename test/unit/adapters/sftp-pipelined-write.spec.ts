import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { PipelinedWrite } from '../../../src/adapters/sftp/pipelined-write.js';

/**
 * Stands in for ssh2's SFTP channel the way `write` behaves there: the bytes are copied into the
 * request packet before `write` returns, the answer comes later. The largest write is the
 * server's limit (`_maxWriteLen`), 31,952 bytes for a server without OpenSSH's limits extension.
 */
function fakeSftp(maxWriteLen: number) {
  const file = Buffer.alloc(1024 * 1024);
  const answers: (() => void)[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  let largest = 0;
  const sftp = {
    _maxWriteLen: maxWriteLen,
    write(_handle: Buffer, data: Buffer, offset: number, length: number, position: number, cb: (e?: Error) => void) {
      data.copy(file, position, offset, offset + length);
      largest = Math.max(largest, length);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      answers.push(() => {
        inFlight--;
        cb();
      });
      setImmediate(() => answers.shift()?.());
    },
  };
  return { sftp: sftp as unknown as SFTPWrapper, file, stats: () => ({ mostInFlight, largest }) };
}

describe('PipelinedWrite', () => {
  it('writes every byte at its offset, in pieces no larger than the server takes', async () => {
    const body = randomBytes(700_000);
    const { sftp, file, stats } = fakeSftp(31_952);
    const chunks = [];
    for (let at = 0; at < body.length; at += 64 * 1024) chunks.push(body.subarray(at, at + 64 * 1024));
    const writer = new PipelinedWrite(sftp, Buffer.from('h'), 4);
    await pipeline(Readable.from(chunks), writer);

    expect(writer.bytes).toBe(body.length);
    expect(file.subarray(0, body.length).equals(body)).toBe(true);
    expect(stats().largest).toBeLessThanOrEqual(31_952);
    expect(stats().mostInFlight).toBeLessThanOrEqual(4);
  });

  it('writes a chunk larger than its buffer piece by piece, within the limit of writes in flight', async () => {
    const body = randomBytes(1_000_000);
    const { sftp, file, stats } = fakeSftp(31_952);
    const writer = new PipelinedWrite(sftp, Buffer.from('h'), 3);
    await pipeline(Readable.from([body]), writer);

    expect(writer.bytes).toBe(body.length);
    expect(file.subarray(0, body.length).equals(body)).toBe(true);
    expect(stats().mostInFlight).toBeLessThanOrEqual(3);
  });

  it('keeps no more writes unanswered than its limit', async () => {
    const body = randomBytes(1_000_000);
    const { sftp, file, stats } = fakeSftp(256 * 1024);
    const writer = new PipelinedWrite(sftp, Buffer.from('h'), 3);
    const chunks = [];
    for (let at = 0; at < body.length; at += 64 * 1024) chunks.push(body.subarray(at, at + 64 * 1024));
    await pipeline(Readable.from(chunks), writer);

    expect(file.subarray(0, body.length).equals(body)).toBe(true);
    expect(stats().mostInFlight).toBeLessThanOrEqual(3);
    expect(stats().largest).toBe(64 * 1024);
  });
});
