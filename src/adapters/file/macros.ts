import { readProperty, type MessageContext } from '../../domain/context/index.js';

export interface MacroInput {
  readonly messageId: string;
  readonly context: MessageContext;
  readonly now: Date;
  /** Minutes east of UTC for the `.tz` macros; default: this process's zone at `now`. */
  readonly utcOffsetMinutes?: number;
}

/** Where `%SourceFileName%` looks, in order: the file-like adapters' received-name properties. */
const SOURCE_FILE_PROPERTIES = ['FILE.ReceivedFileName', 'FTP.ReceivedFileName', 'SFTP.ReceivedFileName'];

/** The macros a file name may hold (BizTalk's File adapter list, less the party macros). */
export const FILE_NAME_MACROS: Readonly<
  Record<string, { readonly meaning: string; value(i: MacroInput): string | undefined }>
> = {
  MessageID: { meaning: 'the message id', value: (i) => i.messageId },
  SourceFileName: {
    meaning:
      'the received file name without its folder (FILE., FTP. or SFTP.ReceivedFileName); left as is when the message has none',
    value: (i) => sourceFileName(i.context),
  },
  datetime: { meaning: 'UTC time, `YYYY-MM-DDThhmmss`', value: (i) => dateTime(utc(i)) },
  'datetime.tz': {
    meaning: 'local time and UTC offset, `YYYY-MM-DDThhmmss+hhmm`',
    value: (i) => dateTime(local(i)) + offset(i),
  },
  datetime_bts2000: {
    meaning: 'UTC time as BizTalk 2000 wrote it, `YYYYMMDDhhmmsss` (seconds and tenths)',
    value: (i) => bts2000(utc(i)),
  },
  time: { meaning: 'UTC time, `hhmmss`', value: (i) => time(utc(i)) },
  'time.tz': { meaning: 'local time and UTC offset, `hhmmss+hhmm`', value: (i) => time(local(i)) + offset(i) },
};

/**
 * Expands the macros of a file name template. Each macro's value is made safe on its own
 * (see `sanitizeMacroValue`) before it is put in, so no value, wherever it came from, can add a
 * path separator or a `..`; the caller still checks the whole name stays in its folder. An
 * unknown `%word%` is left as it is, as BizTalk does.
 */
export function expandFileName(template: string, input: MacroInput): string {
  return template.replace(/%([A-Za-z0-9_.]+)%/g, (whole, name: string) => {
    const macro = Object.hasOwn(FILE_NAME_MACROS, name) ? FILE_NAME_MACROS[name] : undefined;
    const value = macro?.value(input);
    return value === undefined ? whole : sanitizeMacroValue(value);
  });
}

/**
 * Makes one macro value harmless in a file name: control characters (NUL included) and both
 * path separators become `_`, any run of two or more dots becomes `_` (so neither `..` nor a
 * `...` that a later step could shorten survives), and a leading `.` or `-` becomes `_` (no
 * hidden files, nothing a tool could read as an option). An empty value becomes `_`.
 */
export function sanitizeMacroValue(value: string): string {
  const safe = value
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^[.-]/, '_');
  return safe.length === 0 ? '_' : safe;
}

function sourceFileName(context: MessageContext): string | undefined {
  for (const name of SOURCE_FILE_PROPERTIES) {
    const value = readProperty(context, name);
    if (typeof value === 'string' && value.length > 0) {
      // A received name may be a full path on some adapters; only its last segment is the name.
      return value.split(/[/\\]/).pop() || undefined;
    }
  }
  return undefined;
}

interface Fields {
  readonly y: string;
  readonly mo: string;
  readonly d: string;
  readonly h: string;
  readonly mi: string;
  readonly s: string;
  readonly ms: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function fields(date: Date): Fields {
  return {
    y: pad(date.getUTCFullYear(), 4),
    mo: pad(date.getUTCMonth() + 1),
    d: pad(date.getUTCDate()),
    h: pad(date.getUTCHours()),
    mi: pad(date.getUTCMinutes()),
    s: pad(date.getUTCSeconds()),
    ms: pad(date.getUTCMilliseconds(), 3),
  };
}

const offsetMinutes = (i: MacroInput) => i.utcOffsetMinutes ?? -i.now.getTimezoneOffset();
const utc = (i: MacroInput) => fields(i.now);
// Shifting the instant by the offset and reading its UTC fields gives the local wall clock.
const local = (i: MacroInput) => fields(new Date(i.now.getTime() + offsetMinutes(i) * 60_000));
const dateTime = (f: Fields) => `${f.y}-${f.mo}-${f.d}T${f.h}${f.mi}${f.s}`;
const time = (f: Fields) => `${f.h}${f.mi}${f.s}`;
const bts2000 = (f: Fields) => `${f.y}${f.mo}${f.d}${f.h}${f.mi}${f.s}${f.ms.slice(0, 1)}`;

function offset(i: MacroInput): string {
  const minutes = offsetMinutes(i);
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}
