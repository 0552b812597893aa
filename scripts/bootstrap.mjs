#!/usr/bin/env node
// First-use installer and task runner behind `npm test`, `npm run demo` and `npm run bench`.
// Runs on any Node >= 18 with no dependencies: it installs what is missing (node modules, which bring a
// Node 22 binary when the host's is older; the Python virtualenv with pyspark; the Glue runtime twin: a
// virtualenv with Glue 5.0's modules only and the S3A jars from Maven Central), then runs the task with
// Node 22 and the virtualenv's Python. Re-running is cheap: each install is skipped while its stamp matches.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => process.stderr.write(`[setup] ${msg}\n`);
const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  return r.status ?? 1;
}

function must(cmd, args, what, opts) {
  const status = run(cmd, args, opts);
  if (status !== 0) {
    say(`${what} failed (exit ${status}).`);
    process.exit(status);
  }
}

function ensureNodeModules() {
  const lock = join(root, 'package-lock.json');
  const stampFile = join(root, 'node_modules', '.wistia-install-stamp');
  const want = sha(existsSync(lock) ? lock : join(root, 'package.json'));
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) return;
  say('installing node modules (first use or changed lock file)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  must(npm, [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'], 'npm install');
  writeFileSync(stampFile, want);
}

/** The Node 22 binary: the host's when it is new enough, else the one the `node` package brought. */
function node22() {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const bundled = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    say(`Node ${process.versions.node} is older than 22 and node_modules/node is missing; run "npm ci".`);
    process.exit(1);
  }
  return bundled;
}

function findPython() {
  for (const cand of [process.env.PYTHON, 'python3.11', 'python3', 'python'].filter(Boolean)) {
    const r = spawnSync(cand, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '3.11') return cand;
  }
  say('Python 3.11 is required (Glue 5.x runs Python 3.11); none was found on PATH (tried python3.11, python3).');
  process.exit(1);
}

function checkJava() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const m = /version "(\d+)/.exec(text);
  if (r.status !== 0 || !m || Number(m[1]) < 17) {
    say('Java 17 is required for Spark (Glue 5.x runs Java 17); "java -version" did not report 17 or newer.');
    process.exit(1);
  }
}

function venvPython() {
  return join(root, '.venv', 'bin', 'python');
}

function ensurePython() {
  checkJava();
  const req = join(root, 'pyspark', 'requirements.txt');
  const stampFile = join(root, '.venv', '.wistia-install-stamp');
  const want = sha(req);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) return;
  if (!existsSync(venvPython())) {
    say('creating the Python virtualenv in .venv…');
    must(findPython(), ['-m', 'venv', join(root, '.venv')], 'python -m venv');
  }
  say('installing Python packages (pyspark is large: first use takes a minute or two)…');
  must(venvPython(), ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', req], 'pip install');
  writeFileSync(stampFile, want);
}

/**
 * The Glue runtime twin's Python (.venv-glue): Glue 5.0's modules only, pinned in pyspark/glue-5.0-requirements.txt
 * (from aws-glue-libs, branch glue-5.0, base-requirements.txt) plus pyspark 3.5.4, installed with --no-deps so
 * nothing Glue lacks (psycopg above all) slips in. local/glue/launcher.ts runs Glue jobs with it.
 */
function ensureGlueVenv() {
  const dir = join(root, '.venv-glue');
  const req = join(root, 'pyspark', 'glue-5.0-requirements.txt');
  const stampFile = join(dir, '.wistia-install-stamp');
  const want = sha(req);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) return;
  const python = join(dir, 'bin', 'python');
  if (!existsSync(python)) {
    say("creating the Glue 5.0 runtime twin in .venv-glue (Glue's Python modules only)…");
    must(findPython(), ['-m', 'venv', dir], 'python -m venv .venv-glue');
  }
  // a virtualenv is never committed: say so inside it, whatever the repository's .gitignore lists
  writeFileSync(join(dir, '.gitignore'), '*\n');
  say("installing Glue 5.0's Python modules into .venv-glue (first use: a minute or two)…");
  must(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--no-deps', '-r', req],
    'pip install (.venv-glue)',
  );
  writeFileSync(stampFile, want);
}

/**
 * The class-data-sharing archive of .venv's Spark (pyspark/wistia_pipeline/jvm.py): every local Spark session maps
 * it at start instead of loading Spark's classes from the jars (about 2 s less per JVM here). Built once (about 20 s)
 * and again when pyspark, Java or the warm-up changes; a failure only costs the speed-up.
 */
async function ensureClassArchive() {
  const archive = join(root, '.venv', 'wistia-spark-classes.jsa');
  const stampFile = `${archive}.stamp`;
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const want = [
    sha(join(root, 'pyspark', 'requirements.txt')),
    sha(join(root, 'pyspark', 'wistia_pipeline', 'jvm.py')),
    `${java.stdout ?? ''}${java.stderr ?? ''}`.trim(),
  ].join('\n');
  if (existsSync(archive) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) return;
  say('building the JVM class archive of Spark into .venv (first use: about 20 s; every later Spark start is faster)…');
  rmSync(archive, { force: true });
  const part = `${archive}.part`;
  rmSync(part, { force: true });
  const r = spawnSync(venvPython(), ['-m', 'wistia_pipeline.jvm', part], {
    cwd: join(root, 'pyspark'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = Number(/^(\d+)\s*$/m.exec(r.stdout ?? '')?.[1]);
  // the JVM writes the archive as it exits, after the Python process that drove it: wait for it (at most 2 min)
  for (let waited = 0; pid > 0 && waited < 120_000; waited += 200) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await sleep(200);
  }
  if (r.status !== 0 || !existsSync(part)) {
    say(
      `could not build the class archive (exit ${r.status}): Spark starts without it. ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`,
    );
    return;
  }
  renameSync(part, archive);
  writeFileSync(stampFile, want);
}

/**
 * The S3A connector for the Glue twin's Spark (pyspark 3.5.4 is built on Hadoop 3.3.4): hadoop-aws 3.3.4 and the
 * AWS SDK bundle it was built against (1.12.262), from Maven Central into .tools/jars. Each jar is checked against
 * the SHA-1 pinned here and against Maven's own .sha1 before it is kept.
 */
const JARS = [
  { path: 'org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar', sha1: 'a65839fbf1869f81a1632e09f415e586922e4f80' },
  {
    path: 'com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar',
    sha1: '02deec3a0ad83d13d032b1812421b23d7a961eea',
  },
];
const MAVEN = 'https://repo1.maven.org/maven2/';

async function ensureJars() {
  const dir = join(root, '.tools', 'jars');
  const stampFile = join(dir, '.wistia-install-stamp');
  const want = JARS.map((j) => `${j.path} ${j.sha1}`).join('\n');
  const names = JARS.map((j) => j.path.split('/').pop());
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want && names.every((n) => existsSync(join(dir, n))))
    return;
  mkdirSync(dir, { recursive: true });
  for (const jar of JARS) {
    const name = jar.path.split('/').pop();
    const file = join(dir, name);
    if (existsSync(file) && createHash('sha1').update(readFileSync(file)).digest('hex') === jar.sha1) continue;
    say(`downloading ${name} from Maven Central into .tools/jars…`);
    const published = await globalThis.fetch(`${MAVEN}${jar.path}.sha1`);
    if (!published.ok) {
      say(`could not fetch ${MAVEN}${jar.path}.sha1 (HTTP ${published.status}).`);
      process.exit(1);
    }
    const mavenSha1 = (await published.text()).trim().split(/\s+/)[0];
    if (mavenSha1 !== jar.sha1) {
      say(`Maven Central publishes SHA-1 ${mavenSha1} for ${name}, not the pinned ${jar.sha1}: refusing it.`);
      process.exit(1);
    }
    const res = await globalThis.fetch(`${MAVEN}${jar.path}`);
    if (!res.ok || !res.body) {
      say(`could not download ${MAVEN}${jar.path} (HTTP ${res.status}).`);
      process.exit(1);
    }
    const part = `${file}.part`;
    const hash = createHash('sha1');
    const body = Readable.fromWeb(res.body);
    body.on('data', (chunk) => hash.update(chunk));
    await pipeline(body, createWriteStream(part));
    const got = hash.digest('hex');
    if (got !== jar.sha1) {
      rmSync(part, { force: true });
      say(`${name} downloaded with SHA-1 ${got}, expected ${jar.sha1}: deleted; run again.`);
      process.exit(1);
    }
    renameSync(part, file);
  }
  writeFileSync(stampFile, want);
}

/** Debian's Chromium for the dashboard's browser test: installed with apt-get when missing and we are root. */
function ensureChromium() {
  const chromium = '/usr/bin/chromium';
  if (existsSync(chromium) || process.platform !== 'linux') return;
  if (process.getuid?.() !== 0) {
    say(`${chromium} is missing and this is not root: the dashboard test will fail until "apt-get install chromium".`);
    return;
  }
  const log = join(root, '.data', 'apt-chromium.log');
  mkdirSync(dirname(log), { recursive: true });
  const apt = (args) => {
    const r = spawnSync('apt-get', args, {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    writeFileSync(log, `$ apt-get ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ?? ''}\n`, {
      flag: 'a',
    });
    return r.status === 0;
  };
  say(`installing chromium for the dashboard test (apt-get install -y chromium; log in ${log})…`);
  const ok =
    apt(['install', '-y', '-q', 'chromium']) || (apt(['update', '-q']) && apt(['install', '-y', '-q', 'chromium']));
  if (!ok || !existsSync(chromium))
    say(`could not install chromium (see ${log}): the dashboard test will fail until it is installed.`);
}

/**
 * actionlint for the workflows test (test/workflows.test.ts), built once from the Go module proxy into .tools/bin.
 * Go is on every machine of this project's kind (CI on GitHub uses actions/setup-go); without Go this only warns
 * and that test fails saying so.
 */
const ACTIONLINT = 'v1.7.12';
const GO_TOOLCHAIN = 'go1.25.5';

/**
 * Without a Go on the host, the Go toolchain itself comes from the Go module proxy (as `go` fetches newer
 * toolchains: module golang.org/toolchain), unpacked under .tools/: no new prerequisite for newcomers.
 */
function goToolchain() {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  if (!arch || process.platform !== 'linux') return undefined;
  const version = `v0.0.1-${GO_TOOLCHAIN}.linux-${arch}`;
  const dir = join(root, '.tools', 'go');
  const goBin = join(dir, `golang.org`, `toolchain@${version}`, 'bin', 'go');
  if (existsSync(goBin)) return goBin;
  say(`fetching the Go toolchain ${GO_TOOLCHAIN} from proxy.golang.org (to build actionlint)…`);
  mkdirSync(dir, { recursive: true });
  const zip = join(dir, 'toolchain.zip');
  const url = `https://proxy.golang.org/golang.org/toolchain/@v/${version}.zip`;
  const py = [
    'import sys, os, stat, zipfile, urllib.request',
    'urllib.request.urlretrieve(sys.argv[1], sys.argv[2])',
    'z = zipfile.ZipFile(sys.argv[2])',
    'for i in z.infolist():',
    '    p = z.extract(i, sys.argv[3])',
    '    mode = (i.external_attr >> 16) & 0o777',
    '    os.chmod(p, mode or (0o755 if "/bin/" in i.filename or "/pkg/tool/" in i.filename else 0o644))',
    'os.remove(sys.argv[2])',
  ].join('\n');
  const r = spawnSync(findPython(), ['-c', py, url, zip, dir], { stdio: 'inherit' });
  return r.status === 0 && existsSync(goBin) ? goBin : undefined;
}

function ensureActionlint() {
  const bin = join(root, '.tools', 'bin');
  const stampFile = join(root, '.tools', 'actionlint.version');
  if (existsSync(join(bin, 'actionlint')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === ACTIONLINT)
    return;
  const go = [process.env.GO, 'go', '/usr/local/go/bin/go']
    .filter(Boolean)
    .find((g) => spawnSync(g, ['version'], { encoding: 'utf8' }).status === 0);
  const goBin = go ?? goToolchain();
  if (!goBin) {
    say('Go is not installed and its toolchain could not be fetched: the workflows test (actionlint) will fail.');
    return;
  }
  say(`building actionlint ${ACTIONLINT} with ${goBin} into .tools/bin (first use: about a minute)…`);
  mkdirSync(bin, { recursive: true });
  const status = run(goBin, ['install', `github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT}`], {
    env: { ...process.env, GOBIN: bin, GOTOOLCHAIN: 'local' },
  });
  if (status !== 0) {
    say(`go install actionlint failed (exit ${status}): the workflows test will fail until it is built.`);
    return;
  }
  writeFileSync(stampFile, ACTIONLINT);
}

function summarize(vitestJson, pytestXml) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (existsSync(vitestJson)) {
    const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
    passed += v.numPassedTests ?? 0;
    failed += v.numFailedTests ?? 0;
    // a file that failed to load reports no failed test: count it once
    for (const r of v.testResults ?? [])
      if (r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed')) failed++;
    skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
    // the slowest files, for whoever makes the suite faster (issue 13: none should take over 3 minutes); vitest's
    // JSON report times the tests only, not beforeAll/afterAll hooks (a file that builds its fixture there, like
    // warehouse.test.ts, takes longer than it says here)
    const slow = (v.testResults ?? [])
      .map((r) => ({ file: relative(root, r.name ?? ''), s: ((r.endTime ?? 0) - (r.startTime ?? 0)) / 1000 }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 5);
    if (slow.length)
      process.stdout.write(
        `\nslowest test files (time in tests; hooks not counted): ${slow.map((x) => `${x.file} ${x.s.toFixed(0)} s`).join(', ')}\n`,
      );
  }
  if (existsSync(pytestXml)) {
    const x = readFileSync(pytestXml, 'utf8');
    const m = /<testsuite [^>]*>/.exec(x)?.[0] ?? '';
    const attr = (n) => Number(new RegExp(`${n}="(\\d+)"`).exec(m)?.[1] ?? 0);
    const total = attr('tests');
    const bad = attr('failures') + attr('errors');
    const skip = attr('skipped');
    passed += total - bad - skip;
    failed += bad;
    skipped += skip;
  }
  return { passed, failed, skipped };
}

/**
 * ruff over the PySpark code (its settings: pyspark/pyproject.toml [tool.ruff]): the lint (`ruff check`) and the
 * format check (`ruff format --check`), both run; 0 when both pass, else 1 after a line naming what failed and the
 * command that fixes it. `fix`: apply the fixes instead (`ruff check --fix`, `ruff format`).
 */
function ruff(env, fix = false) {
  const lint = run(venvPython(), ['-m', 'ruff', 'check', ...(fix ? ['--fix'] : []), 'pyspark'], { env });
  const format = run(venvPython(), ['-m', 'ruff', 'format', ...(fix ? [] : ['--check']), 'pyspark'], { env });
  if (lint !== 0)
    say(`ruff check pyspark failed (exit ${lint}): see its findings above (\`npm run format\` fixes some)`);
  if (format !== 0)
    say(`ruff format --check pyspark failed (exit ${format}): \`npm run format\` reformats the files above`);
  return lint === 0 && format === 0 ? 0 : 1;
}

const task = process.argv[2] ?? 'test';
const rest = process.argv.slice(3);
const resultsDir = join(root, '.data', 'test-results');

switch (task) {
  case 'setup':
    ensureNodeModules();
    ensurePython();
    await ensureClassArchive();
    ensureGlueVenv();
    await ensureJars();
    ensureChromium();
    ensureActionlint();
    say('ready.');
    break;
  case 'test': {
    ensureNodeModules();
    ensurePython();
    await ensureClassArchive();
    ensureGlueVenv();
    await ensureJars();
    ensureChromium();
    ensureActionlint();
    mkdirSync(resultsDir, { recursive: true });
    const vitestJson = join(resultsDir, 'vitest.json');
    const pytestXml = join(resultsDir, 'pytest.xml');
    for (const f of [vitestJson, pytestXml]) if (existsSync(f)) writeFileSync(f, '');
    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    const env = { ...process.env, WISTIA_PIPELINE_PYTHON: venvPython() };
    // vitest's own worker count (cores - 1: one on a 2-core machine), and pytest beside vitest while vitest runs the
    // unit and integration tiers (vitest.config.ts runs the e2e tier last): those wait on sockets, child processes
    // and timers more than they compute, and pytest's Spark fills the idle core. Measured on fresh clones of a quiet
    // 2-core machine: two vitest workers took vitest 1,178 s (2026-12-03; every e2e file two to three times its
    // one-worker time: the Spark files compute); one worker with pytest after it 950 s + 196 s (6ed62ff), with pytest
    // beside the lighter tiers 1,102 s together (a999bab, 2026-12-04): one run each, within this machine's noise.
    // WISTIA_TEST_WORKERS=N and WISTIA_TEST_PYTEST=after choose otherwise.
    const workers = process.env.WISTIA_TEST_WORKERS ? Number(process.env.WISTIA_TEST_WORKERS) : undefined;
    const serial = process.env.WISTIA_TEST_PYTEST === 'after';
    const pytestArgs = ['-m', 'pytest', 'pyspark/tests', '-q', `--junitxml=${pytestXml}`];
    const pytestLog = join(resultsDir, 'pytest.log');
    let pytestDone;
    if (!serial) {
      // pytest beside vitest: its output goes to a log, printed once vitest is done (two reporters on one terminal
      // interleave)
      const fd = openSync(pytestLog, 'w');
      const child = spawn(venvPython(), pytestArgs, { cwd: root, env, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      pytestDone = new Promise((resolve) => {
        child.on('error', (e) => {
          say(`pytest could not start: ${e.message}`);
          resolve(1);
        });
        child.on('exit', (code) => resolve(code ?? 1));
      });
    }
    const started = Date.now();
    const v = run(
      node22(),
      [
        vitest,
        'run',
        ...(workers ? [`--maxWorkers=${workers}`] : []),
        '--reporter=default',
        '--reporter=json',
        `--outputFile=${vitestJson}`,
        ...rest,
      ],
      { env },
    );
    const r = ruff(env);
    let p;
    if (serial) p = run(venvPython(), pytestArgs, { env });
    else {
      p = await pytestDone;
      process.stdout.write(`\n[pytest, run beside vitest]\n${readFileSync(pytestLog, 'utf8')}`);
    }
    process.stdout.write(
      `\nvitest (${workers ?? "vitest's default"} workers) and pytest took ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
    let s = { passed: 0, failed: 1, skipped: 0 };
    try {
      s = summarize(vitestJson, pytestXml);
    } catch (e) {
      say(`could not read the test reports: ${e.message}`);
    }
    const ok = v === 0 && r === 0 && p === 0 && s.failed === 0 && s.passed > 0;
    if (!ok && s.failed === 0) s.failed = 1; // a runner that crashed before reporting still counts as a failure
    process.stdout.write(`\nvitest exit ${v}, ruff exit ${r}, pytest exit ${p}\n`);
    if (r !== 0) process.stdout.write('ruff failed on pyspark/ (lint or format): see [setup] above\n');
    process.stdout.write(`tests: ${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}\n`);
    process.exit(ok ? 0 : 1);
    break;
  }
  case 'reliability': {
    // The reliability suite alone; `--large` runs its larger profile (300 medias, by hand: 15-20 minutes on a quiet machine).
    ensureNodeModules();
    ensurePython();
    await ensureClassArchive();
    const large = rest.includes('--large');
    const env = {
      ...process.env,
      WISTIA_PIPELINE_PYTHON: venvPython(),
      ...(large ? { WISTIA_RELIABILITY_PROFILE: 'large' } : {}),
    };
    const args = rest.filter((a) => a !== '--large');
    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    process.exit(
      run(node22(), [vitest, 'run', 'test/reliability.test.ts', 'test/reliability-input.test.ts', ...args], { env }),
    );
    break;
  }
  case 'pytest': {
    ensurePython();
    await ensureClassArchive();
    await ensureJars(); // the s3a:// read test runs Spark with the S3A jars
    const r = ruff(process.env); // pytest runs either way; a ruff failure fails the task
    const p = run(venvPython(), ['-m', 'pytest', 'pyspark/tests', ...rest]);
    process.exit(p !== 0 ? p : r);
    break;
  }
  case 'ruff':
    // `npm run lint` (checks) and `npm run format` (--fix: applies the fixes)
    ensurePython();
    process.exit(ruff(process.env, rest.includes('--fix')));
    break;
  case 'demo':
  case 'bench': {
    ensureNodeModules();
    ensurePython();
    await ensureClassArchive();
    const env = { ...process.env, WISTIA_PIPELINE_PYTHON: venvPython() };
    process.exit(run(node22(), [join(root, 'bin', 'wistia-pipeline.mjs'), task, ...rest], { env }));
    break;
  }
  default:
    say(`unknown task "${task}" (expected setup, test, reliability, pytest, ruff, demo or bench)`);
    process.exit(2);
}
