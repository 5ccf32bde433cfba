// The baseline of `bench transfer`: a plain stream copy with 64 KiB chunks, in its own process,
// which prints its own peak RSS when done.
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const [from, to] = process.argv.slice(2);
const started = process.hrtime.bigint();
await pipeline(
  createReadStream(from!, { highWaterMark: 64 * 1024 }),
  createWriteStream(to!, { highWaterMark: 64 * 1024 }),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ seconds, maxRssKb: process.resourceUsage().maxRSS })}\n`);
