// The template `cdk deploy` ships, for the test/infra-*.test.ts files: synthesized by the CDK CLI as a separate
// process, exactly as a deploy synthesizes it (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION set, which is what the CLI
// does when it finds credentials), but offline and without any AWS credentials. cdk-nag AwsSolutions runs inside
// that synth (infra/app.ts): an unacknowledged finding fails it.
//
// Once per test run: the first file to call useSynth() synthesizes into the run's folder (synth-run-dir.ts, a
// globalSetup) while holding a lock (mkdir is atomic); the others, in parallel forks or later, wait for its result
// file and read the same cdk.out. `out`, `synth`, `tpl` and `t` are ES module live bindings, set by useSynth's
// beforeAll before the file's tests run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { ROOT } from './sim.ts';
import {
  byPath,
  entries as entriesOf,
  type Res,
  roleOf as roleOfFn,
  roleStatements as roleStatementsOf,
  type Tpl,
} from './template.ts';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';
export const STACK = 'WistiaPipeline';
/** How long a file waits for another file's synth (the synth itself takes a minute or two on a busy machine). */
const WAIT_MS = 290_000;

interface SynthResult {
  readonly status: number | null;
  readonly output: string;
}

// live bindings, set by useSynth's beforeAll
/** The folder holding cdk.out/ (and the synth's lock and result). */
export let out: string;
export let synth: SynthResult;
export let tpl: Tpl & { Outputs: Record<string, { Value: unknown }> };
export let t: Template;

/** The environment of a deploy's synth, minus credentials: nothing AWS_* or CDK_* leaks in from this shell. */
function offlineEnv(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')),
  );
  return {
    ...env,
    // no shared credentials/config files and no instance metadata: the CLI finds no credentials at all
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    ...extra,
  };
}

function cdk(args: string[], env: NodeJS.ProcessEnv): SynthResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/** Synthesizes into `dir` unless another file already does; either way answers that synth's result. */
async function synthOnce(dir: string): Promise<SynthResult> {
  const result = join(dir, 'synth.json');
  let mine = true;
  try {
    mkdirSync(join(dir, 'lock'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    mine = false;
  }
  if (mine) {
    let r: SynthResult;
    try {
      r = cdk(
        ['synth', '--quiet', '--no-notices', '--output', join(dir, 'cdk.out')],
        offlineEnv(dir, { CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: REGION }),
      );
    } catch (e) {
      r = { status: null, output: String(e) };
    }
    writeFileSync(`${result}.tmp`, JSON.stringify(r));
    renameSync(`${result}.tmp`, result); // whole, for the files polling for it
    return r;
  }
  for (const deadline = Date.now() + WAIT_MS; !existsSync(result);) {
    if (Date.now() > deadline) throw new Error(`no synth result in ${dir} after ${WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return JSON.parse(readFileSync(result, 'utf8')) as SynthResult;
}

/** Registers the calling file's beforeAll that gets the run's synth (and fails the file if it failed). */
export function useSynth(): void {
  // outside the project's config (no globalSetup), a folder of the file's own
  const own = inject('synthRunDir') ? undefined : mkdtempSync(join(tmpdir(), 'cdk-out-'));
  beforeAll(async () => {
    out = own ?? inject('synthRunDir');
    synth = await synthOnce(out);
    const file = join(out, 'cdk.out', `${STACK}.template.json`);
    if (synth.status !== 0 || !existsSync(file)) throw new Error(`cdk synth failed:\n${synth.output.slice(-6000)}`);
    tpl = JSON.parse(readFileSync(file, 'utf8')) as typeof tpl;
    t = Template.fromJSON(tpl);
  }, 300_000);
  afterAll(() => {
    if (own) rmSync(own, { recursive: true, force: true });
  });
}

export const entries = (type: string) => entriesOf(tpl, type);
export const only = (type: string): [string, Res] => {
  const found = entries(type);
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]!;
};
export const props = (type: string) => only(type)[1].Properties ?? {};
export const roleStatements = (roleId: string) => roleStatementsOf(tpl, roleId);
export const roleOf = (fnId: string) => roleOfFn(tpl, fnId);
export const idOf = (type: string, pathPart: string) => {
  const found = byPath(tpl, type, pathPart);
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]![0];
};
export const fnId = (handlerDir: string) => {
  const found = entries('AWS::Lambda::Function').filter(([, r]) =>
    JSON.stringify(r.Metadata ?? '').includes(`${STACK}/${handlerDir}/`),
  );
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]![0];
};
