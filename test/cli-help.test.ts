// The CLI documents itself: every command has a summary, every option a description, and the generated --help
// shows each option with its description and its default. An option added without a description fails here.
import { describe, expect, it } from 'vitest';
import { commanderOf } from '#local/cli/command.ts';
import { COMMANDS, EXIT } from '#local/cli/main.ts';
import { cli } from './helpers/cli.ts';

/** The help with its wrapping undone: one space wherever commander broke a line. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

describe.each(Object.entries(COMMANDS))('wistia-pipeline %s', (name, cmd) => {
  const { program } = commanderOf(name, cmd);

  it('has a summary, and every option a description', () => {
    expect(program.description().trim()).not.toBe('');
    expect(program.options.map((o) => o.long)).toEqual(Object.keys(cmd.options).map((k) => `--${k}`));
    expect(program.options.filter((o) => !o.description.trim()).map((o) => o.long)).toEqual([]);
  });

  it('--help names every option with what it does, its default and its choices', async () => {
    const { code, out } = await cli([name, '--help']);
    expect(code).toBe(EXIT.ok);
    const help = flat(out);
    expect(help).toContain(flat(cmd.summary));
    for (const o of program.options) {
      expect(help).toContain(`${o.flags} ${flat(o.description)}`);
      if (o.defaultValue !== undefined)
        expect(help).toContain(`default: ${o.defaultValueDescription ?? JSON.stringify(o.defaultValue)}`);
      for (const c of o.argChoices ?? []) expect(help).toContain(`"${c}"`);
    }
  });

  it('its usage line names only options it has', () => {
    const [synopsis = ''] = cmd.usage.split('\n\n');
    const named = [...synopsis.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]);
    const known = new Set(program.options.map((o) => o.long));
    expect(named.filter((n) => !known.has(n))).toEqual([]);
  });
});

it('the top-level help lists every command with its summary', async () => {
  const { code, out } = await cli(['--help']);
  expect(code).toBe(EXIT.ok);
  for (const [name, cmd] of Object.entries(COMMANDS)) expect(flat(out)).toContain(`${name} ${flat(cmd.summary)}`);
});
