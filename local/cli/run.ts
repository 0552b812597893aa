// `wistia-pipeline run`: daily executions of the state machine, locally. With --simulate the simulator runs
// in-process and its clock advances a day before each run after the first (a week of production in minutes).
import { resolve } from 'node:path';
import { localStore, runPipeline, type ExecutionRecord, type HistoryEvent } from '../runner/run.ts';
import type { WistiaSimulator } from '../simulator/server.ts';
import type { TokenSource } from '#shared/wistia/token.ts';
import { readWatermarks } from '#shared/pipeline/watermarks.ts';
import type { ObjectStore } from '#shared/store/store.ts';

export interface DayResult {
  readonly day: string;
  readonly record: ExecutionRecord;
  readonly bronzeObjects: Record<string, number>;
  readonly apiRequests: number;
  /** Requests the API refused for the rate limit (simulator only). */
  readonly rateLimited: number | null;
}

export interface RunDaysOptions {
  readonly dataDir: string;
  readonly days: number;
  readonly sim?: WistiaSimulator;
  readonly apiBaseUrl: string;
  readonly token: TokenSource;
  readonly fullRefresh?: boolean;
  readonly accountRequestsPerMinute?: number;
  readonly out?: (line: string) => void;
}

async function countBronze(store: ObjectStore, runId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const entity of ['medias', 'events', 'media_stats', 'media_engagement', 'visitors']) {
    let n = 0;
    for await (const o of store.list(`bronze/${entity}/`)) if (o.key.includes(`/run=${runId}/`)) n++;
    out[entity] = n;
  }
  return out;
}

const TOP_STATES = new Set([
  'Plan the run',
  'Fetch event pages by window',
  'Plan engagement and visitors',
  'Fetch engagement per media',
  'Look up visitors by key',
  'Scan all visitors',
  'Transform and load the warehouse',
  'Commit watermarks',
]);

export async function runDays(o: RunDaysOptions): Promise<DayResult[]> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const dataDir = resolve(o.dataDir);
  const store = localStore(dataDir);
  const results: DayResult[] = [];
  for (let i = 0; i < o.days; i++) {
    if (o.sim && i > 0) o.sim.advance(1);
    const today = o.sim ? String((o.sim.state() as { today: string }).today) : new Date().toISOString().slice(0, 10);
    const before = o.sim?.getCounters();
    out(`day ${i + 1}/${o.days}: ${today}`);
    let lastState = '';
    const record = await runPipeline({
      dataDir,
      apiBaseUrl: o.apiBaseUrl,
      token: o.token,
      input: { today, ...(o.fullRefresh && i === 0 ? { fullRefresh: true } : {}) },
      ...(o.accountRequestsPerMinute ? { config: { accountRequestsPerMinute: o.accountRequestsPerMinute } } : {}),
      onEvent: (e: HistoryEvent) => {
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
    results.push({ day: today, record, bronzeObjects, apiRequests, rateLimited });
    const objs = Object.values(bronzeObjects).reduce((a, b) => a + b, 0);
    out(
      `  ${record.status === 'SUCCEEDED' ? '✔' : '✘'} ${record.name} ${record.status} in ${(record.durationMs / 1000).toFixed(1)} s: ${record.requests} requests (${((record.requests / record.durationMs) * 60_000).toFixed(0)}/min${rateLimited !== null ? `, ${rateLimited} rate-limited` : ''}), ${objs} bronze objects` +
        (record.error ? `\n    ${record.error}: ${String(record.cause).slice(0, 300)}` : ''),
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

export function printDaySummary(
  results: DayResult[],
  dataDir: string,
  out: (l: string) => void = (l) => process.stdout.write(`${l}\n`),
): void {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  out('');
  out('day         status     requests  events  stats  visitors  objects  duration');
  for (const r of results) {
    const b = r.bronzeObjects;
    const total = Object.values(b).reduce((a, x) => a + x, 0);
    out(
      `${r.day}  ${r.record.status.padEnd(9)} ${pad(r.record.requests, 9)} ${pad(b.events ?? 0, 7)} ${pad(b.media_stats ?? 0, 6)} ${pad(b.visitors ?? 0, 9)} ${pad(total, 8)} ${pad((r.record.durationMs / 1000).toFixed(1), 8)} s`,
    );
  }
  const d = resolve(dataDir);
  out('');
  out('Where to look:');
  out(`  bronze JSON          ${d}/store/bronze/<entity>/ingest_date=YYYY-MM-DD/run=<execution>/…`);
  out(`  execution history    ${d}/store/runs/<execution>/history.json (states, retries, map items)`);
  out(
    `  map results          ${d}/store/runs/<execution>/map-results/<map>/<map run>/manifest.json (SUCCEEDED / FAILED)`,
  );
  out(`  watermarks           ${d}/store/state/watermarks.json`);
}
