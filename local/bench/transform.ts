// Transform + load benchmark: lands a simulated account's bronze directly from the simulator's world (no HTTP,
// the same object layout a run writes), then times the Glue job entry (Spark, in a fresh JVM per size) and the
// PostgreSQL load. Used by `wistia-pipeline bench`; alone: tsx local/bench/transform.ts [events…]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { World } from '../simulator/world.ts';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { bronzeKey } from '#shared/pipeline/keys.ts';
import { localGlue, ROOT, TransformWorker, type TransformReport } from '../transform.ts';
import { LocalWarehouse } from '../warehouse/postgres.ts';
import { dataDirPaths } from '../data-dir.ts';

const RUN = 'bench-run';
const TODAY = '2026-11-20';

export async function land(world: World, store: FileObjectStore): Promise<{ events: number; objects: number }> {
  let objects = 0;
  const put = async (
    entity: Parameters<typeof bronzeKey>[0],
    scopeKey: string,
    scope: object,
    page: number,
    records: unknown[],
  ) => {
    const request = {
      endpoint: 'bench',
      url: 'bench',
      params: {},
      status: 200,
      attempts: 1,
      fetchedAt: `${TODAY}T06:00:00.000Z`,
      durationMs: 0,
    };
    await store.put(
      bronzeKey(entity, TODAY, RUN, scopeKey, page),
      JSON.stringify({
        entity,
        runId: RUN,
        ingestDate: TODAY,
        scope,
        request,
        page,
        fetchedAt: request.fetchedAt,
        count: records.length,
        drift: [],
        records,
      }),
    );
    objects++;
  };
  const medias = world.visibleMedias();
  for (let i = 0; i < medias.length; i += 100)
    await put(
      'medias',
      'all',
      {},
      i / 100 + 1,
      medias.slice(i, i + 100).map((m) => world.renderMedia(m)),
    );
  const n = world.visibleEvents();
  for (let e = n - 1, page = 1; e >= 0; e -= 100, page++) {
    const recs = [];
    for (let k = e; k > e - 100 && k >= 0; k--) recs.push(world.renderEvent(k));
    await put('events', 'window=all', {}, page, recs);
  }
  const v = world.visibleVisitors();
  for (let i = 0, page = 1; i < v; i += 100, page++) {
    const recs = [];
    for (let k = i; k < Math.min(v, i + 100); k++) recs.push(world.renderVisitor(k));
    await put('visitors', 'scan', { scan: true }, page, recs);
  }
  const start = world.today - (world.opts.historyDays ?? 365);
  for (const m of medias) {
    await put('media_stats', `media=${m.hashedId}`, { media: m.hashedId }, 1, world.mediaByDate(m, start, world.today));
    await put('media_engagement', `media=${m.hashedId}`, { media: m.hashedId }, 1, [world.mediaEngagement(m)]);
  }
  return { events: n, objects };
}

export interface TransformMeasure {
  /** Events asked for, and what the account landed. */
  readonly target: number;
  readonly events: number;
  readonly medias: number;
  readonly visitors: number;
  readonly bronzeObjects: number;
  readonly status: string;
  readonly error?: string;
  /** The whole job (a fresh JVM's start included), its Spark phases (read + validate, quality gate, star
   * transforms) and the load into PostgreSQL, in seconds. */
  readonly jobSeconds: number;
  readonly sparkSeconds: number;
  readonly loadSeconds: number;
  /** Warehouse rows written (inserted + updated, all tables). */
  readonly rowsLoaded: number;
  readonly eventsPerSecond: number;
  readonly sparkEventsPerSecond: number;
  readonly loadRowsPerSecond: number;
  /** spark.driver.memory of the job (local mode: the whole job runs in the driver). */
  readonly driverMemory?: string;
  /** The driver JVM's peak resident memory during the (last) run, MiB (local mode: the whole job). */
  readonly driverPeakRssMb?: number;
  /** Which code ran: "current", or the --baseline commit (the same account, measured in the same bench run). */
  readonly code?: string;
  /** "warm day": a daily run's size on a worker that has run it before (benchWarmDay); absent: a whole account. */
  readonly kind?: 'warm day';
  /** warm day: each run's job seconds in one JVM, the first (cold) included. */
  readonly runs?: number[];
}

/** The job's code of another commit (pyspark/ and the sql/ its loader reads), for a before/after in one run. */
export function baselineCode(ref: string): { dir: string; label: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wistia-baseline-'));
  const label = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  const tar = execFileSync('git', ['archive', '--format=tar', ref, 'pyspark', 'sql'], {
    cwd: ROOT,
    maxBuffer: 1 << 28,
  });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  return { dir: join(dir, 'pyspark'), label };
}

/**
 * The Spark driver's memory for the bench (WISTIA_SPARK_DRIVER_MEMORY overrides): local mode runs the whole job in
 * the driver, and the local default (2g, for tests and the demo) is too small for a million events; a Glue G.1X
 * worker has 16 GB.
 */
export const BENCH_DRIVER_MEMORY = '4g';

/** A report's Spark phases (read + validate, quality gate, star transforms) in seconds. */
function sparkSecondsOf(r: TransformReport | undefined): number {
  const t = r?.timings ?? {};
  return (t.read_validate ?? 0) + (t.quality_gate ?? 0) + (t.transform ?? 0);
}

/** Warehouse rows a report's load wrote (inserted + updated, all tables). */
function rowsLoadedOf(r: TransformReport | undefined): number {
  return Object.values(r?.loaded ?? {}).reduce((a, x) => a + x.inserted + x.updated, 0);
}

/** The code that ran, and for a warm day its runs' seconds (`sep` between them). */
export function codeLabel(m: TransformMeasure, sep: string): string {
  const code = m.code ?? 'current';
  return m.kind ? `${code}, ${m.kind} (runs ${(m.runs ?? []).map((r) => r.toFixed(1)).join(sep)} s)` : code;
}

/** Lands `world`'s bronze in a temporary data dir with a warehouse and a worker (`code`'s job), runs `f`, cleans up. */
async function withLanded<T>(
  world: World,
  code: { dir: string; label: string } | undefined,
  f: (x: {
    landed: { events: number; objects: number };
    glue: (onReport: (r: TransformReport) => void) => ReturnType<typeof localGlue>;
    store: FileObjectStore;
    dir: string;
  }) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'wistia-bench-'));
  const store = new FileObjectStore(dataDirPaths(dir).store, 'local');
  const worker = new TransformWorker(code?.dir);
  let wh: LocalWarehouse | undefined;
  try {
    const landed = await land(world, store);
    const warehouse = (wh = await new LocalWarehouse(dir).start());
    return await f({ landed, glue: (onReport) => localGlue({ warehouse, worker, onReport }), store, dir });
  } finally {
    await worker.close();
    await wh?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lands an account of about `target` events and times one transform + load of it (`code`: another commit's job). */
export async function benchTransform(target: number, code?: { dir: string; label: string }): Promise<TransformMeasure> {
  process.env.WISTIA_SPARK_DRIVER_MEMORY ||= BENCH_DRIVER_MEMORY;
  const medias = Math.max(50, Math.round(target / 92));
  const world = new World({ seed: 5, medias, today: TODAY, historyDays: 365, eventsPerMediaPerDay: 0.55 });
  return withLanded(world, code, async ({ landed, glue, store, dir }) => {
    let report: TransformReport | undefined;
    const t1 = Date.now();
    const run = await glue((r) => (report = r))(
      { '--run_id': RUN, '--ingest_date': TODAY, '--bucket': 'local' },
      { store, dataDir: dir },
    );
    const jobSeconds = (Date.now() - t1) / 1000;
    const r = report as TransformReport | undefined;
    const sparkSeconds = sparkSecondsOf(r);
    const loadSeconds = r?.timings?.load ?? 0;
    const rowsLoaded = rowsLoadedOf(r);
    const failed = run.JobRunState !== 'SUCCEEDED';
    return {
      target,
      events: landed.events,
      medias,
      visitors: world.visibleVisitors(),
      bronzeObjects: landed.objects,
      status: run.JobRunState,
      ...(failed ? { error: `${report?.error ?? 'no report'}: ${report?.message ?? ''}` } : {}),
      jobSeconds,
      sparkSeconds,
      loadSeconds,
      rowsLoaded,
      eventsPerSecond: landed.events / jobSeconds,
      sparkEventsPerSecond: sparkSeconds > 0 ? landed.events / sparkSeconds : 0,
      loadRowsPerSecond: loadSeconds > 0 ? rowsLoaded / loadSeconds : 0,
      driverMemory: process.env.WISTIA_SPARK_DRIVER_MEMORY,
      driverPeakRssMb: r?.driver_peak_rss_mb ?? undefined,
      code: code?.label ?? 'current',
    };
  });
}

/** The warm day's account: about a daily run's rows (issue 13's "warm incremental day, ~100-200 rows"). */
const WARM_DAY = { seed: 5, medias: 10, today: TODAY, historyDays: 2, eventsPerMediaPerDay: 5 } as const;
const WARM_RUNS = 3;

/**
 * A daily run's size through one warm worker (the local runner keeps one JVM per command): the same bronze
 * transformed and loaded WARM_RUNS times in one JVM; job s = the last run (the runs after the first load nothing
 * new: the guarded MERGE leaves every row as it is), rows loaded = the first run's.
 */
export async function benchWarmDay(code?: { dir: string; label: string }): Promise<TransformMeasure> {
  const world = new World(WARM_DAY);
  return withLanded(world, code, async ({ landed, glue, store, dir }) => {
    const reports: TransformReport[] = [];
    const runs: number[] = [];
    const job = glue((r) => reports.push(r));
    let state = 'SUCCEEDED';
    for (let i = 0; i < WARM_RUNS && state === 'SUCCEEDED'; i++) {
      const t1 = Date.now();
      const run = await job({ '--run_id': RUN, '--ingest_date': TODAY, '--bucket': 'local' }, { store, dataDir: dir });
      runs.push((Date.now() - t1) / 1000);
      state = run.JobRunState;
    }
    const last = reports.at(-1);
    const sparkSeconds = sparkSecondsOf(last);
    const rowsLoaded = rowsLoadedOf(reports[0]);
    const jobSeconds = runs.at(-1) ?? 0;
    return {
      target: landed.events,
      events: landed.events,
      medias: WARM_DAY.medias,
      visitors: world.visibleVisitors(),
      bronzeObjects: landed.objects,
      status: state,
      ...(state !== 'SUCCEEDED' ? { error: `${last?.error ?? 'no report'}: ${last?.message ?? ''}` } : {}),
      jobSeconds,
      sparkSeconds,
      loadSeconds: last?.timings?.load ?? 0,
      rowsLoaded,
      eventsPerSecond: jobSeconds > 0 ? landed.events / jobSeconds : 0,
      sparkEventsPerSecond: sparkSeconds > 0 ? landed.events / sparkSeconds : 0,
      loadRowsPerSecond: 0,
      driverMemory: process.env.WISTIA_SPARK_DRIVER_MEMORY,
      driverPeakRssMb: last?.driver_peak_rss_mb ?? undefined,
      code: code?.label ?? 'current',
      kind: 'warm day',
      runs,
    };
  });
}

export function transformLine(m: TransformMeasure): string {
  return (
    `${codeLabel(m, ', ').padEnd(8)} ${String(m.events).padStart(9)} events  ${String(m.medias).padStart(6)} medias  ${String(m.bronzeObjects).padStart(7)} objects  ` +
    `${m.status}  job ${m.jobSeconds.toFixed(1)} s (spark ${m.sparkSeconds.toFixed(1)} s, load ${m.loadSeconds.toFixed(1)} s, ` +
    `${m.rowsLoaded} rows)  ${m.eventsPerSecond.toFixed(0)} events/s` +
    (m.driverPeakRssMb !== undefined ? `  driver peak RSS ${m.driverPeakRssMb.toFixed(0)} MB` : '') +
    (m.error ? `\n  ${m.error}` : '')
  );
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['10000', '100000']).map(Number);
  for (const target of sizes) process.stdout.write(`${transformLine(await benchTransform(target))}\n`);
}
