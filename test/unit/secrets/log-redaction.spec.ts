import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { redactedLogPaths } from '../../../src/cli/logger.js';

describe('the engine log censors credential fields as a second line of defence', () => {
  it('censors password-like fields up to two levels deep and keeps the rest', () => {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const log = pino({ redact: { paths: redactedLogPaths, censor: '[redacted]' } }, sink);
    log.info(
      { password: 'p1', config: { password: 'p2', folder: '/in' }, err: { options: { pass: 'p3', privateKey: 'k' } } },
      'connecting',
    );
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line).toMatchObject({
      password: '[redacted]',
      config: { password: '[redacted]', folder: '/in' },
      err: { options: { pass: '[redacted]', privateKey: '[redacted]' } },
    });
    expect(text).not.toMatch(/p1|p2|p3|"k"/);
  });
});
