// The GitHub Actions workflows (.github/workflows) pass actionlint (with shellcheck on their run: scripts when the
// .venv has it) and have the shape the README promises: CI on every push and pull request, deploy through an OIDC
// role into a protected environment after the tests, and a daily contract check guarded by the token secret.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers/sim.ts';

type Json = Record<string, unknown>;
interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  id?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  'runs-on'?: string;
  uses?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  permissions?: Json;
  outputs?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  name: string;
  on: Json;
  permissions?: Json;
  jobs: Record<string, Job>;
}

const DIR = join(ROOT, '.github', 'workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
const wf = (f: string) => parse(readFileSync(join(DIR, f), 'utf8')) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps ?? []);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** actionlint: $ACTIONLINT, else .tools/bin (built by `npm run setup` / `npm test`), else PATH. */
function actionlint(): string {
  const candidates = [process.env.ACTIONLINT, join(ROOT, '.tools', 'bin', 'actionlint'), 'actionlint'];
  for (const c of candidates) if (c && spawnSync(c, ['-version'], { encoding: 'utf8' }).status === 0) return c;
  throw new Error(
    'actionlint is not installed: run "npm run setup" (it builds actionlint with Go into .tools/bin; Go 1.25+ ' +
      'must be on PATH) or set ACTIONLINT to its path',
  );
}

function lint(paths: string[]): { status: number | null; findings: Json[]; stderr: string } {
  const shellcheck = join(ROOT, '.venv', 'bin', 'shellcheck');
  const args = ['-no-color', '-format', '{{json .}}', ...(existsSync(shellcheck) ? ['-shellcheck', shellcheck] : [])];
  const r = spawnSync(actionlint(), [...args, ...paths], { cwd: ROOT, encoding: 'utf8' });
  const out = r.stdout.trim();
  return { status: r.status, findings: out ? (JSON.parse(out) as Json[]) : [], stderr: r.stderr };
}

describe('workflows: actionlint', () => {
  it('finds nothing in ci.yml, deploy.yml and contract.yml', () => {
    expect(files.sort()).toEqual(['ci.yml', 'contract.yml', 'deploy.yml']);
    const r = lint(files.map((f) => join(DIR, f)));
    expect(r.findings.map((f) => `${String(f.filepath)}:${String(f.line)}: ${String(f.message)}`)).toEqual([]);
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('does report a broken workflow (the check can fail): secrets in a job if, a typo in an expression', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-actionlint-'));
    try {
      mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
      const bad = join(dir, '.github', 'workflows', 'bad.yml');
      writeFileSync(
        bad,
        [
          'on: push',
          'jobs:',
          '  a:',
          "    if: secrets.TOKEN != ''",
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - run: echo "${{ github.refs }}"',
          '',
        ].join('\n'),
      );
      const r = lint([bad]);
      expect(r.status).toBe(1);
      const kinds = r.findings.map((f) => String(f.kind));
      expect(kinds).toContain('expression');
      expect(r.findings.some((f) => /secrets/.test(String(f.message)))).toBe(true);
      expect(r.findings.some((f) => /refs/.test(String(f.message)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('workflows: what they promise', () => {
  it('ci runs on push and pull_request (and is callable), each part of `npm test` a named step', () => {
    const ci = wf('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
    expect(ci.permissions).toEqual({ contents: 'read' });
    const s = steps(ci);
    const uses = (a: string) => s.find((x) => x.uses?.startsWith(`${a}@`));
    expect(uses('actions/checkout')).toBeDefined();
    expect(uses('actions/setup-node')?.with).toEqual({ 'node-version': 22, cache: 'npm' });
    expect(uses('actions/setup-python')?.with?.['python-version']).toBe('3.11');
    expect(uses('actions/setup-java')?.with).toEqual({ distribution: 'temurin', 'java-version': '17' });
    expect(uses('actions/upload-artifact')?.with?.path).toBe('test-results/');
    expect(uses('actions/upload-artifact')?.if).toBe('always()');
    const named = s.filter((x) => x.name && x.run).map((x) => x.name);
    expect(named).toEqual([
      'install',
      'lint',
      'typecheck',
      'vitest',
      'pytest',
      'cdk synth (cdk-nag AwsSolutions runs in the app)',
    ]);
    // every `npm run X` names a script package.json has
    for (const x of s.filter((y) => y.run))
      for (const m of x.run!.matchAll(/npm run ([\w:-]+)/g)) expect([m[1], m[1]! in pkg.scripts]).toEqual([m[1], true]);
    expect(pkg.scripts.synth).toMatch(/^cdk synth/);
    expect(s.find((x) => x.name === 'vitest')?.run).toMatch(/--outputFile\.junit=test-results\//);
    expect(s.find((x) => x.name === 'pytest')?.run).toMatch(/--junitxml=test-results\//);
  });

  it('deploy runs on main and v* tags, after the CI, through an OIDC role, in a protected environment, one at a time', () => {
    const d = wf('deploy.yml');
    expect(d.on).toEqual({ push: { branches: ['main'], tags: ['v*'] } });
    expect(d.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    expect(d.jobs.test?.uses).toBe('./.github/workflows/ci.yml');
    const job = d.jobs.deploy!;
    expect(job.needs).toBe('test');
    expect(job.environment).toBe('production');
    expect(job.concurrency).toEqual({ group: 'deploy-production', 'cancel-in-progress': false });
    const s = job.steps ?? [];
    const creds = s.find((x) => x.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(creds?.with?.['role-to-assume']).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');
    expect(creds?.with?.['aws-region']).toBe('${{ vars.AWS_REGION }}');
    expect(creds?.with).not.toHaveProperty('aws-access-key-id'); // no stored keys
    const deploy = s.findIndex((x) => /\bcdk deploy\b/.test(x.run ?? ''));
    expect(deploy).toBeGreaterThan(s.indexOf(creds!));
    expect(s[deploy]?.run).toMatch(/--require-approval never/);
    expect(s.findIndex((x) => /npm ci/.test(x.run ?? ''))).toBeLessThan(deploy);
    // the called workflow is the CI
    expect(Object.keys(wf('ci.yml').on)).toContain('workflow_call');
  });

  it('contract runs daily and on demand, only when the WISTIA_API_TOKEN secret is configured', () => {
    const c = wf('contract.yml');
    expect(Object.keys(c.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const cron = (c.on.schedule as { cron: string }[])[0]?.cron ?? '';
    expect(cron.split(' ')).toHaveLength(5);
    expect(cron).toMatch(/^\d+ \d+ \* \* \*$/); // once a day
    const gate = c.jobs.token!;
    expect(gate.steps?.[0]?.env?.CONFIGURED).toBe("${{ secrets.WISTIA_API_TOKEN != '' }}");
    expect(gate.outputs?.configured).toBe('${{ steps.check.outputs.configured }}');
    const job = c.jobs.contract!;
    expect([job.needs, job.if]).toEqual(['token', "needs.token.outputs.configured == 'true'"]);
    const run = (job.steps ?? []).find((x) => /contract\.test\.ts/.test(x.run ?? ''));
    expect(run?.env).toEqual({ WISTIA_CONTRACT: '1', WISTIA_API_TOKEN: '${{ secrets.WISTIA_API_TOKEN }}' });
    expect(existsSync(join(ROOT, 'test', 'contract.test.ts'))).toBe(true);
  });

  it('never puts a secret into a run: script (secrets reach commands through env only)', () => {
    for (const f of files)
      for (const s of steps(wf(f)))
        expect([f, s.name ?? s.uses, /secrets\./.test(s.run ?? '')]).toEqual([f, s.name ?? s.uses, false]);
  });
});
