// The Glue step, locally: the same job entry (pyspark/glue_job.py) under plain pyspark, loading the embedded
// PostgreSQL. Its JSON report becomes the job run the state machine sees (and runs/<execution>/transform.json).
import type { MetricPoint } from '#shared/metrics.ts';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { putJson } from '#shared/store/store.ts';
import { runKey } from '#shared/pipeline/keys.ts';
import type { GlueRunner } from './runner/run.ts';
import type { LocalWarehouse } from './warehouse/postgres.ts';
import { dataDirPaths } from './data-dir.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function pythonPath(): string {
  const p = process.env.WISTIA_PIPELINE_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
  if (!existsSync(p))
    throw new Error(
      `the project's Python is missing (${p}): run "npm run setup" (npm test and npm run demo install it too)`,
    );
  return p;
}

/** A finding of the job's audit (wistia_pipeline.quality.Finding): reported, never a failure. */
export interface TransformFinding {
  table: string;
  rule: string;
  day: string;
  account_plays: number;
  media_plays: number;
  detail: string;
}

export interface TransformReport {
  status: 'SUCCEEDED' | 'FAILED';
  run_id: string;
  error?: string;
  message?: string;
  failures?: { table: string; rule: string; detail: string }[];
  /** Per entity: served = loaded + quarantined + deduplicated + skipped (issue 12). */
  bronze?: Record<
    string,
    { served: number; loaded: number; quarantined: number; deduplicated: number; skipped: number }
  >;
  rows?: Record<string, number>;
  loaded?: Record<string, { staged: number; inserted: number; updated: number; unchanged: number }>;
  quarantined?: number;
  drift?: { entity: string; field: string; kind: string; records: number }[];
  /** What the gate reports without failing (issue 17: a day the account's plays and its medias' disagree). */
  findings?: TransformFinding[];
  /** Locally, whether Spark ran the job without code generation (a small run: glue_job.execution_mode). */
  interpreted?: boolean;
  /** The driver JVM's peak resident memory during the run, MiB (Linux VmHWM, reset when the run starts). */
  driver_peak_rss_mb?: number | null;
  timings?: Record<string, number>;
  elapsed_seconds?: number;
  /** The job's run metrics (contracts/metrics.json, source "glue"): what it publishes to CloudWatch on Glue. */
  metrics?: MetricPoint[];
}

export interface LocalTransformOptions {
  readonly warehouse: LocalWarehouse;
  readonly companyHosts?: string;
  readonly hashPii?: boolean;
  /** The share of an entity's records a run may quarantine (the job's --quarantine_threshold). Default 0.05. */
  readonly quarantineThreshold?: number;
  readonly onReport?: (r: TransformReport) => void;
}

const PYSPARK = join(ROOT, 'pyspark');
let shared: string | undefined;

/**
 * Test runs only: every TransformWorker of this process on this checkout's job sends its runs to the worker served
 * at `url` (test/helpers/transform-server.ts: one JVM for a whole vitest run, issue 13), instead of starting its
 * own JVM. `undefined`: each worker its own JVM again.
 */
export function useSharedWorker(url: string | undefined): void {
  shared = url;
}

/** One run on the shared worker: POST the argv, get the exit code. */
function runShared(url: string, argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        const answer = JSON.parse(body) as { code?: number; error?: string };
        if (res.statusCode === 200 && typeof answer.code === 'number') resolve(answer.code);
        else reject(new Error(answer.error ?? `the shared transform worker answered ${res.statusCode}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(argv));
  });
}

/**
 * The local Spark worker: one Python process (one JVM, warmed up once) serving every run of a command, one
 * JSON argv per line in, one JSON line per run out. Restarted if it dies.
 */
export class TransformWorker {
  /** `pysparkDir`: the job's code (default this checkout's pyspark/; the bench's --baseline runs another commit's). */
  constructor(private readonly pysparkDir: string = PYSPARK) {}

  private child: ChildProcessWithoutNullStreams | undefined;
  private lines: string[] = [];
  private waiters: ((line: string | null) => void)[] = [];
  private stderr = '';

  private start(): ChildProcessWithoutNullStreams {
    const python = pythonPath();
    const child = spawn(python, [join(this.pysparkDir, 'glue_job.py'), '--serve'], {
      cwd: this.pysparkDir,
      env: { ...process.env, PYSPARK_PYTHON: python, PYARROW_IGNORE_TIMEZONE: '1', PYTHONPATH: this.pysparkDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
    child.on('close', () => {
      this.child = undefined;
      for (const w of this.waiters.splice(0)) w(null);
    });
    this.child = child;
    return child;
  }

  /** Runs one job; resolves to its exit code (the report is in the file named by --report). */
  async run(argv: string[]): Promise<number> {
    if (shared && this.pysparkDir === PYSPARK) return runShared(shared, argv);
    const child = this.child ?? this.start();
    child.stdin.write(`${JSON.stringify(argv)}\n`);
    const line = this.lines.shift() ?? (await new Promise<string | null>((r) => this.waiters.push(r)));
    if (line === null) throw new Error(`the transform worker died: ${this.stderr.slice(-2000)}`);
    return (JSON.parse(line) as { code: number }).code;
  }

  async close(): Promise<void> {
    const c = this.child;
    if (!c) return;
    c.stdin.end();
    await new Promise((r) => c.once('close', r));
  }
}

export function localGlue(o: LocalTransformOptions & { readonly worker: TransformWorker }): GlueRunner {
  return async (args, { store, dataDir }) => {
    const runId = String(args['--run_id']);
    const tmp = mkdtempSync(join(tmpdir(), 'wistia-transform-'));
    const reportFile = join(tmp, 'report.json');
    const started = Date.now();
    const argv = [
      '--run_id',
      runId,
      '--ingest_date',
      String(args['--ingest_date']),
      '--bucket',
      String(args['--bucket'] ?? 'local'),
      '--warehouse',
      'postgres',
      '--dsn',
      o.warehouse.dsn,
      '--bronze_root',
      dataDirPaths(dataDir).store,
      '--tmp_dir',
      join(tmp, 'stage'),
      '--report',
      reportFile,
      '--company_hosts',
      o.companyHosts ?? 'example.com',
      '--hash_pii',
      o.hashPii ? 'true' : 'false',
      ...(o.quarantineThreshold !== undefined ? ['--quarantine_threshold', String(o.quarantineThreshold)] : []),
      ...(args['--bronze_runs'] ? ['--bronze_runs', String(args['--bronze_runs'])] : []),
    ];
    const code = await o.worker.run(argv);
    if (!existsSync(reportFile)) throw new Error(`the transform wrote no report (exit ${code})`);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as TransformReport;
    rmSync(tmp, { recursive: true, force: true });
    await putJson(store, runKey(runId, 'transform.json'), report);
    o.onReport?.(report);
    return {
      Id: `jr_local_${runId}`,
      JobName: 'wistia-transform',
      JobRunState: code === 0 && report.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
      ExecutionTime: Math.round((Date.now() - started) / 1000),
      ...(report.status === 'FAILED' ? { ErrorMessage: `${report.error}: ${report.message}` } : {}),
      Arguments: args,
    };
  };
}
