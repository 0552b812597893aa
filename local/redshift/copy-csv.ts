// Reading a COPY's objects (local/redshift/copy.ts): Redshift's CSV records, and the UTF-8 check of each field
// (ACCEPTINVCHARS).
import { LoadError } from './copy-target.ts';

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
export function invalidUtf8(b: Buffer): number[] {
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

export function decode(bytes: Buffer, acceptInvChars: string | undefined, column: string): string {
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
