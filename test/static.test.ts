// The code stays type-correct, linted and formatted: run here so that `npm test` (and CI) fail otherwise.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/sim.ts';

function run(bin: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', bin), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('static checks', () => {
  it('typechecks (tsc --noEmit, strict, noUncheckedIndexedAccess)', () => {
    const r = run('typescript/bin/tsc', ['--noEmit', '-p', '.']);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes eslint, including the import rules between functions/, infra/ and local/', () => {
    const r = run('eslint/bin/eslint.js', ['.', '--max-warnings', '0']);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('is formatted with prettier', () => {
    const r = run('prettier/bin/prettier.cjs', ['--check', '.']);
    expect(r.status, r.output).toBe(0);
  });
});
