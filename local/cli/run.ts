// `wistia-pipeline run`: daily executions of the state machine, locally. With --simulate the simulator runs
// in-process and its clock advances a day before each run after the first (a week of production in minutes).
import { resolve } from 'node:path';
import { localStore, runPipeline, type ExecutionRecord, type HistoryEvent } from '../runner/run.ts';
import { workStates } from '../runner/asl.ts';
import { gatherStatus } from '../ops/status.ts';
import type { WistiaSimulator } from '../simulator/server.ts';
import type { TokenSource } from '#shared/wistia/token.ts';
import { readWatermarks } from '#shared/pipeline/watermarks.ts';
import type { ObjectStore } from '#shared/store/store.ts';
import { LocalWarehouse } from '../warehouse/postgres.ts';
import { localGlue, TransformWorker, type TransformReport } from '../transform.ts';

export interface DayResult {
  readonly day: string;
  readonly record: ExecutionRecord;
  readonly bronzeObjects: Record<string, number>;
  readonly apiRequests: number;
  /** Requests the API refused for the rate limit (simulator only). */
  readonly rateLimited: number | null;
  /** What the transform and load did (absent when the run failed before it). */
  readonly transform: TransformReport | undefined;
  /** Seconds spent ingesting (the state machine up to the Glue step) and in the Glue step. */
  readonly ingestSeconds: number;
  readonly transformSeconds: number;
}

export interface RunDaysOptions {
  readonly dataDir: string;
  readonly days: number;
  readonly sim?: WistiaSimulator;
  readonly apiBaseUrl: string;
  readonly token: TokenSource;
  readonly fullRefresh?: boolean;
  readonly accountRequestsPerMinute?: number;
  readonly companyHosts?: string;
  readonly hashPii?: boolean;
  /** The share of an entity's records a run may quarantine before the gate fails it. Default 0.05. */
  readonly quarantineThreshold?: number;
  /** The day of a run without a simulator (YYYY-MM-DD); default: today's UTC date. */
  readonly today?: string;
  readonly out?: (line: string) => void;
  /** Draw a progress bar of each map's items on stderr (a terminal only). Default: when stderr is a TTY. */
  readonly progress?: boolean;
  /** A Spark worker to run the transforms on, left running (a test's, shared by its runs); default: a new one. */
  readonly worker?: TransformWorker;
}

/** A one-line progress bar on a terminal, redrawn in place; nothing otherwise (the state lines suffice). */
export function progressBar(enabled: boolean): {
  item(label: string, done: number, total: number, failed: number): void;
  end(): void;
} {
  let shown = false;
  let last = 0;
  return {
    item(label, done, total, failed) {
      if (!enabled || total === 0) return;
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      const width = 30;
      const fill = Math.round((done / total) * width);
      process.stderr.write(
        `\r    ${label.padEnd(16)} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}${failed ? `, ${failed} failed` : ''}   `,
      );
      shown = true;
    },
    end() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

async function countBronze(store: ObjectStore, runId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const entity of [
    'medias',
    'events',
    'media_stats',
    'media_engagement',
    'visitors',
    'projects',
    'account_stats',
    'media_lifetime',
  ]) {
    let n = 0;
    for await (const o of store.list(`bronze/${entity}/`)) if (o.key.includes(`/run=${runId}/`)) n++;
    out[entity] = n;
  }
  return out;
}

/** The states a progress line is printed for: the ASL's top-level Tasks and Maps. */
const TOP_STATES = new Set(workStates());

export async function runDays(o: RunDaysOptions): Promise<DayResult[]> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const dataDir = resolve(o.dataDir);
  const store = localStore(dataDir);
  const results: DayResult[] = [];
  const warehouse = await new LocalWarehouse(dataDir).start();
  const worker = o.worker ?? new TransformWorker();
  try {
    return await runEachDay(o, dataDir, store, warehouse, worker, results, out);
  } finally {
    if (!o.worker) await worker.close();
    await warehouse.stop();
  }
}

async function runEachDay(
  o: RunDaysOptions,
  dataDir: string,
  store: ObjectStore,
  warehouse: LocalWarehouse,
  worker: TransformWorker,
  results: DayResult[],
  out: (line: string) => void,
): Promise<DayResult[]> {
  for (let i = 0; i < o.days; i++) {
    if (o.sim && i > 0) o.sim.advance(1);
    const today = o.sim
      ? String((o.sim.state() as { today: string }).today)
      : (o.today ?? new Date().toISOString().slice(0, 10));
    const before = o.sim?.getCounters();
    out(`day ${i + 1}/${o.days}: ${today}`);
    let lastState = '';
    const bar = progressBar(o.progress ?? process.stderr.isTTY === true);
    const itemCounts = new Map<string, { done: number; failed: number }>();
    let transform: TransformReport | undefined;
    let glueStarted = 0;
    let glueEnded = 0;
    const glue = localGlue({
      warehouse,
      worker,
      companyHosts: o.companyHosts,
      hashPii: o.hashPii,
      quarantineThreshold: o.quarantineThreshold,
      onReport: (r) => (transform = r),
    });
    const record = await runPipeline({
      glue: async (args, ctx) => {
        glueStarted = Date.now();
        try {
          return await glue(args, ctx);
        } finally {
          glueEnded = Date.now();
        }
      },
      dataDir,
      apiBaseUrl: o.apiBaseUrl,
      token: o.token,
      input: { today, ...(o.fullRefresh && i === 0 ? { fullRefresh: true } : {}) },
      ...(o.accountRequestsPerMinute ? { config: { accountRequestsPerMinute: o.accountRequestsPerMinute } } : {}),
      onEvent: (e: HistoryEvent) => {
        if (e.type === 'MapItemSucceeded' || e.type === 'MapItemFailed') {
          const c = itemCounts.get(String(e.state)) ?? { done: 0, failed: 0 };
          c.done++;
          if (e.type === 'MapItemFailed') c.failed++;
          itemCounts.set(String(e.state), c);
          bar.item(String(e.state).replace(/^Fetch /, ''), c.done, Number(e.detail?.total ?? 0), c.failed);
          return;
        }
        if (e.type === 'MapRunSucceeded' || e.type === 'MapRunFailed') bar.end();
        if (e.type === 'StateEntered' && e.state && TOP_STATES.has(e.state) && e.state !== lastState) {
          lastState = e.state;
          out(`  ▸ ${e.state}`);
        } else if (e.type === 'MapRunSucceeded' || e.type === 'MapRunFailed') {
          const c = e.detail?.counts as { succeeded: number; failed: number } | undefined;
          out(`    ${String(e.detail?.label)}: ${c?.succeeded ?? 0} items succeeded, ${c?.failed ?? 0} failed`);
        }
      },
    });
    const bronzeObjects = await countBronze(store, record.name);
    const after = o.sim?.getCounters();
    const apiRequests = after && before ? after.total - before.total : record.requests;
    const limited = (c: typeof after) => (c?.byStatus['429'] ?? 0) + (c?.byStatus['503'] ?? 0);
    const rateLimited = after && before ? limited(after) - limited(before) : null;
    const transformSeconds = glueStarted ? (glueEnded - glueStarted) / 1000 : 0;
    results.push({
      day: today,
      record,
      bronzeObjects,
      apiRequests,
      rateLimited,
      transform,
      ingestSeconds: glueStarted ? (glueStarted - Date.parse(record.startDate)) / 1000 : record.durationMs / 1000,
      transformSeconds,
    });
    if (transform) {
      const l = transform.loaded ?? {};
      const ins = Object.values(l).reduce((a, x) => a + x.inserted, 0);
      const upd = Object.values(l).reduce((a, x) => a + x.updated, 0);
      out(
        transform.status === 'SUCCEEDED'
          ? `    transform + load: ${ins} rows inserted, ${upd} updated, ${transform.quarantined ?? 0} quarantined, ${transform.drift?.length ?? 0} drift findings in ${transformSeconds.toFixed(1)} s`
          : `    transform + load FAILED: ${transform.error}: ${transform.message}`,
      );
    }
    const objs = Object.values(bronzeObjects).reduce((a, b) => a + b, 0);
    out(
      `  ${record.status === 'SUCCEEDED' ? '✔' : '✘'} ${record.name} ${record.status} in ${(record.durationMs / 1000).toFixed(1)} s: ${record.requests} requests (${((record.requests / record.durationMs) * 60_000).toFixed(0)}/min${rateLimited !== null ? `, ${rateLimited} rate-limited` : ''}), ${objs} bronze objects` +
        (record.error ? `\n    ${record.error}: ${String(record.cause).slice(0, 300)}${itemFailures(record)}` : ''),
    );
    if (record.status !== 'SUCCEEDED') break;
  }
  const wm = (await readWatermarks(store)).value;
  if (wm)
    out(
      `watermarks: events through ${wm.events?.throughDay}, medias updated through ${wm.medias?.maxUpdated ?? '-'}, carried over ${wm.carryOver?.medias.length ?? 0} medias / ${wm.carryOver?.visitors.length ?? 0} visitors`,
    );
  return results;
}

/**
 * What made a failed map fail: its items' errors (a map's own error, States.ExceedToleratedFailureThreshold,
 * names none), e.g. "EventWindows: 2 items failed with WistiaAuthError: GET /stats/events: 401 …".
 */
function itemFailures(record: ExecutionRecord): string {
  const lines: string[] = [];
  for (const m of record.mapRuns) {
    if (m.status !== 'FAILED') continue;
    const byError = new Map<string, { n: number; message: string }>();
    for (const f of m.failedItems) {
      if (!f.error || f.error === 'States.Aborted') continue;
      let message = f.cause ?? '';
      try {
        message = (JSON.parse(message) as { errorMessage?: string }).errorMessage ?? message;
      } catch {
        // a plain-text cause
      }
      const e = byError.get(f.error) ?? { n: 0, message };
      e.n++;
      byError.set(f.error, e);
    }
    for (const [error, { n, message }] of byError)
      lines.push(`\n    ${m.label}: ${n} item${n === 1 ? '' : 's'} failed with ${error}: ${message.slice(0, 300)}`);
  }
  return lines.join('');
}

export function printDaySummary(
  results: DayResult[],
  dataDir: string,
  out: (l: string) => void = (l) => process.stdout.write(`${l}\n`),
): void {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  out('');
  out('day         status     requests  items  bronze  inserted  updated  quarantined  ingest s  spark+load s');
  for (const r of results) {
    const objs = Object.values(r.bronzeObjects).reduce((a, x) => a + x, 0);
    const items = r.record.mapRuns.reduce((a, m) => a + m.items, 0);
    const l = r.transform?.loaded ?? {};
    const ins = Object.values(l).reduce((a, x) => a + x.inserted, 0);
    const upd = Object.values(l).reduce((a, x) => a + x.updated, 0);
    out(
      `${r.day}  ${r.record.status.padEnd(9)} ${pad(r.record.requests, 9)} ${pad(items, 6)} ${pad(objs, 7)} ${pad(ins, 9)} ${pad(upd, 8)} ${pad(r.transform?.quarantined ?? 0, 12)} ${pad(r.ingestSeconds.toFixed(1), 9)} ${pad(r.transformSeconds.toFixed(1), 13)}`,
    );
  }
  const d = resolve(dataDir);
  out('');
  out('Where to look:');
  out(
    `  the warehouse        npx wistia-pipeline sql --data-dir ${d} "SELECT channel, COUNT(*) FROM analytics.fct_viewing_event GROUP BY 1"`,
  );
  out(
    `  tables               analytics.dim_project, dim_media, dim_visitor, dim_date, fct_viewing_event, fct_media_engagement,`,
  );
  out(`                       media_engagement_curve, fct_account_daily, fct_media_snapshot;`);
  out(`                       audit: analytics.quarantine, schema_drift, load_audit, record_audit`);
  out(`  bronze JSON          ${d}/store/bronze/<entity>/ingest_date=YYYY-MM-DD/run=<execution>/…`);
  out(
    `  execution history    ${d}/store/runs/<execution>/history.jsonl (states, retries, map items), transform.json (the load)`,
  );
  out(
    `  map results          ${d}/store/runs/<execution>/map-results/<map>/<map run>/manifest.json (SUCCEEDED / FAILED)`,
  );
  out(`  watermarks           ${d}/store/state/watermarks.json`);
  out(`  run metrics, cost    npx wistia-pipeline status --cost --project 30 --data-dir ${d}`);
  out(`  pipeline health      npx wistia-pipeline dashboard --data-dir ${d}  (section "Pipeline health")`);
}

/**
 * What the runs of a data dir would cost in AWS (local/ops/cost.ts, config/prices.json), one line, and over 30
 * days: the first run as the backfill, the others' average daily. Nothing when no run can be priced.
 */
export async function printCostSummary(
  dataDir: string,
  out: (l: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<void> {
  const r = await gatherStatus({ dataDir, warehouse: false, cost: true, projectDays: 30, limit: 1000 });
  const priced = r.executions.filter((x) => x.cost);
  const p = r.projection;
  if (!priced.length || !p) return;
  const total = priced.reduce((s, x) => s + x.cost!.totalUsd, 0);
  const c = priced[0]!.cost!;
  out('');
  out(
    `In AWS (an estimate at ${c.region} list prices checked ${c.pricesChecked}): the data dir's ${priced.length} runs $${total.toFixed(4)}; 30 days like them (the first as the backfill, then one a day) $${p.totalUsd.toFixed(2)} (status --cost --project 30)`,
  );
}
