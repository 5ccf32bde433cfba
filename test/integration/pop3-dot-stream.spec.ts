import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DotStream } from '../../src/adapters/pop3/dot-stream.js';

/** Feeds `chunks` as node-pop3 would hand them on and collects what the DotStream makes of them. */
async function through(chunks: string[], endSource: boolean): Promise<{ text: string; sawMarker: boolean }> {
  const source = new PassThrough();
  let sawMarker = false;
  const stream = new DotStream(source, null, () => {
    sawMarker = true;
    source.end();
  });
  const out: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of stream) out.push(chunk as Buffer);
  })();
  for (const chunk of chunks) source.write(Buffer.from(chunk, 'latin1'));
  if (endSource) source.end();
  await done;
  return { text: Buffer.concat(out).toString('latin1'), sawMarker };
}

describe('the RETR answer as a mail (byte-stuffing, end marker, split chunks)', () => {
  const mail = 'Subject: x\r\n\r\n.one dot\r\n..two dots\r\nend\r\n';
  const wire = 'Subject: x\r\n\r\n..one dot\r\n...two dots\r\nend\r\n.\r\n';

  it('removes the stuffing dot and stops at the end marker, whatever the chunking', async () => {
    for (let cut = 1; cut < wire.length; cut++) {
      for (const second of [cut + 1, cut + 3, wire.length]) {
        const chunks = [wire.slice(0, cut), wire.slice(cut, second), wire.slice(second)].filter((c) => c.length > 0);
        const result = await through(chunks, false);
        expect(result, `cut at ${cut}/${second}`).toEqual({ text: mail, sawMarker: true });
      }
    }
  });

  it('ends with CRLF when the client already cut the marker (and the last CRLF) off', async () => {
    expect(await through([wire.slice(0, -5)], true)).toEqual({ text: mail, sawMarker: false });
    expect(await through([wire.slice(0, -3)], true)).toEqual({ text: mail, sawMarker: false });
  });

  it('keeps bytes that are not ASCII as they came', async () => {
    const binary = 'A\xff\x00\x80\r\n.\xe9\r\n';
    const result = await through([`${binary.replace(/\r\n\./g, '\r\n..')}.\r\n`], false);
    expect(result.text).toBe(binary);
  });
});
