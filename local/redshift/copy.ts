// Redshift's COPY from Amazon S3, emulated: CSV only, with Redshift's parsing and data-conversion rules, read
// from the S3 server (moto) and inserted as the caller's database user inside the statement's transaction.
//
// Rules, each from its documentation page (DG = https://docs.aws.amazon.com/redshift/latest/dg/):
// - DG r_COPY.html, copy-parameters-data-source-s3.html: FROM 's3://bucket/prefix' loads every object whose key
//   starts with the prefix ("custdata.txt" also loads custdata.txt.1, custdata.txt.bak …; a folder prefix loads
//   every file under folders that share it). No object: "The specified S3 prefix '…' does not exist" (code
//   8001, as Redshift reports it).
// - DG copy-parameters-authorization.html, mgmt/authorizing-redshift-service.html: IAM_ROLE must be a role
//   associated with the namespace; the role must be allowed to list the bucket and read the objects.
// - DG copy-parameters-data-format.html (CSV): default delimiter ",", quote '"'; a quote inside a quoted field is
//   written twice; "white space between the delimiters and the quotation mark characters is ignored"; quoted
//   fields may hold delimiters and newlines. CSV can't be used with FIXEDWIDTH, REMOVEQUOTES or ESCAPE.
// - DG copy-parameters-data-conversion.html: EMPTYASNULL (empty CHAR/VARCHAR fields load as NULL; "Empty fields
//   for other data types, such as INT, are always loaded with NULL"), BLANKSASNULL, NULL AS (default '\N'),
//   DATEFORMAT (default 'YYYY-MM-DD'), TIMEFORMAT (default 'YYYY-MM-DD HH:MI:SS', TIMESTAMPTZ
//   'YYYY-MM-DD HH:MI:SSOF'; 'auto'; 'epochsecs' / 'epochmillisecs'), ACCEPTINVCHARS (each invalid UTF-8 byte
//   replaced, default '?'; without it an invalid character fails the load), TRUNCATECOLUMNS, TRIMBLANKS,
//   FILLRECORD, IGNOREBLANKLINES, IGNOREHEADER, ROUNDEC (DECIMAL values are truncated to the column's scale
//   unless ROUNDEC).
// - DG r_Character_types.html: VARCHAR(n) and CHAR(n) hold n BYTES; CHAR only single-byte characters; a longer
//   value is an error "unless the extra characters are all spaces (blanks), in which case the string is
//   truncated to the maximum length".
// - DG r_Boolean_type.html: TRUE 't' 'true' 'y' 'yes' '1' / FALSE 'f' 'false' 'n' 'no' '0'.
// - DG automatic-recognition.html: the formats TIMEFORMAT/DATEFORMAT 'auto' recognizes (ISO 8601 with T and Z,
//   YYYYMMDD HHMISS, MM/DD/YYYY HH:MI:SS.SS, YYYY-MM-DD HH:MI:SS+/-TZ …); a DATE column takes only the date
//   part; a TIMESTAMP without time gets 00:00:00.
// - DG r_Load_Error_Reference.html: the error codes (1202 extra columns, 1203 fewer columns, 1204 out of range
//   / string length exceeds DDL length, 1205 date, 1206 timestamp, 1207 digit, 1208 float, 1209 decimal, 1210
//   boolean, 1213 NOT NULL field without data, 1214 delimiter / quote formatting, 1220 invalid UTF-8).
//   MAXERROR defaults to 0: the first bad record fails the COPY, and nothing of it is loaded.
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { evaluate } from './iam.ts';
import type { CopyOptions, CopyStatement } from './translator.ts';

export interface ColumnInfo {
  readonly name: string;
  readonly typname: string;
  readonly typmod: number;
  readonly notNull: boolean;
  readonly identity: string;
}

/** A COPY that Redshift fails; the message is Redshift's (the engine prefixes "ERROR: "). */
export class CopyError extends Error {
  override name = 'CopyError';
}

/** One bad field or record. */
export class LoadError extends Error {
  override name = 'LoadError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`${code} ${reason}`);
  }
}

type Target =
  | { kind: 'varchar'; n: number }
  | { kind: 'char'; n: number }
  | { kind: 'int'; min: bigint; max: bigint; label: string }
  | { kind: 'numeric'; p: number; s: number }
  | { kind: 'float'; max: number }
  | { kind: 'bool' }
  | { kind: 'date' }
  | { kind: 'timestamp'; tz: boolean }
  | { kind: 'time'; tz: boolean };

export function targetOf(c: ColumnInfo): Target {
  switch (c.typname) {
    case 'varchar':
      return { kind: 'varchar', n: c.typmod > 4 ? c.typmod - 4 : 65535 };
    case 'text':
      return { kind: 'varchar', n: Number.POSITIVE_INFINITY };
    case 'bpchar':
      return { kind: 'char', n: c.typmod > 4 ? c.typmod - 4 : 1 };
    case 'int2':
      return { kind: 'int', min: -32768n, max: 32767n, label: 'Smallint' };
    case 'int4':
      return { kind: 'int', min: -2147483648n, max: 2147483647n, label: 'Integer' };
    case 'int8':
      return { kind: 'int', min: -9223372036854775808n, max: 9223372036854775807n, label: 'Long' };
    case 'numeric': {
      const m = c.typmod - 4;
      return m >= 0 ? { kind: 'numeric', p: (m >> 16) & 0xffff, s: m & 0xffff } : { kind: 'numeric', p: 38, s: 0 };
    }
    case 'float4':
      return { kind: 'float', max: 3.4028234663852886e38 };
    case 'float8':
      return { kind: 'float', max: Number.MAX_VALUE };
    case 'bool':
      return { kind: 'bool' };
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
    case 'timestamptz':
      return { kind: 'timestamp', tz: c.typname === 'timestamptz' };
    case 'time':
    case 'timetz':
      return { kind: 'time', tz: c.typname === 'timetz' };
    default:
      throw new CopyError(
        `COPY into a column of type ${c.typname} (column "${c.name}") [not emulated by the Redshift stand-in]`,
      );
  }
}

// ---- CSV ----------------------------------------------------------------------------------------------

export interface CsvField {
  readonly bytes: Buffer;
  readonly quoted: boolean;
}
export interface CsvRecord {
  readonly fields: CsvField[];
  /** The line the record starts on (1-based). */
  readonly line: number;
}

const LF = 0x0a;
const isBlank = (b: number | undefined, delim: number) => (b === 0x20 || b === 0x09 || b === 0x0d) && b !== delim;

/** Redshift's CSV records (DG copy-parameters-data-format.html#copy-csv). */
export function* csvRecords(buf: Buffer, delim: number, quote: number): Generator<CsvRecord> {
  const n = buf.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: CsvField[] = [];
    for (;;) {
      let j = i;
      while (j < n && isBlank(buf[j], delim) && buf[j] !== 0x0d) j++;
      if (j < n && buf[j] === quote) {
        j++;
        const parts: Buffer[] = [];
        let seg = j;
        for (;;) {
          if (j >= n)
            throw Object.assign(
              new LoadError(1214, 'Invalid quote formatting for CSV (a quoted field is not closed)'),
              { line: start },
            );
          if (buf[j] === quote) {
            if (buf[j + 1] === quote) {
              parts.push(buf.subarray(seg, j + 1));
              j += 2;
              seg = j;
              continue;
            }
            parts.push(buf.subarray(seg, j));
            j++;
            break;
          }
          if (buf[j] === LF) line++;
          j++;
        }
        while (j < n && isBlank(buf[j], delim)) j++;
        if (j < n && buf[j] !== delim && buf[j] !== LF)
          throw Object.assign(
            new LoadError(1214, 'Invalid quote formatting for CSV (characters after a closing quote)'),
            { line },
          );
        fields.push({ bytes: Buffer.concat(parts), quoted: true });
      } else {
        let k = i;
        while (k < n && buf[k] !== delim && buf[k] !== LF) {
          // [unconfirmed] a quote inside an unquoted field: refused (the stricter reading)
          if (buf[k] === quote)
            throw Object.assign(
              new LoadError(1214, 'Invalid quote formatting for CSV (a quote inside an unquoted field)'),
              { line },
            );
          k++;
        }
        fields.push({ bytes: buf.subarray(i, k), quoted: false });
        j = k;
      }
      if (j >= n) {
        i = n;
        break;
      }
      if (buf[j] === delim) {
        i = j + 1;
        if (i >= n) {
          fields.push({ bytes: Buffer.alloc(0), quoted: false });
          break;
        }
        continue;
      }
      i = j + 1; // LF
      line++;
      break;
    }
    yield { fields, line: start };
  }
}

// ---- UTF-8 --------------------------------------------------------------------------------------------

/** The index of each byte that is not part of a valid UTF-8 character (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
function invalidUtf8(b: Buffer): number[] {
  const bad: number[] = [];
  for (let i = 0; i < b.length;) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let len = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    }
    let ok = len > 0 && i + len <= b.length;
    for (let k = 1; ok && k < len; k++) {
      const x = b[i + k] as number;
      if (k === 1 ? x < lo || x > hi : x < 0x80 || x > 0xbf) ok = false;
    }
    if (ok) i += len;
    else bad.push(i++);
  }
  return bad;
}

function decode(bytes: Buffer, acceptInvChars: string | undefined, column: string): string {
  if (bytes.includes(0))
    throw new LoadError(
      1220,
      `the value of column "${column}" holds a NUL (0x00) byte, which Redshift keeps but the stand-in's PostgreSQL cannot store [not emulated by the Redshift stand-in]`,
    );
  const bad = invalidUtf8(bytes);
  if (bad.length === 0) return bytes.toString('utf8');
  if (acceptInvChars === undefined) {
    const first = bad[0] as number;
    const lead = bytes[first] as number;
    const code = lead >= 0xc2 && lead <= 0xf4 ? 2 : 3;
    const hex = bytes
      .subarray(first, Math.min(first + 4, bytes.length))
      .toString('hex')
      .match(/../g)
      ?.join(' ');
    throw new LoadError(
      1220,
      `String contains invalid or unsupported UTF-8 codepoints. Bad UTF-8 hex sequence: ${hex} (error ${code})`,
    );
  }
  // "COPY replaces each invalid UTF-8 character with a string of equal length consisting of the character
  // specified by replacement_char" (DG copy-parameters-data-conversion.html#copy-acceptinvchars)
  const out = Buffer.from(bytes);
  const rep = acceptInvChars.charCodeAt(0);
  for (const i of bad) out[i] = rep;
  return out.toString('utf8');
}

// ---- dates and times ----------------------------------------------------------------------------------

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** Fractional seconds as written (digits), at most 6. */
  frac: string;
  /** Offset from UTC in minutes, when the value carries one. */
  offset?: number;
}

function validDate(p: Parts): boolean {
  if (p.mo < 1 || p.mo > 12 || p.d < 1) return false;
  const days = new Date(Date.UTC(p.y, p.mo, 0)).getUTCDate();
  return p.d <= days && p.h >= 0 && p.h <= 23 && p.mi >= 0 && p.mi <= 59 && p.s >= 0 && p.s <= 59;
}

function offsetOf(z: string | undefined): number | undefined {
  if (!z) return undefined;
  if (/^z$/i.test(z)) return 0;
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(z);
  if (!m) return undefined;
  const mins = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -mins : mins;
}

const TIME = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?`;
const ZONE = String.raw`\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?`;
/** The formats of DG automatic-recognition.html the stand-in implements (time-zone names and Julian days are not). */
const AUTO: { re: RegExp; parts: (m: RegExpExecArray) => Parts }[] = [
  {
    re: new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]${TIME})?${ZONE}$`, 'i'),
    parts: (m) => ({
      y: +m[1]!,
      mo: +m[2]!,
      d: +m[3]!,
      h: +(m[4] ?? 0),
      mi: +(m[5] ?? 0),
      s: +(m[6] ?? 0),
      frac: m[7] ?? '',
      offset: offsetOf(m[8]),
    }),
  },
  {
    re: /^(\d{4})(\d{2})(\d{2})(?: (\d{2})(\d{2})(\d{2}))?$/,
    parts: (m) => ({ y: +m[1]!, mo: +m[2]!, d: +m[3]!, h: +(m[4] ?? 0), mi: +(m[5] ?? 0), s: +(m[6] ?? 0), frac: '' }),
  },
  {
    re: /^(\d{2})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})$/,
    parts: (m) => ({
      y: 2000 + +m[1]! - (+m[1]! >= 70 ? 100 : 0),
      mo: +m[2]!,
      d: +m[3]!,
      h: +m[4]!,
      mi: +m[5]!,
      s: +m[6]!,
      frac: '',
    }),
  },
  {
    re: new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})(?: ${TIME})?${ZONE}$`, 'i'),
    parts: (m) => ({
      y: +m[3]!,
      mo: +m[1]!,
      d: +m[2]!,
      h: +(m[4] ?? 0),
      mi: +(m[5] ?? 0),
      s: +(m[6] ?? 0),
      frac: m[7] ?? '',
      offset: offsetOf(m[8]),
    }),
  },
  {
    re: new RegExp(String.raw`^(\d{4})/(\d{1,2})/(\d{1,2})(?: ${TIME})?${ZONE}$`, 'i'),
    parts: (m) => ({
      y: +m[1]!,
      mo: +m[2]!,
      d: +m[3]!,
      h: +(m[4] ?? 0),
      mi: +(m[5] ?? 0),
      s: +(m[6] ?? 0),
      frac: m[7] ?? '',
      offset: offsetOf(m[8]),
    }),
  },
];

/** A DATEFORMAT/TIMEFORMAT string (DG r_DATEFORMAT_and_TIMEFORMAT_strings.html) as a regular expression. */
export function formatParser(fmt: string, withTime: boolean): (v: string) => Parts | undefined {
  const fields: string[] = [];
  let re = '';
  const tokens = /YYYY|YY|MONTH|MON|MM|DD|HH24|HH12|HH|MI|SS|AM|PM|[A-Za-z]+|[^A-Za-z]/gy;
  for (const m of fmt.matchAll(tokens)) {
    const t = m[0];
    const up = t.toUpperCase();
    const group: Record<string, string> = {
      YYYY: String.raw`(\d{4})`,
      YY: String.raw`(\d{2})`,
      MM: String.raw`(\d{1,2})`,
      MON: '([A-Za-z]{3})',
      MONTH: '([A-Za-z]+)',
      DD: String.raw`(\d{1,2})`,
      HH24: String.raw`(\d{1,2})`,
      HH12: String.raw`(\d{1,2})`,
      HH: String.raw`(\d{1,2})`,
      MI: String.raw`(\d{2})`,
      SS: String.raw`(\d{2}(?:\.\d+)?)`,
      AM: '([AaPp][Mm])',
      PM: '([AaPp][Mm])',
    };
    if (group[up]) {
      re += group[up];
      fields.push(up);
    } else if (/^[A-Za-z]+$/.test(t)) {
      throw new CopyError(`the format part ${t} in '${fmt}' [not emulated by the Redshift stand-in]`);
    } else re += t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const rx = new RegExp(`^${re}${withTime ? '' : String.raw`(?:[ T].*)?`}$`);
  return (v) => {
    const m = rx.exec(v);
    if (!m) return undefined;
    const p: Parts = { y: 1900, mo: 1, d: 1, h: 0, mi: 0, s: 0, frac: '' };
    let pm: boolean | undefined;
    fields.forEach((f, k) => {
      const x = m[k + 1] ?? '';
      if (f === 'YYYY') p.y = +x;
      else if (f === 'YY') p.y = 2000 + +x - (+x >= 70 ? 100 : 0);
      else if (f === 'MM') p.mo = +x;
      else if (f === 'MON' || f === 'MONTH') p.mo = MONTHS.indexOf(x.slice(0, 3).toUpperCase()) + 1;
      else if (f === 'DD') p.d = +x;
      else if (f.startsWith('HH')) p.h = +x;
      else if (f === 'MI') p.mi = +x;
      else if (f === 'SS') {
        const [s, fr = ''] = x.split('.');
        p.s = +(s ?? 0);
        p.frac = fr;
      } else if (f === 'AM' || f === 'PM') pm = /^p/i.test(x);
    });
    if (pm !== undefined) p.h = (p.h % 12) + (pm ? 12 : 0);
    return p;
  };
}

function isoOf(p: Parts, tz: boolean, utcTarget: boolean): string {
  let t = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
  if (p.offset !== undefined && utcTarget) t -= p.offset * 60_000;
  const d = new Date(t);
  const frac = p.frac ? `.${p.frac.padEnd(6, '0')}` : '';
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}`;
  return tz ? `${base}+00` : base;
}

interface Converters {
  date: (v: string) => string;
  timestamp: (v: string, tz: boolean) => string;
}

export function converters(o: CopyOptions): Converters {
  const dateFmt = o.DATEFORMAT ?? 'YYYY-MM-DD';
  const timeFmt = o.TIMEFORMAT;
  const dateParse = dateFmt === 'auto' ? undefined : formatParser(dateFmt, false);
  const timeParse =
    timeFmt && !['auto', 'epochsecs', 'epochmillisecs'].includes(timeFmt) ? formatParser(timeFmt, true) : undefined;
  const auto = (v: string): Parts | undefined => {
    for (const f of AUTO) {
      const m = f.re.exec(v);
      if (m) return f.parts(m);
    }
    return undefined;
  };
  const checkFrac = (p: Parts, code: number) => {
    if (p.frac.length > 6)
      throw new LoadError(
        code,
        `Invalid timestamp format or value: fractional seconds beyond microseconds in this value`,
      );
  };
  return {
    date(v) {
      const p = dateParse ? dateParse(v) : auto(v);
      if (!p || !validDate(p))
        throw new LoadError(
          1205,
          `Invalid Date Format - length must be 10 or more / invalid date value '${v.slice(0, 40)}' for DATEFORMAT '${dateFmt}'`,
        );
      return `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}`;
    },
    timestamp(v, tz) {
      if (timeFmt === 'epochsecs' || timeFmt === 'epochmillisecs') {
        if (!/^-?\d+(\.\d+)?$/.test(v))
          throw new LoadError(1206, `Invalid timestamp value '${v.slice(0, 40)}' for TIMEFORMAT '${timeFmt}'`);
        const ms = timeFmt === 'epochsecs' ? Number(v) * 1000 : Number(v);
        const d = new Date(ms);
        const frac = String(Math.round((ms - Math.floor(ms / 1000) * 1000) * 1000)).padStart(6, '0');
        return isoOf(
          {
            y: d.getUTCFullYear(),
            mo: d.getUTCMonth() + 1,
            d: d.getUTCDate(),
            h: d.getUTCHours(),
            mi: d.getUTCMinutes(),
            s: d.getUTCSeconds(),
            frac,
          },
          tz,
          true,
        );
      }
      let p: Parts | undefined;
      if (timeFmt === 'auto') p = auto(v);
      else if (timeParse) p = timeParse(v);
      else {
        // The default: 'YYYY-MM-DD HH:MI:SS' (TIMESTAMP), 'YYYY-MM-DD HH:MI:SSOF' (TIMESTAMPTZ); the seconds may
        // carry a fraction. [unconfirmed] a TIMESTAMPTZ value without the offset is read as UTC.
        const m = new RegExp(
          String.raw`^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?${tz ? String.raw`([+-]\d{1,2}(?::\d{2})?)?` : ''}$`,
        ).exec(v);
        if (m)
          p = {
            y: +m[1]!,
            mo: +m[2]!,
            d: +m[3]!,
            h: +m[4]!,
            mi: +m[5]!,
            s: +m[6]!,
            frac: m[7] ?? '',
            offset: offsetOf(m[8]),
          };
      }
      if (!p || !validDate(p))
        throw new LoadError(
          1206,
          `Invalid timestamp format or value [${timeFmt ? `TIMEFORMAT '${timeFmt}'` : 'the default TIMEFORMAT'}]: '${v.slice(0, 40)}'`,
        );
      checkFrac(p, 1206);
      // [unconfirmed] a zone in a value for a TIMESTAMP (without time zone) column converts it to UTC
      return isoOf(p, tz, true);
    },
  };
}

// ---- values -------------------------------------------------------------------------------------------

const TRUE = new Set(['t', 'true', 'y', 'yes', '1']);
const FALSE = new Set(['f', 'false', 'n', 'no', '0']);

function truncateBytes(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= n) return s;
  let end = n;
  while (end > 0 && ((b[end] as number) & 0xc0) === 0x80) end--; // not inside a character
  return b.subarray(0, end).toString('utf8');
}

function numeric(v: string, p: number, s: number, round: boolean): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(v);
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    throw new LoadError(1209, `Invalid digit / DECIMAL data type format error: '${v.slice(0, 40)}'`);
  const sign = m[1] === '-' ? -1n : 1n;
  const intPart = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const frac = m[3] ?? '';
  const kept = frac.slice(0, s).padEnd(s, '0');
  let digits = BigInt(intPart + kept);
  // "By default, COPY truncates values when necessary to fit the scale of the column"; ROUNDEC rounds.
  if (round && frac.length > s && Number(frac[s]) >= 5) digits += 1n;
  const text = digits.toString().padStart(s + 1, '0');
  const whole = text.slice(0, text.length - s);
  if (whole.replace(/^0+/, '').length > p - s)
    throw new LoadError(1204, `Numeric data overflow (result precision ${p}, scale ${s}): '${v.slice(0, 40)}'`);
  const out = s > 0 ? `${whole}.${text.slice(text.length - s)}` : whole;
  return sign < 0n && digits !== 0n ? `-${out}` : out;
}

/** The PostgreSQL input text for one field, or null (throws a LoadError for a value Redshift would refuse). */
export function convert(
  field: CsvField | undefined,
  col: ColumnInfo,
  target: Target,
  o: CopyOptions,
  conv: Converters,
): string | null {
  const isChar = target.kind === 'varchar' || target.kind === 'char';
  if (field === undefined) {
    // FILLRECORD: "if the missing column is a VARCHAR column, zero-length strings are loaded instead of NULLs"
    // unless EMPTYASNULL
    return isChar && !o.EMPTYASNULL ? '' : null;
  }
  let v = decode(field.bytes, isChar ? o.ACCEPTINVCHARS : undefined, col.name);
  const nullAs = o.NULL ?? '\\N';
  // [unconfirmed] NULL AS (default '\N') matches a quoted field as well as an unquoted one; EMPTYASNULL
  // likewise turns a quoted empty string ("") into NULL: the stricter reading (see local/redshift/README.md)
  if (v === nullAs) return null;
  if (isChar) {
    if (v === '' && o.EMPTYASNULL) return null;
    if (o.BLANKSASNULL && /^[ \t]*$/.test(v) && v !== '') return null;
    if (o.TRIMBLANKS && target.kind === 'varchar') v = v.replace(/ +$/, '');
  } else if (/^[ \t]*$/.test(v)) return null; // "Empty fields for other data types, such as INT, are always loaded with NULL"
  switch (target.kind) {
    case 'varchar':
    case 'char': {
      const wide = target.kind === 'char' ? [...v].find((ch) => ch.charCodeAt(0) > 0x7f) : undefined;
      if (wide !== undefined) {
        const ch = wide;
        throw new LoadError(
          1220,
          `Multibyte character not supported for CHAR (Hint: Try using VARCHAR). Invalid char: ${Buffer.from(ch).toString('hex')}`,
        );
      }
      const bytes = Buffer.byteLength(v, 'utf8');
      if (bytes <= target.n) return v;
      const fitted = truncateBytes(v, target.n);
      if (/^ *$/.test(v.slice(fitted.length))) return fitted; // the extra characters are all blanks
      if (o.TRUNCATECOLUMNS) return fitted;
      throw new LoadError(1204, `String length exceeds DDL length (${bytes} bytes, column length ${target.n})`);
    }
    case 'int': {
      const m = /^[+-]?\d+$/.exec(v);
      if (!m) {
        const pos = [...v].findIndex((c, k) => !(/\d/.test(c) || (k === 0 && /[+-]/.test(c))));
        throw new LoadError(1207, `Invalid digit, Value '${v[pos] ?? v}', Pos ${pos}, Type: ${target.label}`);
      }
      const n = BigInt(v);
      if (n < target.min || n > target.max)
        throw new LoadError(1204, `Overflow, Value '${v.slice(0, 40)}' is out of range for type ${target.label}`);
      return n.toString();
    }
    case 'numeric':
      return numeric(v, target.p, target.s, Boolean(o.ROUNDEC));
    case 'float': {
      // [unconfirmed] NaN and Infinity are refused (the stricter reading)
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v))
        throw new LoadError(1208, `FLOAT data type format error: '${v.slice(0, 40)}'`);
      const n = Number(v);
      if (!Number.isFinite(n) || Math.abs(n) > target.max)
        throw new LoadError(1204, `Overflow for a FLOAT column: '${v.slice(0, 40)}'`);
      return v;
    }
    case 'bool': {
      const l = v.toLowerCase();
      if (TRUE.has(l)) return 't';
      if (FALSE.has(l)) return 'f';
      throw new LoadError(
        1210,
        `BOOLEAN data type format error: '${v.slice(0, 40)}' (valid: t true y yes 1 / f false n no 0)`,
      );
    }
    case 'date':
      return conv.date(v);
    case 'timestamp':
      return conv.timestamp(v, target.tz);
    case 'time': {
      const m = new RegExp(`^${TIME}${target.tz ? ZONE : ''}$`, 'i').exec(v);
      if (!m) throw new LoadError(1206, `Invalid time format: '${v.slice(0, 40)}'`);
      return v;
    }
  }
}

// ---- the COPY -----------------------------------------------------------------------------------------

export interface CopyContext {
  /** Inside the statement's transaction, as the caller's database user. */
  readonly client: pg.ClientBase;
  readonly s3: S3Client;
  readonly s3Region: string;
  /** The namespace's IAM roles. */
  readonly iamRoles: readonly string[];
  /** The resolved policies of an IAM role, when the stand-in was given them. */
  readonly rolePolicies: (roleArn: string) => readonly unknown[] | undefined;
  /** The resolved trust policy of an IAM role, when the stand-in was given it. */
  readonly roleTrust: (roleArn: string) => unknown;
  /** The caller's database user ARN, for Redshift's "not authorized to assume IAM Role" error. */
  readonly dbUserArn: string;
  readonly cancelled: () => boolean;
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Whether a trust policy lets an AWS service assume the role (an Allow of sts:AssumeRole to that service). */
function trusts(policy: unknown, service: string): boolean {
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const statements = list((policy as { Statement?: unknown }).Statement) as {
    Effect?: string;
    Action?: string | string[];
    Principal?: { Service?: string | string[] };
  }[];
  return statements.some(
    (st) =>
      st.Effect === 'Allow' &&
      list(st.Action).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*') &&
      list(st.Principal?.Service).includes(service),
  );
}

async function columnsOf(
  client: pg.ClientBase,
  table: string,
): Promise<{ oid: number; relname: string; columns: ColumnInfo[] }> {
  const rel = await client.query<{ oid: string; relname: string }>(
    `SELECT c.oid, c.relname FROM pg_class c WHERE c.oid = $1::regclass`,
    [table],
  );
  const row = rel.rows[0];
  if (!row) throw new CopyError(`relation "${table}" does not exist`);
  const cols = await client.query<{
    attname: string;
    typname: string;
    atttypmod: string;
    attnotnull: string;
    attidentity: string;
  }>(
    `SELECT a.attname, t.typname, a.atttypmod, a.attnotnull, a.attidentity
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [row.oid],
  );
  return {
    oid: Number(row.oid),
    relname: row.relname,
    columns: cols.rows.map((c) => ({
      name: c.attname,
      typname: c.typname,
      typmod: Number(c.atttypmod),
      notNull: c.attnotnull === 't',
      identity: c.attidentity,
    })),
  };
}

function s3Url(source: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
  if (!m) throw new CopyError(`invalid S3 path '${source}'`);
  return { bucket: m[1] as string, prefix: m[2] as string };
}

export async function runCopy(stmt: CopyStatement, ctx: CopyContext): Promise<number> {
  const o = stmt.options;
  // The table first (as Redshift, which resolves it as the caller: a missing table or schema privilege fails here).
  const qualified = stmt.schema ? `${quoteIdent(stmt.schema)}.${quoteIdent(stmt.name)}` : quoteIdent(stmt.name);
  const { relname, columns: all } = await columnsOf(ctx.client, qualified);
  const byName = new Map(all.map((c) => [c.name, c]));
  const names = stmt.columns ?? all.filter((c) => c.identity !== 'a').map((c) => c.name);
  const seen = new Set<string>();
  const columns = names.map((n) => {
    const c = byName.get(n);
    if (!c) throw new CopyError(`column "${n}" of relation "${relname}" does not exist`);
    if (seen.has(n)) throw new CopyError(`column "${n}" specified more than once`);
    seen.add(n);
    return c;
  });
  const targets = columns.map(targetOf);
  const conv = converters(o);

  // Authorization: the role must be associated with the namespace (DG copy-parameters-authorization.html).
  if (!ctx.iamRoles.includes(stmt.iamRole))
    throw new CopyError(
      `User ${ctx.dbUserArn} is not authorized to assume IAM Role ${stmt.iamRole} (the role is not associated with the namespace)`,
    );
  // ... and Redshift Serverless must be able to assume it: "make sure that it contains
  // redshift-serverless.amazonaws.com and redshift.amazonaws.com" (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-iam.html)
  const trust = ctx.roleTrust(stmt.iamRole);
  if (trust !== undefined) {
    const missing = ['redshift-serverless.amazonaws.com', 'redshift.amazonaws.com'].filter(
      (service) => !trusts(trust, service),
    );
    if (missing.length)
      throw new CopyError(
        `User ${ctx.dbUserArn} is not authorized to assume IAM Role ${stmt.iamRole} (its trust policy does not let ${missing.join(' and ')} assume it)`,
      );
  }
  const policies = ctx.rolePolicies(stmt.iamRole);
  const { bucket, prefix } = s3Url(stmt.source);
  const denied = (action: string, resource: string, context: Record<string, string>) =>
    policies !== undefined && evaluate(policies, { action, resource, context }) !== 'allow';
  if (o.REGION && o.REGION !== ctx.s3Region)
    throw new CopyError(
      `S3ServiceException:The bucket you are attempting to access must be addressed using the specified endpoint (bucket ${bucket} is in ${ctx.s3Region}, REGION says ${o.REGION})`,
    );
  if (denied('s3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': prefix }))
    throw new CopyError(
      `S3ServiceException:Access Denied,Status 403,Error AccessDenied (IAM role ${stmt.iamRole} may not s3:ListBucket arn:aws:s3:::${bucket} with prefix '${prefix}')`,
    );

  const keys: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await ctx.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    } catch (e) {
      throw new CopyError(`S3ServiceException:${(e as Error).message} (listing s3://${bucket}/${prefix})`);
    }
    for (const obj of page.Contents ?? []) if (obj.Key !== undefined) keys.push(obj.Key);
    token = page.NextContinuationToken;
  } while (token);
  if (keys.length === 0) throw new CopyError(`The specified S3 prefix '${prefix}' does not exist`);
  keys.sort();

  const delim = (o.DELIMITER ?? ',').charCodeAt(0);
  const quote = (o.QUOTE ?? '"').charCodeAt(0);
  const values: (string | null)[][] = columns.map(() => []);
  let rows = 0;
  for (const key of keys) {
    if (ctx.cancelled()) throw new CopyError('Query cancelled.');
    if (denied('s3:GetObject', `arn:aws:s3:::${bucket}/${key}`, {}))
      throw new CopyError(
        `S3ServiceException:Access Denied,Status 403,Error AccessDenied (IAM role ${stmt.iamRole} may not s3:GetObject s3://${bucket}/${key})`,
      );
    let body: Buffer = Buffer.from(
      await (await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
    );
    if (o.GZIP && body.length > 0) {
      try {
        body = gunzipSync(body);
      } catch {
        throw new CopyError(`gzip: s3://${bucket}/${key}: not in gzip format`);
      }
    }
    let skip = o.IGNOREHEADER ?? 0;
    let line = 0;
    try {
      for (const rec of csvRecords(body, delim, quote)) {
        line = rec.line;
        if (skip > 0) {
          skip--;
          continue;
        }
        const blank = rec.fields.length === 1 && !rec.fields[0]!.quoted && rec.fields[0]!.bytes.length === 0;
        if (blank && o.IGNOREBLANKLINES) continue;
        if (rec.fields.length > columns.length)
          throw new LoadError(1202, `Extra column(s) found: ${rec.fields.length} fields for ${columns.length} columns`);
        if (rec.fields.length < columns.length && !o.FILLRECORD)
          throw new LoadError(
            1203,
            `Input data had fewer columns than were defined in the DDL: ${rec.fields.length} fields for ${columns.length} columns`,
          );
        columns.forEach((c, k) => {
          let v: string | null;
          try {
            v = convert(rec.fields[k], c, targets[k]!, o, conv);
          } catch (e) {
            if (e instanceof LoadError)
              throw Object.assign(e, { column: c.name, raw: rec.fields[k]?.bytes.toString('utf8').slice(0, 60) });
            throw e;
          }
          if (v === null && c.notNull)
            throw Object.assign(new LoadError(1213, 'Missing data for not-null field'), { column: c.name });
          values[k]!.push(v);
        });
        rows++;
      }
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      const x = e as LoadError & { column?: string; raw?: string; line?: number };
      throw new CopyError(
        `Load into table '${relname}' failed. Check 'sys_load_error_detail' system table for details. ` +
          `[s3://${bucket}/${key} line ${x.line ?? line}${x.column ? `, column ${x.column}` : ''}: error ${x.code} ${x.reason}${x.raw !== undefined ? `; raw value "${x.raw}"` : ''}]`,
      );
    }
  }

  const list = columns.map((c) => quoteIdent(c.name)).join(', ');
  const typeOf = (c: ColumnInfo) => `pg_catalog.${quoteIdent(c.typname)}`;
  const select = columns.map((c, k) => `u.c${k}::${typeOf(c)}`).join(', ');
  const unnest = columns.map((_c, k) => `$${k + 1}::text[]`).join(', ');
  const alias = columns.map((_c, k) => `c${k}`).join(', ');
  const chunk = 5000;
  for (let from = 0; from < rows; from += chunk) {
    if (ctx.cancelled()) throw new CopyError('Query cancelled.');
    await ctx.client.query(
      `INSERT INTO ${qualified} (${list}) SELECT ${select} FROM unnest(${unnest}) AS u(${alias})`,
      values.map((v) => v.slice(from, from + chunk)),
    );
  }
  return rows;
}
