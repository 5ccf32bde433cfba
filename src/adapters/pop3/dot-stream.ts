import { Readable } from 'node:stream';

const DOT = 0x2e;
const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');
const ONE_DOT = Buffer.from('.');

type State = 'line-start' | 'dot' | 'dot-cr' | 'mid';

/**
 * The mail of a RETR answer, as the server stored it. node-pop3 hands on the multi-line answer
 * as it came off the socket: lines that start with `.` still carry the extra dot the server
 * added (RFC 1939 byte-stuffing), and the end marker is recognised only where it ends a TCP
 * chunk. This stream removes the stuffing, ends at the marker wherever it falls (calling
 * `atEnd` so the client stops waiting for it), makes the mail end with CRLF whichever way the
 * client cut the marker off, and pauses the socket while its reader is behind, so a large mail
 * is not piled up in memory.
 */
export class DotStream extends Readable {
  private state: State = 'line-start';
  private ended = false;
  private emittedAny = false;
  private lastByte = LF;

  constructor(
    private readonly source: Readable,
    private readonly socket: { pause(): unknown; resume(): unknown } | null,
    private readonly atEnd: () => void,
  ) {
    super();
    source.on('data', (chunk: Buffer) => this.consume(chunk));
    source.once('end', () => this.finish());
    source.once('error', (error) => this.destroy(error));
    source.once('close', () => {
      if (!this.ended) this.destroy(new Error('the connection closed in the middle of a mail'));
    });
  }

  override _read(): void {
    this.socket?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A reader that gave up still lets the answer run to its end, so the session stays usable.
    this.ended = true;
    this.socket?.resume();
    callback(error);
  }

  private consume(chunk: Buffer): void {
    if (this.ended) return;
    const out: Buffer[] = [];
    let i = 0;
    while (i < chunk.length) {
      const byte = chunk[i]!;
      switch (this.state) {
        case 'line-start':
          if (byte === DOT) {
            this.state = 'dot';
            i++;
          } else this.state = 'mid';
          break;
        case 'dot':
          if (byte === CR) {
            this.state = 'dot-cr';
            i++;
          } else {
            // `..` is one dot; anything else after a lone dot is kept as it came (lenient).
            out.push(ONE_DOT);
            if (byte === DOT) i++;
            this.state = 'mid';
          }
          break;
        case 'dot-cr':
          if (byte === LF) {
            this.forward(out);
            this.finish(true);
            return;
          }
          out.push(Buffer.from('.\r'));
          this.state = 'mid';
          break;
        case 'mid': {
          const lf = chunk.indexOf(LF, i);
          const end = lf < 0 ? chunk.length : lf + 1;
          out.push(chunk.subarray(i, end));
          i = end;
          if (lf >= 0) this.state = 'line-start';
          break;
        }
      }
    }
    this.forward(out);
  }

  private forward(parts: Buffer[]): void {
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (data.length === 0) return;
    this.emittedAny = true;
    this.lastByte = data[data.length - 1]!;
    if (!this.push(data)) this.socket?.pause();
  }

  private finish(sawMarker = false): void {
    if (this.ended) return;
    this.ended = true;
    if (sawMarker) this.atEnd();
    // The client cut `CRLF.CRLF` off whole, taking the last line's CRLF with it.
    if (this.emittedAny && this.lastByte !== LF) this.push(CRLF);
    this.push(null);
  }
}
