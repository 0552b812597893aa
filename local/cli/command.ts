// What every command of the CLI is made of: its options, usage, and a run that returns an exit code; its
// arguments parsed with commander.
import type { ParseArgsConfig } from 'node:util';
import { Command as Commander, CommanderError, Option } from 'commander';
import { defaultBaseUrl, parseApiVersion } from '#shared/wistia/api-version.ts';

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

/** What a command's parse gives its run: option values by their long names, and the positionals. */
export interface Parsed {
  readonly help: string | null;
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/**
 * Parses one command's arguments with commander: typed options from the command's table (a string takes a value,
 * a boolean is a flag; `--no-x` flags keep their own name), positionals collected for the command to check, and
 * the help generated from the usage line, the options with their defaults and the command's notes. An unknown
 * option, a missing value or a stray flag is a UsageError naming it.
 */
export function parseCommand(name: string, cmd: Command, argv: string[]): Parsed {
  const prefix = `wistia-pipeline ${name}`;
  const [head = '', ...notes] = cmd.usage.split('\n\n');
  const usage = head.startsWith(prefix) ? head.slice(prefix.length).trim() : head;
  let help: string | null = null;
  const c = new Commander(prefix)
    .description(cmd.summary)
    .usage(usage)
    .argument('[args...]')
    .helpOption('-h, --help', 'print this help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => (help = (help ?? '') + s),
      writeErr: () => {},
      outputError: () => {},
    })
    .addHelpText('after', notes.length ? `\n${notes.join('\n\n')}` : '');
  const attribute = new Map<string, { key: string; negated: boolean }>();
  for (const [key, o] of Object.entries(cmd.options)) {
    const negated = key.startsWith('no-') && o.type === 'boolean';
    const opt =
      o.type === 'boolean' ? new Option(`--${key}`) : new Option(`--${key} <${key.replace(/-/g, '_').toUpperCase()}>`);
    // a `--no-x` flag is commander's negation of x (default true): read back as no-x = !x
    if (o.default !== undefined && o.default !== false && !negated) opt.default(o.default);
    c.addOption(opt);
    attribute.set(opt.attributeName(), { key, negated });
  }
  try {
    c.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help')
        return { help: help ?? c.helpInformation(), values: {}, positionals: [] };
      throw new UsageError(e.message.replace(/^error: /, ''));
    }
    throw e;
  }
  const opts = c.opts<Record<string, string | boolean | undefined>>();
  const values: Record<string, string | boolean | undefined> = {};
  for (const [attr, { key, negated }] of attribute) {
    const boolean = cmd.options[key]?.type === 'boolean';
    values[key] = negated ? opts[attr] === false : boolean ? (opts[attr] ?? false) : opts[attr];
  }
  return { help: null, values, positionals: (c.processedArgs[0] as string[] | undefined) ?? [] };
}

/**
 * The Wistia API's base URL: --api-base-url, else WISTIA_API_BASE_URL, else Wistia's own for WISTIA_API_VERSION
 * (v1 by default). A bad WISTIA_API_VERSION stops the command here, before anything runs (exit 3).
 */
export function apiBaseUrlOf(v: Record<string, unknown>): string {
  const version = parseApiVersion(process.env.WISTIA_API_VERSION);
  if (typeof v['api-base-url'] === 'string') return v['api-base-url'];
  return process.env.WISTIA_API_BASE_URL || defaultBaseUrl(version);
}
