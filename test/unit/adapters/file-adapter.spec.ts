import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PermanentAdapterError } from '../../../src/adapters/errors.js';
import {
  expandFileName,
  fileAdapter,
  fileReceiveConfigSchema,
  sanitizeMacroValue,
} from '../../../src/adapters/file/index.js';
import { compileMask } from '../../../src/adapters/file/mask.js';
import { pathInFolder } from '../../../src/adapters/file/target-path.js';
import { stemOf, stemOfWorkName, workName } from '../../../src/adapters/file/work-name.js';

const now = new Date('2024-03-05T07:08:09.456Z');
const noContext = { promoted: {}, written: {} };
const expand = (template: string, utcOffsetMinutes = 0, context = noContext) =>
  expandFileName(template, { messageId: 'm-1', context, now, utcOffsetMinutes });

describe('file name macros', () => {
  it('formats the date and time macros as BizTalk does', () => {
    expect(expand('%datetime%')).toBe('2024-03-05T070809');
    expect(expand('%time%')).toBe('070809');
    expect(expand('%datetime_bts2000%')).toBe('202403050708094');
    expect(expand('%datetime.tz%', 330)).toBe('2024-03-05T123809+0530');
    expect(expand('%time.tz%', 330)).toBe('123809+0530');
    expect(expand('%datetime.tz%', -480)).toBe('2024-03-04T230809-0800');
    expect(expand('%MessageID%.xml')).toBe('m-1.xml');
  });

  it('takes %SourceFileName% from FILE., FTP. or SFTP.ReceivedFileName, and leaves it when there is none', () => {
    expect(expand('%SourceFileName%')).toBe('%SourceFileName%');
    const ctx = (name: string, value: string) => ({ promoted: {}, written: { [name]: value } });
    expect(expand('out-%SourceFileName%', 0, ctx('FILE.ReceivedFileName', 'a.xml'))).toBe('out-a.xml');
    expect(expand('%SourceFileName%', 0, ctx('FTP.ReceivedFileName', '/remote/in/b.xml'))).toBe('b.xml');
    expect(expand('%SourceFileName%', 0, ctx('SFTP.ReceivedFileName', 'C:\\in\\c.xml'))).toBe('c.xml');
    expect(expand('%Unknown%-%MessageID%')).toBe('%Unknown%-m-1');
  });

  it('never lets a macro value add a separator, a NUL, a ".." or a leading dot or dash', () => {
    expect(sanitizeMacroValue('../../etc/passwd')).toBe('____etc_passwd');
    expect(sanitizeMacroValue('..\\..\\x')).toBe('____x');
    expect(sanitizeMacroValue('a\0b')).toBe('a_b');
    expect(sanitizeMacroValue('-rf')).toBe('_rf');
    expect(sanitizeMacroValue('.bashrc')).toBe('_bashrc');
    expect(sanitizeMacroValue('')).toBe('_');
    expect(sanitizeMacroValue('order 1 (copy) $x;`y`.xml')).toBe('order 1 (copy) $x;`y`.xml');
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), fc.string({ maxLength: 60 }), (value, other) => {
        // At most 40 × 4 + 60 bytes: every name fits in 255, so only an escape could throw.
        const safe = sanitizeMacroValue(value);
        expect(safe).not.toMatch(/[/\\\0]|\.\.|^[.-]/);
        expect(safe.length).toBeGreaterThan(0);
        const context = { promoted: { 'FILE.ReceivedFileName': other }, written: {} };
        const name = expandFileName('%SourceFileName%%MessageID%', { messageId: value, context, now });
        expect(pathInFolder('/srv/out', name).startsWith('/srv/out/')).toBe(true);
      }),
    );
  });

  it('refuses a name over 255 bytes with FILE_NAME_TOO_LONG', () => {
    const error = (() => {
      try {
        pathInFolder('/srv/out', 'é'.repeat(128));
      } catch (e) {
        return e;
      }
    })();
    expect((error as PermanentAdapterError).code).toBe('FILE_NAME_TOO_LONG');
  });
});

describe('file masks', () => {
  it('matches * ? and [sets], and never a hidden file through a wildcard', () => {
    const xml = compileMask('*.xml');
    expect(['a.xml', 'a b.xml', '.xml.xml', 'a.xml.tmp'].map(xml)).toEqual([true, true, false, false]);
    expect(['order-01.json', 'order-1.json'].map(compileMask('order-??.json'))).toEqual([true, false]);
    expect(['a.csv', 'c.csv', 'b.csv'].map(compileMask('[ab]*.csv'))).toEqual([true, false, true]);
    expect(['a.csv', 'c.csv'].map(compileMask('[!a]*.csv'))).toEqual([false, true]);
    expect(compileMask('.hidden')('.hidden')).toBe(true);
    expect(compileMask('a+(b).x')('a+(b).x')).toBe(true);
    expect(compileMask('a+(b).x')('aa(b).x')).toBe(false);
  });
});

describe('work names', () => {
  it('keep the original name, and a hash when it is too long for the suffix', () => {
    const name = workName('order 1.xml');
    expect(name).toMatch(/^order 1\.xml\.[0-9a-f]{12}\.sbwork$/);
    expect(stemOfWorkName(name)).toBe('order 1.xml');
    expect(stemOfWorkName('order.xml')).toBeUndefined();
    const long = 'x'.repeat(250);
    const stem = stemOf(long);
    expect(Buffer.byteLength(workName(stem))).toBeLessThanOrEqual(255);
    expect(stemOf('y'.repeat(250))).not.toBe(stem);
    expect(stemOfWorkName(workName(stem))).toBe(stem);
  });
});

describe('file settings', () => {
  it('applies the documented defaults', () => {
    expect(fileReceiveConfigSchema.parse({ folder: '/in' })).toEqual({
      folder: '/in',
      mask: '*',
      pollIntervalMs: 1_000,
      afterReceive: 'delete',
      workFileGraceMs: 300_000,
      streamThresholdBytes: 1_048_576,
      maxFilesPerPoll: 1_000,
    });
    expect(fileAdapter.send!.config.parse({ folder: '/out' })).toEqual({
      folder: '/out',
      fileName: '%MessageID%.xml',
      createFolder: false,
      ifExists: 'fail',
    });
  });

  it('refuses a move without an archive folder, an archive that is the folder, relative paths and path masks', () => {
    const issues = (config: unknown) =>
      fileReceiveConfigSchema.safeParse(config).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(issues({ folder: '/in', afterReceive: 'move' })).toEqual(['archiveFolder']);
    expect(issues({ folder: '/in', afterReceive: 'move', archiveFolder: '/in/' })).toEqual(['archiveFolder']);
    expect(issues({ folder: 'in' })).toEqual(['folder']);
    expect(issues({ folder: '/in', mask: '../*' })).toEqual(['mask']);
    expect(fileAdapter.receive!.singleActive).toBe('never');
  });
});
