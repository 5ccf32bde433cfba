import { describe, expect, it } from 'vitest';
import { missingSecrets, secretReferences } from '../../../src/workers/config/secret-references.js';

describe('secret references in a bindings document', () => {
  const document = {
    receiveLocations: [{ name: 'in', adapter: 'pop3', config: { password: { secret: 'mailbox' } } }],
    sendPorts: [
      { name: 'out', adapter: 'sftp', config: { privateKey: { secret: 'sftp-key' }, user: 'u' } },
      { name: 'plain', adapter: 'file', config: { folder: '/x', note: { secret: 'a', extra: 1 } } },
    ],
  };

  it('finds every { secret } reference with its path, and only exact references', () => {
    expect(secretReferences(document)).toEqual([
      { path: 'receiveLocations.0.config.password', secret: 'mailbox' },
      { path: 'sendPorts.0.config.privateKey', secret: 'sftp-key' },
    ]);
  });

  it('names the ones not set', () => {
    expect(missingSecrets(document, new Set(['mailbox']))).toEqual([
      { path: 'sendPorts.0.config.privateKey', secret: 'sftp-key' },
    ]);
    expect(missingSecrets(document, new Set(['mailbox', 'sftp-key']))).toEqual([]);
  });
});
