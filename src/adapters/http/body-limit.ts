import { Transform, type TransformCallback } from 'node:stream';

/** The request body passed the location's limit. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the request body is larger than this location's limit of ${limit} bytes`);
  }
}

/**
 * Passes a body through, failing with `BodyTooLarge` as soon as it passes `limit` bytes, so the
 * blob store's write fails (and removes its temporary file) instead of storing a cut body.
 */
export class BodyLimit extends Transform {
  private seen = 0;
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.exceeded = true;
      callback(new BodyTooLarge(this.limit));
      return;
    }
    callback(null, chunk);
  }
}
