// COPY's dates and times (local/redshift/copy.ts): DATEFORMAT / TIMEFORMAT strings, 'auto' recognition and the
// epochs, each value as the ISO text PostgreSQL takes.
import { CopyError, LoadError } from './copy-target.ts';
import type { CopyOptions } from './translator.ts';

// ---- dates and times ----------------------------------------------------------------------------------

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

export interface Parts {
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

export const TIME = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?`;
export const ZONE = String.raw`\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?`;
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

export interface Converters {
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
