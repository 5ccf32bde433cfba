import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { InboundMessage, SubmitResult } from '../../../src/adapters/adapter.js';
import type { RemoteFileOperations } from '../../../src/adapters/remote-file/operations.js';
import { RemoteFileReceiver } from '../../../src/adapters/remote-file/receiver.js';

/** A remote folder in memory whose `remove` can be made to fail, as a receiver killed before its delete. */
function memoryServer() {
  const files = new Map<string, { body: Buffer; mtimeMs: number }>();
  const calls = { downloads: 0 };
  let failRemove = false;
  const ops: RemoteFileOperations = {
    broken: false,
    async list(folder) {
      return [...files]
        .filter(([path]) => path.startsWith(`${folder}/`) && !path.slice(folder.length + 1).includes('/'))
        .map(([path, f]) => ({
          name: path.slice(folder.length + 1),
          size: f.body.length,
          mtimeMs: f.mtimeMs,
          isFile: true,
        }));
    },
    async stat(path) {
      const f = files.get(path);
      return f && { size: f.body.length, mtimeMs: f.mtimeMs };
    },
    download(path) {
      calls.downloads++;
      return { body: Readable.from([files.get(path)!.body]), finish: async () => undefined };
    },
    async upload() {
      throw new Error('not used');
    },
    async rename(from, to) {
      const f = files.get(from);
      if (!f) throw Object.assign(new Error(`no ${from}`), { code: 'ENOENT' });
      files.delete(from);
      files.set(to, f);
    },
    async remove(path) {
      if (failRemove) throw new Error('killed before the delete');
      files.delete(path);
    },
    async mkdir() {},
    async close() {},
  };
  return {
    files,
    calls,
    failRemove: (fail: boolean) => (failRemove = fail),
    connector: { label: 'memory', connect: async () => ops },
  };
}

describe('remote-file receiver, a file stored before its receiver died', () => {
  it('is deleted without a second download when the store says it is recorded', async () => {
    const server = memoryServer();
    server.files.set('/in/order.xml', { body: Buffer.from('<order/>'), mtimeMs: Date.parse('2026-01-01T00:00:00Z') });
    const receiver = new RemoteFileReceiver(
      {
        folder: '/in',
        mask: '*',
        pollIntervalMs: 10,
        readySuffix: undefined,
        afterReceive: 'delete',
        maxFilesPerPoll: 10,
      },
      server.connector,
      'in',
      () => ({}),
    );
    const recorded = new Set<string>();
    const submitted: string[] = [];
    const submit = async (message: InboundMessage): Promise<SubmitResult> => {
      for await (const _ of message.body as Readable) void _;
      submitted.push(message.sourceKey!);
      recorded.add(message.sourceKey!);
      return { status: 'received', messageIds: ['m1'] };
    };
    const isReceived = async (sourceKey: string) => recorded.has(sourceKey);

    // First run: received and stored, then the delete fails: the claim stays open, the work file stays.
    server.failRemove(true);
    const first = new AbortController();
    const crashed = await receiver.run({ signal: first.signal, submit, isReceived }).catch((e: unknown) => e);
    expect(String(crashed)).toContain('killed before the delete');
    expect(submitted).toHaveLength(1);
    expect(server.calls.downloads).toBe(1);
    expect([...server.files.keys()]).toHaveLength(1);

    // Next run: the open claim's work file is there and its message recorded: delete only.
    server.failRemove(false);
    const second = new AbortController();
    const running = receiver.run({ signal: second.signal, submit, isReceived });
    for (let i = 0; i < 200 && server.files.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    second.abort();
    await running;
    expect(server.files.size).toBe(0);
    expect(server.calls.downloads).toBe(1);
    expect(submitted).toHaveLength(1);
  });
});
