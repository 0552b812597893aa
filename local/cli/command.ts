// What every command of the CLI is made of: its options, usage, and a run that returns an exit code; its
// arguments parsed with commander.
import { Command as Commander, CommanderError, Option } from 'commander';
import { defaultBaseUrl, parseApiVersion } from '#shared/wistia/api-version.ts';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 3, api: 4 } as const;

export class UsageError extends Error {}

/** One option of a command: a string takes a value, a boolean is a flag. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly default?: string | boolean;
  /** What the option does, for the generated --help (which adds the default and the choices). */
  readonly description: string;
  /** The values a string option takes, listed by --help (the command checks them itself, naming the option). */
  readonly choices?: readonly string[];
  /** What --help calls a string option's value, as the usage line does (default: the name in capitals). */
  readonly value?: string;
}
export type Options = Readonly<Record<string, OptionSpec>>;
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

/** A day option's value, checked: YYYY-MM-DD and a real date, else a UsageError naming the option. */
export function isoDay(name: string, value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))
    throw new UsageError(`--${name}: expected YYYY-MM-DD, got "${value}"`);
  return value;
}

/** What a command's parse gives its run: option values by their long names, and the positionals. */
export interface Parsed {
  readonly help: string | null;
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** One command as a commander program, and which of its options each commander attribute is. */
export interface CommanderOf {
  readonly program: Commander;
  readonly attribute: ReadonlyMap<string, { key: string; negated: boolean }>;
}

/**
 * One command as commander sees it: typed options from the command's table (a string takes a value, a boolean is
 * a flag; `--no-x` flags keep their own name), each with its description, default and choices; the positionals
 * collected for the command to check; the help generated from the usage line, the options and the command's
 * notes, written to `out`.
 */
export function commanderOf(name: string, cmd: Command, out: (s: string) => void = () => {}): CommanderOf {
  const prefix = `wistia-pipeline ${name}`;
  const [head = '', ...notes] = cmd.usage.split('\n\n');
  const usage = head.startsWith(prefix) ? head.slice(prefix.length).trim() : head;
  const program = new Commander(prefix)
    .description(cmd.summary)
    .usage(usage)
    .argument('[args...]')
    .helpOption('-h, --help', 'print this help')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: () => {}, outputError: () => {} })
    // as wide as the usage notes, on a terminal or not
    .configureHelp({ helpWidth: 118 })
    .addHelpText('after', notes.length ? `\n${notes.join('\n\n')}` : '');
  const attribute = new Map<string, { key: string; negated: boolean }>();
  for (const [key, o] of Object.entries(cmd.options)) {
    const negated = key.startsWith('no-') && o.type === 'boolean';
    const value = o.value ?? key.replace(/-/g, '_').toUpperCase();
    const opt = new Option(o.type === 'boolean' ? `--${key}` : `--${key} <${value}>`, o.description);
    // a `--no-x` flag is commander's negation of x (default true): read back as no-x = !x
    if (o.default !== undefined && o.default !== false && !negated)
      opt.default(o.default, o.default === '' ? 'none' : undefined);
    // listed by the help only: not `.choices()`, whose check would replace the command's own message
    if (o.choices) opt.argChoices = [...o.choices];
    program.addOption(opt);
    attribute.set(opt.attributeName(), { key, negated });
  }
  return { program, attribute };
}

/**
 * Parses one command's arguments with commander (`commanderOf`). An unknown option, a missing value or a stray
 * flag is a UsageError naming it; `--help` gives the generated help.
 */
export function parseCommand(name: string, cmd: Command, argv: string[]): Parsed {
  let help: string | null = null;
  const { program: c, attribute } = commanderOf(name, cmd, (s) => (help = (help ?? '') + s));
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
