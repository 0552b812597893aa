// The target columns of a COPY (local/redshift/copy.ts): their types as the conversion rules see them, and the two
// errors: a COPY Redshift fails, and one bad field or record.

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

export type Target =
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
