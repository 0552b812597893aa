// What every command of the CLI is made of: its options, usage, and a run that returns an exit code.
import type { ParseArgsConfig } from 'node:util';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 3, api: 4 } as const;

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;
export interface Command {
  summary: string;
  usage: string;
  options: Options;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

/** A numeric option, checked: the error names the option and what it got. */
export function num(
  values: Record<string, unknown>,
  name: string,
  { min = -Infinity, max = Infinity, int = false } = {},
): number {
  const raw = values[name];
  const n = Number(raw);
  if (
    typeof raw !== 'string' ||
    raw.trim() === '' ||
    !Number.isFinite(n) ||
    n < min ||
    n > max ||
    (int && !Number.isInteger(n))
  )
    throw new UsageError(
      `--${name}: expected ${int ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` <= ${max}` : ''}, got "${String(raw)}"`,
    );
  return n;
}
