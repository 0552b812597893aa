// Validation of handler input: a bad event fails at once with the field it got wrong (InvalidInputError
// is not retried by the state machine), instead of `undefined` somewhere deeper.

export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

type Obj = Record<string, unknown>;

export function asObject(v: unknown, what = 'event'): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new InvalidInputError(
      `${what}: expected an object, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`,
    );
  return v as Obj;
}

export function str(o: Obj, key: string, opts: { optional?: false; pattern?: RegExp }): string;
export function str(o: Obj, key: string, opts: { optional: true; pattern?: RegExp }): string | undefined;
export function str(o: Obj, key: string, opts: { optional?: boolean; pattern?: RegExp } = {}): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.optional) return undefined;
    throw new InvalidInputError(`${key}: required`);
  }
  if (typeof v !== 'string' || v === '')
    throw new InvalidInputError(`${key}: expected a non-empty string, got ${JSON.stringify(v)?.slice(0, 60)}`);
  if (opts.pattern && !opts.pattern.test(v))
    throw new InvalidInputError(`${key}: "${v.slice(0, 60)}" does not match ${String(opts.pattern)}`);
  return v;
}

/** A real calendar date, YYYY-MM-DD (2026-02-30 does not match: payloads.ts checks that). */
export const DATE = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const RUN_ID = /^[A-Za-z0-9_.-]{1,80}$/;
