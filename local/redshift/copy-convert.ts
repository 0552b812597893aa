// One field's value (local/redshift/copy.ts): the PostgreSQL input text for a CSV field under the COPY's
// data-conversion parameters and the column's type, or the LoadError Redshift would report.
import { decode, type CsvField } from './copy-csv.ts';
import { TIME, ZONE, type Converters } from './copy-datetime.ts';
import { LoadError, type ColumnInfo, type Target } from './copy-target.ts';
import type { CopyOptions } from './translator.ts';

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
