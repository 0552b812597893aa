// The operator's view of a data dir: its executions (most recent first) with their items, requests and rows
// loaded, the watermarks, and the warehouse's row counts. `wistia-pipeline status` prints it; `graph` and the
// dashboard find executions through the same functions.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getJson, type ObjectStore } from '#shared/store/store.ts';
import { runKey } from '#shared/pipeline/keys.ts';
import { readWatermarks, type Watermarks } from '#shared/pipeline/watermarks.ts';
import { checkExecutionName, executionFolders, UnknownExecutionError } from './catalog.ts';
import { localStore } from '../runner/run.ts';
import type { TransformReport } from '../transform.ts';
import { LocalWarehouse } from '../warehouse/postgres.ts';
import {
  averageDaily,
  loadPrices,
  projectMonth,
  roundUsd,
  type CostEstimate,
  type Prices,
  type Projection,
} from './cost.ts';
import { readHistory, type ExecutionHistory } from './history.ts';
import type { RunMetrics } from './run-metrics.ts';
import { pricing, summariseRun, type Pricing } from './run-summary.ts';
import { dataDirPaths } from '../data-dir.ts';

export { checkExecutionName, UnknownExecutionError } from './catalog.ts';
export type { ExecutionHistory } from './history.ts';

export interface MapSummary {
  readonly state: string;
  readonly label: string;
  readonly status: string;
  readonly items: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly aborted: number;
  readonly pending: number;
}

export interface ExecutionSummary {
  readonly id: string;
  /** SUCCEEDED | FAILED, or INCOMPLETE: a run folder without an execution record (still running, or killed). */
  readonly status: string;
  readonly startedAt: string | null;
  readonly stoppedAt: string | null;
  readonly durationMs: number | null;
  /** Over every map run of the execution. */
  readonly itemsSucceeded: number;
  readonly itemsFailed: number;
  readonly itemsAborted: number;
  readonly itemsPending: number;
  /** Wistia requests made by the run's handlers. */
  readonly requests: number | null;
  /** Warehouse rows the load changed (inserted + updated); null when the transform did not report. */
  readonly rowsLoaded: number | null;
  readonly rowsInserted: number | null;
  readonly rowsUpdated: number | null;
  readonly quarantined: number | null;
  /** Per entity, what its records became (issue 12): served = loaded + quarantined + deduplicated + skipped. */
  readonly records: NonNullable<TransformReport['bronze']> | null;
  /** What the transform's audit reported without failing (issue 17); null when the transform did not report. */
  readonly findings: NonNullable<TransformReport['findings']> | null;
  /** The transform's own status (SUCCEEDED | FAILED), null if it did not run. */
  readonly transform: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly maps: MapSummary[];
  /** The run's metrics (contracts/metrics.json through functions/shared/metrics.ts); absent from AWS listings. */
  readonly metrics?: RunMetrics | null;
  /** What the run would cost in AWS (local/ops/cost.ts), with --cost; null when it has no execution record. */
  readonly cost?: CostEstimate | null;
}

export type WarehouseStatus =
  | { readonly state: 'ok'; readonly dir: string }
  | { readonly state: 'none' | 'unavailable' | 'skipped'; readonly dir: string | null; readonly message: string };

/**
 * What `days` of runs would cost in AWS (status --cost --project DAYS): the data dir's oldest execution as the
 * backfill, once, then one run a day at the average of its later executions (local/ops/cost.ts projectMonth).
 */
export interface CostProjection extends Projection {
  /** The oldest execution (the backfill). */
  readonly firstRun: string;
  /** How many later executions the daily figure averages. */
  readonly dailyRuns: number;
  /** The same projection per cost line (component → USD over the days). */
  readonly byComponent: Record<string, number>;
}

/** The projection over every execution of a data dir that has a cost estimate (oldest first). */
export function projectCosts(executions: readonly ExecutionSummary[], days: number, runsPerDay = 1): CostProjection {
  const priced = executions
    .filter((x): x is ExecutionSummary & { cost: CostEstimate } => !!x.cost)
    .sort((a, b) => (time(a.startedAt) || 0) - (time(b.startedAt) || 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const first = priced[0];
  if (!first) throw new Error('no execution with a cost estimate to project from');
  const byComponent: Record<string, number> = {};
  for (const l of first.cost.lines) {
    const usd = (x: ExecutionSummary & { cost: CostEstimate }) =>
      x.cost.lines.filter((m) => m.component === l.component).reduce((s, m) => s + m.quantity * m.price, 0);
    byComponent[l.component] = projectMonth(usd(first), averageDaily(priced.map(usd)), runsPerDay, days).totalUsd;
  }
  const projection = projectMonth(
    first.cost.totalUsd,
    averageDaily(priced.map((x) => x.cost.totalUsd)),
    runsPerDay,
    days,
  );
  return {
    ...projection,
    dailyRunUsd: roundUsd(projection.dailyRunUsd),
    firstRun: first.id,
    dailyRuns: priced.length - 1,
    byComponent,
  };
}

export interface StatusReport {
  /** The local data dir; null with --aws. */
  readonly dataDir: string | null;
  /** The state machine whose executions these are (--aws); null locally. */
  readonly stateMachineArn: string | null;
  /** The most recent first, at most `limit`. */
  readonly executions: ExecutionSummary[];
  /** How many executions there are in all (null when AWS has more pages than were listed). */
  readonly totalExecutions: number | null;
  /** state/watermarks.json, null before the first committed run. */
  readonly watermarks: Watermarks | null;
  /** Rows per table of schema analytics, null when the warehouse could not be read (see `warehouse`). */
  readonly tables: Record<string, number> | null;
  readonly warehouse: WarehouseStatus;
  /** With --cost --project DAYS: the projection over every execution of the data dir. */
  readonly projection?: CostProjection;
}

function runsDir(dataDir: string): string {
  return dataDirPaths(dataDir).runs;
}

const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

/** Every execution of the data dir, the most recent first (by start; an incomplete one by its folder's time). */
export async function listExecutions(dataDir: string, o: { cost?: Prices } = {}): Promise<ExecutionSummary[]> {
  if (!existsSync(runsDir(dataDir))) return [];
  const store = localStore(resolve(dataDir));
  // one listing: the executions, and how many objects each run wrote (the cost's S3 PUTs)
  const folders = await executionFolders(store);
  const priced = o.cost ? pricing(o.cost) : undefined;
  const out = await Promise.all([...folders].map(([n, objects]) => summarise(dataDir, store, n, objects, priced)));
  return out.sort(
    (a, b) => (time(b.startedAt) || 0) - (time(a.startedAt) || 0) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

async function summarise(
  dataDir: string,
  store: ObjectStore,
  id: string,
  objects: number,
  priced?: Pricing,
): Promise<ExecutionSummary> {
  const { record, report, metrics, cost } = await summariseRun(store, id, {
    objects,
    ...(priced ? { pricing: priced } : {}),
  });
  const maps: MapSummary[] = (record?.mapRuns ?? []).map((m) => ({
    state: m.state,
    label: m.label,
    status: m.status,
    items: m.items,
    succeeded: m.counts.succeeded,
    failed: m.counts.failed,
    aborted: m.counts.aborted,
    pending: m.counts.pending,
  }));
  const sum = (k: 'succeeded' | 'failed' | 'aborted' | 'pending') => maps.reduce((a, m) => a + m[k], 0);
  const loaded = report?.loaded ? Object.values(report.loaded) : undefined;
  const inserted = loaded ? loaded.reduce((a, l) => a + l.inserted, 0) : null;
  const updated = loaded ? loaded.reduce((a, l) => a + l.updated, 0) : null;
  let startedAt = record?.startDate ?? null;
  if (!record) {
    // No record yet: the folder's first object tells when it started (approximately).
    const manifest = join(runsDir(dataDir), id, 'manifest.json');
    startedAt = statSync(existsSync(manifest) ? manifest : join(runsDir(dataDir), id)).mtime.toISOString();
  }
  return {
    id,
    status: record?.status ?? 'INCOMPLETE',
    startedAt,
    stoppedAt: record?.stopDate ?? null,
    durationMs: record?.durationMs ?? null,
    itemsSucceeded: sum('succeeded'),
    itemsFailed: sum('failed'),
    itemsAborted: sum('aborted'),
    itemsPending: sum('pending'),
    requests: record?.requests ?? null,
    rowsLoaded: inserted === null || updated === null ? null : inserted + updated,
    rowsInserted: inserted,
    rowsUpdated: updated,
    quarantined: report?.quarantined ?? null,
    records: report?.bronze ?? null,
    findings: report?.findings ?? null,
    transform: report?.status ?? null,
    error: record?.error ?? null,
    cause: record?.cause ?? null,
    maps,
    metrics,
    ...(cost !== undefined ? { cost } : {}),
  };
}

/** The name of an execution the data dir holds: `latest` is the most recent one. */
export async function resolveExecution(dataDir: string, execution: string): Promise<string> {
  const where = runsDir(dataDir);
  const known = async () => {
    const all = await listExecutions(dataDir);
    return all.length
      ? `; the latest: ${all
          .slice(0, 5)
          .map((e) => e.id)
          .join(', ')}`
      : ' (it holds no executions yet)';
  };
  if (execution === 'latest') {
    const all = await listExecutions(dataDir);
    if (!all[0]) throw new UnknownExecutionError(`no executions in ${where}: there is no latest one`);
    return all[0].id;
  }
  checkExecutionName(execution);
  if (!existsSync(join(where, execution)))
    throw new UnknownExecutionError(`no execution "${execution}" in ${where}${await known()}`);
  return execution;
}

/** The history of one execution (`latest` for the most recent), with its transform report if any. */
export async function readExecution(
  dataDir: string,
  execution: string,
): Promise<{ name: string; history: ExecutionHistory; transform: TransformReport | undefined }> {
  const name = await resolveExecution(dataDir, execution);
  const store = localStore(resolve(dataDir));
  const history = await readHistory(store, name);
  if (!history)
    throw new UnknownExecutionError(
      `execution "${name}" in ${runsDir(dataDir)} has no history yet: it is still running, or its process stopped before the end`,
    );
  const transform = (await getJson<TransformReport>(store, runKey(name, 'transform.json')))?.value;
  return { name, history, transform };
}

/** Row counts of every table of schema analytics; says why when there is no warehouse or it cannot start. */
export async function warehouseCounts(
  dataDir: string,
): Promise<{ tables: Record<string, number> | null; warehouse: WarehouseStatus }> {
  const wh = new LocalWarehouse(resolve(dataDir));
  if (!existsSync(join(wh.dir, 'PG_VERSION')))
    return {
      tables: null,
      warehouse: {
        state: 'none',
        dir: wh.dir,
        message: `no warehouse yet in ${wh.dir}: the first run that reaches the load creates it`,
      },
    };
  try {
    await wh.start();
  } catch (e) {
    return { tables: null, warehouse: { state: 'unavailable', dir: wh.dir, message: (e as Error).message } };
  }
  try {
    const names = (
      await wh.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'stg\\_%' ORDER BY table_name",
      )
    ).map((r) => r.table_name);
    const tables: Record<string, number> = {};
    if (names.length) {
      const sql = names
        .map((n, i) => `SELECT ${i} AS i, COUNT(*)::bigint AS n FROM analytics."${n.replace(/"/g, '""')}"`)
        .join(' UNION ALL ');
      const rows = await wh.query<{ i: number; n: number }>(sql);
      for (const r of rows.sort((a, b) => a.i - b.i)) tables[names[r.i] as string] = Number(r.n);
    }
    return { tables, warehouse: { state: 'ok', dir: wh.dir } };
  } catch (e) {
    return {
      tables: null,
      warehouse: { state: 'unavailable', dir: wh.dir, message: `could not count rows: ${(e as Error).message}` },
    };
  } finally {
    await wh.stop();
  }
}

export interface StatusOptions {
  readonly dataDir: string;
  /** How many executions to list (the most recent). Default 10. */
  readonly limit?: number;
  /** Count the warehouse's rows (starts the local warehouse). Default true. */
  readonly warehouse?: boolean;
  /** Estimate each listed execution's AWS cost (config/prices.json). Default false. */
  readonly cost?: boolean;
  /** The prices file (default config/prices.json). */
  readonly pricesFile?: string;
  /** With cost: project this many days (projectCosts). */
  readonly projectDays?: number;
}

/** Everything `wistia-pipeline status` shows, as one object. */
export async function gatherStatus(o: StatusOptions): Promise<StatusReport> {
  const dataDir = resolve(o.dataDir);
  const all = await listExecutions(dataDir, o.cost ? { cost: loadPrices(o.pricesFile) } : {});
  const watermarks = (await readWatermarks(localStore(dataDir))).value ?? null;
  const wh =
    o.warehouse === false
      ? {
          tables: null,
          warehouse: {
            state: 'skipped' as const,
            dir: dataDirPaths(dataDir).pg,
            message: 'not asked for',
          },
        }
      : await warehouseCounts(dataDir);
  return {
    dataDir,
    stateMachineArn: null,
    executions: all.slice(0, o.limit ?? 10),
    totalExecutions: all.length,
    watermarks,
    tables: wh.tables,
    warehouse: wh.warehouse,
    ...(o.cost && o.projectDays !== undefined && all.some((x) => x.cost)
      ? { projection: projectCosts(all, o.projectDays) }
      : {}),
  };
}
