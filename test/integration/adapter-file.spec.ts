import { noSecrets } from '../../src/adapters/secrets.js';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ReceiveHandler, SendHandler } from '../../src/adapters/adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../../src/adapters/errors.js';
import { fileAdapter, type FileReceiveConfig, type FileSendConfig } from '../../src/adapters/file/index.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import { outbound, ReceiverRunner, Recorder, sendAll, waitFor } from '../contract/adapter-support.js';
import { tempDir } from '../support/temp-dir.js';

const root = tempDir('file-adapter');
afterAll(() => root.cleanup());
let folders = 0;
const runners: ReceiverRunner[] = [];
const senders: SendHandler[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await Promise.all(senders.splice(0).map((s) => s.close()));
});

function freshFolder(): string {
  const folder = join(root.path, `f${++folders}`, 'box');
  mkdirSync(folder, { recursive: true });
  return realpathSync(folder);
}
const receiver = (config: Partial<FileReceiveConfig> & { folder: string }): ReceiveHandler =>
  fileAdapter.receive!.create(fileAdapter.receive!.config.parse({ pollIntervalMs: 30, ...config }), {
    name: 'loc',
    receivePort: 'port',
    secrets: noSecrets,
  });
const sender = (config: Partial<FileSendConfig> & { folder: string }): SendHandler => {
  const handler = fileAdapter.send!.create(fileAdapter.send!.config.parse(config), {
    name: 'port',
    secrets: noSecrets,
  });
  senders.push(handler);
  return handler;
};
const run = (handler: ReceiveHandler, recorder: Recorder, index = 0) => {
  const runner = new ReceiverRunner(handler, recorder.submitFor(index)).start();
  runners.push(runner);
  return runner;
};
const send = (handler: SendHandler, body: string, context?: Record<string, string>, messageId?: string) =>
  handler.send(
    outbound(Buffer.from(body), { messageId, context: { promoted: context ?? {}, written: {} } }),
    new AbortController().signal,
  );
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Every file under `dir`, recursively, as real paths. */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(dir, e.name)) : [realpathSync(join(dir, e.name))],
  );
}

describe('File send: names from macros stay in the target folder', () => {
  const hostile = [
    '../../etc/passwd',
    '..\\..\\x',
    'a\0b',
    '..',
    '.',
    '-rf',
    '.hidden',
    '$(rm -rf x)',
    'a;b',
    '`touch pwned`',
    'name with spaces.xml',
    'Ünïcødé 文件 📦.xml',
    '/abs/olute',
    'line\nbreak',
    '....//....//etc',
  ];

  it('sanitises every hostile %SourceFileName% and %MessageID% value', async () => {
    const outer = join(root.path, `hostile-${++folders}`);
    const folder = join(outer, 'deep', 'out');
    mkdirSync(folder, { recursive: true });
    const handler = sender({ folder, fileName: '%SourceFileName%-%MessageID%' });
    for (const [i, value] of hostile.entries()) {
      // The index goes last, so each value keeps its hostile beginning and each name is distinct.
      const outcome = await send(handler, `body ${i}`, { 'FILE.ReceivedFileName': value }, `${value}${i}`);
      expect(dirname(outcome.address!)).toBe(folder);
      expect(readFileSync(outcome.address!, 'utf8')).toBe(`body ${i}`);
    }
    const created = allFiles(outer);
    expect(created).toHaveLength(hostile.length);
    for (const file of created) {
      expect(dirname(file)).toBe(realpathSync(folder));
      const name = file.slice(realpathSync(folder).length + 1);
      expect(name).not.toMatch(/[/\\\0\n]|\.\./);
      expect(name).not.toMatch(/^[.-]/);
    }
    expect(existsSync(join(root.path, 'etc'))).toBe(false);
  });

  it('keeps file names with spaces, unicode and shell characters as they are when they are safe', async () => {
    const folder = freshFolder();
    const handler = sender({ folder, fileName: 'copy of %SourceFileName%' });
    for (const name of ['a b.xml', 'Ünïcødé 文件.xml', '$(rm -rf x);`id`.xml']) {
      const outcome = await send(handler, name, { 'FILE.ReceivedFileName': name });
      expect(outcome.address).toBe(join(folder, `copy of ${name}`));
    }
  });

  it('refuses, with FILE_NAME_ESCAPES_FOLDER, a name that resolves outside the folder', async () => {
    const { pathInFolder } = await import('../../src/adapters/file/target-path.js');
    for (const name of ['..', '.', '../x', 'a/../../x', 'a/b', '/etc/passwd', 'a\0b']) {
      const error = (() => {
        try {
          pathInFolder('/srv/out', name);
        } catch (e) {
          return e;
        }
      })();
      expect(error, name).toBeInstanceOf(PermanentAdapterError);
      expect((error as PermanentAdapterError).code).toBe('FILE_NAME_ESCAPES_FOLDER');
    }
    expect(pathInFolder('/srv/out', '..foo')).toBe(`/srv/out${sep}..foo`);
  });

  it('refuses templates and dynamic addresses that name a path instead of a file', () => {
    const schema = fileAdapter.send!.config;
    for (const fileName of ['../x.xml', 'sub/x.xml', 'a\\b', '..', '.']) {
      expect(schema.safeParse({ folder: '/out', fileName }).success, fileName).toBe(false);
    }
    expect(schema.safeParse({ folder: 'relative/out' }).success).toBe(false);
    const registry = defaultRegistry();
    expect(registry.forAddress('file:///out/orders/%MessageID%.xml').config).toMatchObject({
      folder: '/out/orders',
      fileName: '%MessageID%.xml',
      ifExists: 'fail',
    });
    expect(registry.forAddress('file://localhost/out/%datetime%.xml').config).toMatchObject({
      folder: '/out',
      fileName: '%datetime%.xml',
    });
    for (const address of ['file:///out/', 'file://other-host/x.xml', 'file:relative.xml', 'file:///out/..']) {
      const error = (() => {
        try {
          registry.forAddress(address);
        } catch (e) {
          return e;
        }
      })();
      expect(error, address).toBeInstanceOf(PermanentAdapterError);
      expect((error as PermanentAdapterError).code).toBe('FILE_ADDRESS_INVALID');
    }
  });

  it('refuses to append through a symbolic link planted under the target name', async () => {
    const folder = freshFolder();
    const victim = join(root.path, `victim-${folders}.txt`);
    writeFileSync(victim, 'original');
    symlinkSync(victim, join(folder, 'log.txt'));
    const error = await rejection(send(sender({ folder, fileName: 'log.txt', ifExists: 'append' }), 'injected'));
    expect((error as PermanentAdapterError).code).toBe('FILE_NAME_IS_LINK');
    expect(readFileSync(victim, 'utf8')).toBe('original');
  });
});

describe('File send: writing', () => {
  it('fails a send whose name exists (ifExists: fail), keeping the first file whole', async () => {
    const folder = freshFolder();
    const handler = sender({ folder, fileName: 'fixed.txt' });
    await send(handler, 'first');
    const error = await rejection(send(handler, 'second'));
    expect(error).toBeInstanceOf(TransientAdapterError);
    expect((error as TransientAdapterError).code).toBe('FILE_EXISTS');
    expect(readFileSync(join(folder, 'fixed.txt'), 'utf8')).toBe('first');
    expect(readdirSync(folder)).toEqual(['fixed.txt']);
  });

  it('replaces atomically (overwrite) and appends whole bodies, never interleaved (append)', async () => {
    const folder = freshFolder();
    await send(sender({ folder, fileName: 'o.txt', ifExists: 'overwrite' }), 'one');
    await send(sender({ folder, fileName: 'o.txt', ifExists: 'overwrite' }), 'two');
    expect(readFileSync(join(folder, 'o.txt'), 'utf8')).toBe('two');

    const appender = sender({ folder, fileName: 'a.txt', ifExists: 'append' });
    const bodies = Array.from({ length: 20 }, (_, i) => Buffer.alloc(200_000, 65 + i));
    await sendAll(appender, bodies, { concurrency: 20 });
    const content = readFileSync(join(folder, 'a.txt'));
    expect(content.length).toBe(20 * 200_000);
    const blocks = new Set<number>();
    for (let offset = 0; offset < content.length; offset += 200_000) {
      const block = content.subarray(offset, offset + 200_000);
      expect(block.every((b) => b === block[0])).toBe(true);
      blocks.add(block[0]!);
    }
    expect(blocks.size).toBe(20);
    expect(readdirSync(folder).sort()).toEqual(['a.txt', 'o.txt']);
  });

  it('creates the folder only when asked to; a missing folder is a TransientAdapterError', async () => {
    const folder = join(freshFolder(), 'x', 'y');
    const error = await rejection(send(sender({ folder }), 'body'));
    expect((error as TransientAdapterError).code).toBe('FILE_FOLDER_MISSING');
    const outcome = await send(sender({ folder, createFolder: true }), 'body', {}, 'id-1');
    expect(outcome.address).toBe(join(folder, 'id-1.xml'));
  });

  it('streams a large body to the file and leaves no temporary file behind, also when the body fails', async () => {
    const folder = freshFolder();
    const big = Buffer.alloc(20 * 1024 * 1024, 7);
    const outcome = await sender({ folder }).send(outbound(big, { messageId: 'big' }), new AbortController().signal);
    expect(outcome.properties).toMatchObject({ bytes: big.length });
    expect(readFileSync(outcome.address!).equals(big)).toBe(true);

    const { Readable } = await import('node:stream');
    const failing = {
      ...outbound(Buffer.from('x'), { messageId: 'broken' }),
      openBody: async () =>
        Readable.from(
          (async function* () {
            yield Buffer.from('half');
            throw new Error('blob store read failed');
          })(),
        ),
    };
    const error = await rejection(sender({ folder }).send(failing, new AbortController().signal));
    expect((error as Error).message).toBe('blob store read failed');
    expect(readdirSync(folder)).toEqual(['big.xml']);
  });
});

describe('File receive', () => {
  it('promotes the file name, writes path, size and time, and guesses the content type', async () => {
    const folder = freshFolder();
    const names = ['order 1.xml', 'Ünïcødé 文件.json', '$(rm -rf x);`id`.txt'];
    for (const name of names) writeFileSync(join(folder, name), `content of ${name}`);
    const recorder = new Recorder();
    run(receiver({ folder }), recorder);
    await waitFor(() => recorder.received.length === names.length, 'three files');
    for (const name of names) {
      const reception = recorder.received.find((r) => r.body.toString() === `content of ${name}`)!;
      const { context, contentType, sourceKey } = reception.message;
      expect(context?.promoted).toEqual({ 'FILE.ReceivedFileName': name });
      expect(context?.written).toMatchObject({
        'FILE.ReceivedFilePath': join(folder, name),
        'FILE.Size': Buffer.byteLength(`content of ${name}`),
      });
      expect(Date.parse(String(context?.written?.['FILE.LastWriteTime']))).toBeGreaterThan(Date.now() - 60_000);
      expect(sourceKey).toMatch(new RegExp(`^\\d+:\\d+:${name.replace(/[$()`;.]/g, '\\$&')}$`));
      expect(contentType).toBe(
        { xml: 'application/xml', json: 'application/json', txt: 'text/plain' }[name.split('.').pop()!],
      );
    }
    await waitFor(() => readdirSync(folder).length === 0, 'the folder to be emptied');
  });

  it('takes only files matching the mask, never hidden, temporary or linked ones', async () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'a.xml'), 'a');
    writeFileSync(join(folder, 'b.txt'), 'b');
    writeFileSync(join(folder, '.c.xml'), 'c');
    writeFileSync(join(folder, '.sb-0123.sbtmp'), 'tmp');
    symlinkSync('/etc/hostname', join(folder, 'link.xml'));
    mkdirSync(join(folder, 'dir.xml'));
    const recorder = new Recorder();
    run(receiver({ folder, mask: '*.xml' }), recorder);
    await waitFor(() => recorder.received.length === 1, 'a.xml');
    await sleep(300);
    expect(recorder.received.map((r) => r.body.toString())).toEqual(['a']);
    expect(readdirSync(folder).sort()).toEqual(['.c.xml', '.sb-0123.sbtmp', 'b.txt', 'dir.xml', 'link.xml']);
  });

  it('does not take a file while its writer is still appending to it', async () => {
    const folder = freshFolder();
    const path = join(folder, 'growing.csv');
    const recorder = new Recorder();
    run(receiver({ folder, pollIntervalMs: 50 }), recorder);
    let expected = '';
    for (let i = 0; i < 30; i++) {
      const line = `line ${i}\n`;
      appendFileSync(path, line);
      expected += line;
      await sleep(20);
    }
    await waitFor(() => recorder.received.length > 0, 'the finished file');
    await sleep(200);
    expect(recorder.received).toHaveLength(1);
    expect(recorder.received[0]!.body.toString()).toBe(expected);
  });

  it('hands large files on as a stream', async () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 1));
    writeFileSync(join(folder, 'small.bin'), Buffer.alloc(10, 2));
    const recorder = new Recorder();
    run(receiver({ folder, streamThresholdBytes: 1024 * 1024 }), recorder);
    await waitFor(() => recorder.received.length === 2, 'both files');
    const big = recorder.received.find((r) => r.body.length === 3 * 1024 * 1024)!;
    const small = recorder.received.find((r) => r.body.length === 10)!;
    expect(big.streamed).toBe(true);
    expect(small.streamed).toBe(false);
  });

  it('moves received files to the archive, never replacing one already there', async () => {
    const folder = freshFolder();
    const archive = join(dirname(folder), 'archive');
    const recorder = new Recorder();
    run(receiver({ folder, afterReceive: 'move', archiveFolder: archive }), recorder);
    writeFileSync(join(folder, 'same.xml'), 'first');
    await waitFor(() => recorder.received.length === 1, 'the first file');
    writeFileSync(join(folder, 'same.xml'), 'second');
    await waitFor(() => recorder.received.length === 2, 'the second file');
    await waitFor(() => readdirSync(archive).length === 2, 'both in the archive');
    const archived = readdirSync(archive).sort();
    expect(archived[1]).toBe('same.xml');
    expect(archived[0]).toMatch(/^same\.[0-9a-f]{8}\.xml$/);
    expect(archived.map((n) => readFileSync(join(archive, n), 'utf8')).sort()).toEqual(['first', 'second']);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('fails with FILE_FOLDER_MISSING while the folder is gone, and goes on once it is back', async () => {
    const folder = join(freshFolder(), 'later');
    const recorder = new Recorder();
    const runner = run(receiver({ folder }), recorder);
    await waitFor(() => runner.transient.length > 0, 'a transient error');
    expect(runner.transient[0]!.code).toBe('FILE_FOLDER_MISSING');
    mkdirSync(folder);
    writeFileSync(join(folder, 'x.txt'), 'x');
    await waitFor(() => recorder.received.length === 1, 'the file once the folder exists');
    expect(runner.fatal).toEqual([]);
  });

  it('receives again, under the same source key, a file whose receiver was killed between submit and delete', async () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'order.xml'), '<order/>');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./adapter-file-crash-child.ts', import.meta.url)), folder],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('\n'), 'the child to submit', 20_000);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    expect(child.exitCode, 'the child must still be running when it is killed').toBeNull();
    child.kill('SIGKILL');
    await exited;
    const { sourceKey } = JSON.parse(output.split('\n')[0]!) as { sourceKey: string };
    const [workFile] = readdirSync(folder);
    expect(workFile).toMatch(/^order\.xml\.[0-9a-f]{12}\.sbwork$/);

    const recorder = new Recorder();
    run(receiver({ folder, workFileGraceMs: 1_000 }), recorder);
    await waitFor(() => recorder.received.length === 1, 'the abandoned work file', 10_000);
    const [again] = recorder.received;
    expect(again!.message.sourceKey).toBe(sourceKey);
    expect(again!.message.context?.promoted).toEqual({ 'FILE.ReceivedFileName': 'order.xml' });
    expect(again!.body.toString()).toBe('<order/>');
    await waitFor(() => readdirSync(folder).length === 0, 'the work file to be deleted');
  });

  it('does not take over a file whose receiver is alive, however long its submit takes', async () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'slow.xml'), 'slow');
    const slow = new Recorder();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const submit = slow.submitFor(0);
    const holder = new ReceiverRunner(receiver({ folder, workFileGraceMs: 3_000 }), async (m) => {
      const result = await submit(m);
      await released;
      return result;
    }).start();
    runners.push(holder);
    await waitFor(() => slow.received.length === 1, 'the first receiver to take it');
    const other = new Recorder();
    run(receiver({ folder, workFileGraceMs: 3_000 }), other, 1);
    // Past twice the grace period: the keep-alive renames (every grace/3) keep the file its own,
    // with room for a machine too busy to run a timer on time.
    await sleep(7_000);
    expect(other.received).toEqual([]);
    release();
    await waitFor(() => readdirSync(folder).length === 0, 'the file to be deleted');
    expect(other.received).toEqual([]);
  });
});
