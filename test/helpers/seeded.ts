// A seeded account run through the whole local pipeline once (ingest -> Spark -> PostgreSQL) and shared by the
// tests that only read it (dashboard, saved queries, graph, status). Built at most once per source tree: the
// first caller builds it under a lock in the temp dir, the others wait; each caller gets its own copy of the
// data dir (a PostgreSQL data dir serves one server at a time).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDays, type DayResult } from '#local/cli/run.ts';
import { startSimulator } from '#local/simulator/server.ts';
import { ROOT, TOKEN } from './sim.ts';
import { tempDir } from './pipeline.ts';

/** The seeded account: the simulator's options and the days run. */
export const SEEDED = {
  seed: 42,
  medias: 40,
  today: '2026-11-18',
  historyDays: 60,
  eventsPerMediaPerDay: 0.5,
  days: 3,
} as const;

export interface Seeded {
  /** A private copy of the data dir (store + warehouse): start `new LocalWarehouse(dataDir)` on it. */
  readonly dataDir: string;
  /** The executions, day by day. */
  readonly days: { day: string; execution: string; status: string }[];
}

function sourceHash(): string {
  const h = createHash('sha256').update(JSON.stringify(SEEDED));
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '__pycache__' || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(p).update(readFileSync(p));
    }
  };
  // What the pipeline's result depends on (not the operator tools around it).
  for (const d of ['functions', 'local/runner', 'local/simulator', 'local/warehouse', 'statemachine', 'sql/ddl'])
    walk(join(ROOT, d));
  walk(join(ROOT, 'pyspark', 'wistia_pipeline'));
  for (const f of ['pyspark/glue_job.py', 'local/transform.ts', 'local/cli/run.ts'])
    h.update(readFileSync(join(ROOT, f)));
  return h.digest('hex').slice(0, 16);
}

async function build(dir: string): Promise<void> {
  const sim = await startSimulator({
    seed: SEEDED.seed,
    medias: SEEDED.medias,
    today: SEEDED.today,
    historyDays: SEEDED.historyDays,
    eventsPerMediaPerDay: SEEDED.eventsPerMediaPerDay,
    token: TOKEN,
    rateLimitPerMinute: 0,
  });
  try {
    const results: DayResult[] = await runDays({
      dataDir: dir,
      days: SEEDED.days,
      sim,
      apiBaseUrl: sim.baseUrl,
      token: async () => TOKEN,
      accountRequestsPerMinute: 60_000,
      out: () => undefined,
    });
    const failed = results.find((r) => r.record.status !== 'SUCCEEDED');
    if (failed || results.length !== SEEDED.days)
      throw new Error(`the seeded account's run failed: ${failed?.record.error}: ${failed?.record.cause}`);
    writeFileSync(
      join(dir, 'seeded.json'),
      JSON.stringify(results.map((r) => ({ day: r.day, execution: r.record.name, status: r.record.status }))),
    );
  } finally {
    await sim.close();
  }
}

let cached: Promise<string> | undefined;

/** Builds (or waits for) the shared seeded data dir; returns its path. Read-only: use seededCopy(). */
function ensureBuilt(): Promise<string> {
  cached ??= (async () => {
    const base = join(tmpdir(), `wp-seeded-${sourceHash()}`);
    const done = join(base, 'seeded.json');
    const lock = `${base}.lock`;
    const deadline = Date.now() + 20 * 60_000;
    while (!existsSync(done)) {
      try {
        mkdirSync(lock);
      } catch {
        // Somebody else builds it; a lock older than the deadline is from a dead build.
        if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 20 * 60_000)
          rmSync(lock, { recursive: true, force: true });
        if (Date.now() > deadline) throw new Error(`timed out waiting for the seeded account (${lock})`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      try {
        rmSync(base, { recursive: true, force: true });
        await build(base);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
    return base;
  })();
  return cached;
}

/** A private copy of the seeded account's data dir (store, warehouse, executions). */
export async function seededCopy(prefix = 'wp-seeded-copy-'): Promise<Seeded> {
  const base = await ensureBuilt();
  const dataDir = tempDir(prefix);
  execFileSync('cp', ['-a', `${base}/.`, dataDir]); // -a keeps the PostgreSQL files' owner and modes
  rmSync(join(dataDir, 'warehouse', 'pg', 'postmaster.pid'), { force: true });
  return { dataDir, days: JSON.parse(readFileSync(join(base, 'seeded.json'), 'utf8')) as Seeded['days'] };
}
