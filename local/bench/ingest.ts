// Ingestion benchmarks against the simulator's rate limit: for one account size and limit, a full pull by the
// pipeline (the local state machine with a no-op transform), an incremental day on which a share of the medias
// changed, and the naive sequential extractor over the same data. Each measured run is a child process (its
// peak memory is its own maxRSS); the simulator runs here, a fresh one per run (its limiter and counters start
// clean), and its counters are the request counts reported. The world is deterministic: a fresh simulator
// advanced a day is the same account as the one the full pull read, a day later.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getJson } from '#shared/store/store.ts';
import { DEFAULT_CONFIG } from '#shared/pipeline/config.ts';
import { backfillWindows, incrementalWindows, type Window } from '#shared/pipeline/windows.ts';
import { localStore } from '../runner/run.ts';
import {
  startSimulator,
  type Counters,
  type RequestLogEntry,
  type SimulatorOptions,
  type WistiaSimulator,
} from '../simulator/server.ts';
import { minimumRequests, type Minimum, type PreviousView } from './minimum.ts';
import type { ChildResult, ChildSpec, MapRunSummary } from './child.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Node 22, as the Lambdas run: this process's when it is, else the one the `node` dev dependency brings. */
function node22(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const bundled = join(ROOT, 'node_modules', 'node', 'bin', 'node');
  return existsSync(bundled) ? bundled : process.execPath;
}

export interface AccountShape {
  readonly seed: number;
  readonly medias: number;
  /** The first "today" (YYYY-MM-DD). */
  readonly today: string;
  readonly historyDays: number;
  readonly eventsPerMediaPerDay: number;
}

export interface IngestScenario extends AccountShape {
  /** The simulator's limit (requests per rolling minute); 0 = none. */
  readonly rateLimitPerMinute: number;
  /** The pipeline's account budget (requests per minute). */
  readonly budgetPerMinute: number;
  readonly latencyMs: number;
  /** Share of medias that change on the incremental day. */
  readonly changedShare: number;
  readonly naive: boolean;
  readonly incremental: boolean;
}

/** One measured run, with the figures the report shows. */
export interface RunMeasure {
  readonly status: string;
  readonly error?: string;
  /** Requests the simulator answered, all statuses. */
  readonly requests: number;
  /** Requests the run's own clients counted (a cross-check of the simulator's count). */
  readonly clientRequests: number;
  readonly byStatus: Record<string, number>;
  /** 429s (and legacy 503s) received. */
  readonly rateLimited: number;
  readonly rateLimitedShare: number;
  readonly wallSeconds: number;
  /** Requests the API accepted per minute of wall time, and that over the limit (null without a limit). */
  readonly acceptedPerMinute: number;
  readonly utilization: number | null;
  /**
   * From the run's first request to its last (the simulator's clock): where the run was making requests, and the
   * accepted rate over that span / the limit. The gap to `utilization` is time spent before the first request
   * and after the last one (startup, planning, the commit).
   */
  readonly requestSpanSeconds?: number;
  /** Full pulls: where the requests went, endpoint by endpoint (seconds from the run's first request). */
  readonly phases?: Phase[];
  readonly spanUtilization?: number | null;
  readonly peakRssMb: number;
  /** The largest live heap (after a full GC, sampled every 2 s): what the run holds, without uncollected garbage. */
  readonly peakLiveHeapMb?: number;
  /** Map items that failed, were aborted or left pending (pipeline only). */
  readonly failedItems: number;
  readonly mapRuns?: MapRunSummary[];
  /** The fewest requests this run could make, and requests / that. */
  readonly minimum?: Minimum;
  readonly ratio?: number;
  /** What landed (bronze records, or the naive extractor's files) and whether it is all the simulator holds. */
  readonly landed: Record<string, number>;
  readonly expected: Record<string, number>;
  readonly complete: boolean;
}

export interface ScenarioResult {
  readonly medias: number;
  readonly rateLimitPerMinute: number;
  readonly budgetPerMinute: number;
  readonly latencyMs: number;
  readonly account: { medias: number; events: number; visitors: number };
  readonly pipeline: RunMeasure;
  readonly incremental?: RunMeasure & {
    readonly changedMedias: number;
    readonly vsFull: { requests: number; wall: number };
  };
  readonly naive?: RunMeasure & { readonly wallVsPipeline: number };
}

export type Progress = (line: string) => void;

/** A child process that died without a result (not a run that failed: that is a result). */
export class ChildCrashError extends Error {
  override name = 'ChildCrashError';
}

/** Runs the child process on a spec; resolves to its result line. The token goes in its environment only. */
export async function runInChild(spec: ChildSpec, token: string): Promise<ChildResult> {
  const child = spawn(node22(), ['--expose-gc', '--import', 'tsx', CHILD, JSON.stringify(spec)], {
    cwd: ROOT,
    env: {
      ...process.env,
      WISTIA_API_TOKEN: token,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const code = await new Promise<number | null>((r) => child.once('close', r));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) {
    const text = err.trim() || out.trim();
    const why = text.split('\n').find((l) => /^\w*Error\b/.test(l.trim())) ?? text.slice(0, 300);
    throw new ChildCrashError(`the ${spec.kind} run (child process) exited with ${code}: ${why.trim()}`);
  }
  return JSON.parse(line) as ChildResult;
}

export function simulatorOptions(s: IngestScenario, token: string): SimulatorOptions {
  return {
    seed: s.seed,
    medias: s.medias,
    today: s.today,
    historyDays: s.historyDays,
    eventsPerMediaPerDay: s.eventsPerMediaPerDay,
    rateLimitPerMinute: s.rateLimitPerMinute,
    latencyMs: s.latencyMs,
    token,
    // the incremental day: that share of medias changes, and nothing else (no new medias)
    activeMediaShare: s.changedShare,
    newMediasPerDay: 0,
  };
}

export const todayOf = (sim: WistiaSimulator) => String((sim.state() as { today: string }).today);
export const eventsInRetention = (sim: WistiaSimulator) =>
  sim.world.visibleEvents() - sim.world.lowerBound(sim.world.retentionStartMs());

export interface Phase {
  /** What the run was doing, and the endpoints it asked for that. */
  readonly phase: string;
  readonly routes: string[];
  readonly requests: number;
  readonly fromSeconds: number;
  readonly toSeconds: number;
  /** Requests per minute between the phase's first and last request. */
  readonly perMinute: number;
}

/** The state that asks each endpoint (the engagement map asks three, interleaved: by date, engagement, lifetime). */
const PHASE_OF: Record<string, string> = {
  '/medias': 'medias listing (plan)',
  '/projects': 'projects listing (plan)',
  '/stats/account/by_date': 'account stats by date (plan)',
  '/stats/events': 'event windows (map)',
  '/stats/medias/:id/by_date': 'stats by date + engagement (map)',
  '/stats/medias/:id/engagement': 'stats by date + engagement (map)',
  '/stats/medias/:id': 'stats by date + engagement (map)',
  '/stats/visitors': 'visitor scan',
  '/stats/visitors/:key': 'visitor lookups (map)',
};

/** The simulator's request log by phase of the run, in the order the phases began. */
export function phasesOf(log: readonly RequestLogEntry[]): Phase[] {
  if (log.length === 0) return [];
  const t0 = Math.min(...log.map((e) => e.atMs));
  const by = new Map<string, { routes: Set<string>; n: number; from: number; to: number }>();
  for (const e of log) {
    const phase = PHASE_OF[e.route] ?? e.route;
    const p = by.get(phase);
    if (!p) by.set(phase, { routes: new Set([e.route]), n: 1, from: e.atMs, to: e.atMs });
    else {
      p.routes.add(e.route);
      p.n++;
      p.from = Math.min(p.from, e.atMs);
      p.to = Math.max(p.to, e.atMs);
    }
  }
  return [...by]
    .sort((a, b) => a[1].from - b[1].from)
    .map(([phase, p]) => ({
      phase,
      routes: [...p.routes].sort(),
      requests: p.n,
      fromSeconds: (p.from - t0) / 1000,
      toSeconds: (p.to - t0) / 1000,
      perMinute: p.to > p.from ? p.n / ((p.to - p.from) / 60_000) : 0,
    }));
}

function spanOf(
  c: Counters,
  accepted: number,
  limit: number,
): Pick<RunMeasure, 'requestSpanSeconds' | 'spanUtilization'> {
  if (c.firstAtMs === null || c.lastAtMs === null || c.lastAtMs <= c.firstAtMs) return {};
  const spanMs = c.lastAtMs - c.firstAtMs;
  return {
    requestSpanSeconds: spanMs / 1000,
    spanUtilization: limit > 0 ? accepted / (spanMs / 60_000) / limit : null,
  };
}

function measure(
  c: Counters,
  r: ChildResult,
  limit: number,
  extra: Pick<RunMeasure, 'landed' | 'expected'> & { minimum?: Minimum },
): RunMeasure {
  const wallMs = r.wallMs;
  const limited = (c.byStatus['429'] ?? 0) + (c.byStatus['503'] ?? 0);
  const accepted = c.total - limited;
  const perMinute = accepted / (wallMs / 60_000);
  const failedItems = r.kind === 'pipeline' ? r.mapRuns.reduce((a, m) => a + m.failed + m.aborted + m.pending, 0) : 0;
  const complete = Object.entries(extra.expected).every(([k, v]) => extra.landed[k] === v);
  return {
    status: r.kind === 'pipeline' ? r.status : 'SUCCEEDED',
    ...(r.kind === 'pipeline' && r.error ? { error: `${r.error}: ${r.cause ?? ''}` } : {}),
    requests: c.total,
    clientRequests: r.kind === 'pipeline' ? r.clientRequests : r.requests,
    byStatus: c.byStatus,
    rateLimited: limited,
    rateLimitedShare: c.total ? limited / c.total : 0,
    wallSeconds: wallMs / 1000,
    acceptedPerMinute: perMinute,
    utilization: limit > 0 ? perMinute / limit : null,
    ...spanOf(c, accepted, limit),
    peakRssMb: r.maxRssKb / 1024,
    ...(r.peakLiveHeapBytes ? { peakLiveHeapMb: r.peakLiveHeapBytes / 2 ** 20 } : {}),
    failedItems,
    ...(r.kind === 'pipeline' ? { mapRuns: r.mapRuns } : {}),
    ...(extra.minimum ? { minimum: extra.minimum, ratio: c.total / extra.minimum.total } : {}),
    landed: extra.landed,
    expected: extra.expected,
    complete,
  };
}

/** Records landed in bronze by one execution, per entity (events: distinct event keys). */
export async function landedByRun(dataDir: string, execution: string): Promise<Record<string, number>> {
  const store = localStore(dataDir);
  const out: Record<string, number> = {};
  for (const entity of ['medias', 'events', 'media_stats', 'media_engagement', 'visitors', 'projects']) {
    let n = 0;
    const keys = new Set<string>();
    for await (const o of store.list(`bronze/${entity}/`)) {
      if (!o.key.includes(`/run=${execution}/`)) continue;
      if (entity === 'media_stats' || entity === 'media_engagement') {
        n++; // one object per media
        continue;
      }
      const obj = await getJson<{ records: Record<string, unknown>[] }>(store, o.key);
      for (const r of obj?.value.records ?? []) {
        if (entity === 'events') keys.add(String(r.event_key));
        else n++;
      }
    }
    out[entity] = entity === 'events' ? keys.size : n;
  }
  return out;
}

/**
 * Runs `fn` against a fresh simulator (clean limiter and counters). A child that crashed without a result (the
 * machine is shared: node_modules may be reinstalled under a long run) is retried once, a minute later, on
 * another fresh simulator, after `reset`.
 */
export async function withSimulator<T>(
  opts: SimulatorOptions,
  advanceDays: number,
  fn: (sim: WistiaSimulator) => Promise<T>,
  progress: Progress,
  reset: () => void = () => undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const sim = await startSimulator(opts);
    try {
      if (advanceDays > 0) sim.advance(advanceDays);
      sim.resetCounters();
      return await fn(sim);
    } catch (e) {
      if (!(e instanceof ChildCrashError) || attempt > 1) throw e;
      progress(`  the child process crashed; retrying in 60 s: ${e.message.split('\n').slice(0, 3).join(' | ')}`);
    } finally {
      await sim.close();
    }
    await new Promise((r) => setTimeout(r, 60_000));
    reset();
  }
}

/** The pipeline's full pull, then (optionally) the incremental day. */
async function runPipelineScenario(s: IngestScenario, progress: Progress): Promise<ScenarioResult> {
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const opts = simulatorOptions(s, token);
  const limitLabel = limitLabelOf(s);
  const dataDir = mkdtempSync(join(tmpdir(), 'wistia-bench-ingest-'));
  const clearDataDir = () => {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
  };
  try {
    // 1. the pipeline's full pull (a first run: the backfill)
    let previous: PreviousView = { nowMs: 0, visibleEvents: 0 };
    let account = { medias: 0, events: 0, visitors: 0 };
    const full = await withSimulator(
      opts,
      0,
      async (sim) => {
        const today = todayOf(sim);
        const w = sim.world;
        account = { medias: w.visibleMedias().length, events: eventsInRetention(sim), visitors: w.visibleVisitors() };
        progress(
          `${s.medias} medias @ ${limitLabel}: pipeline full pull (${account.events} events, ${account.visitors} visitors)…`,
        );
        const windows = backfillWindows(today, DEFAULT_CONFIG.backfillWindowDays, DEFAULT_CONFIG.backfillStartDate);
        const r = await runInChild(
          { kind: 'pipeline', baseUrl: sim.baseUrl, dataDir, today, accountRequestsPerMinute: s.budgetPerMinute },
          token,
        );
        if (r.kind !== 'pipeline') throw new Error('expected a pipeline result');
        previous = { nowMs: w.nowMs, visibleEvents: w.visibleEvents() };
        const expected = {
          medias: account.medias,
          events: account.events,
          media_stats: account.medias,
          media_engagement: account.medias,
          visitors: account.visitors,
          projects: w.renderProjects().length,
        };
        const m = measure(sim.getCounters(), r, s.rateLimitPerMinute, {
          landed: await landedByRun(dataDir, r.execution),
          expected,
          minimum: minimumRequests(w, windows),
        });
        return { ...m, phases: phasesOf(sim.requestLog()) };
      },
      progress,
      clearDataDir,
    );
    progress(`  ${line(full)}`);

    // 2. the next day, on which `changedShare` of the medias changed
    let incremental: ScenarioResult['incremental'];
    if (s.incremental) {
      incremental = await withSimulator(
        opts,
        1,
        async (sim) => {
          const today = todayOf(sim);
          const w = sim.world;
          const windows: Window[] = incrementalWindows(s.today, today);
          const minimum = minimumRequests(w, windows, previous);
          progress(
            `${s.medias} medias @ ${limitLabel}: incremental day, ${minimum.mediasNeedingEngagement} medias changed…`,
          );
          const r = await runInChild(
            { kind: 'pipeline', baseUrl: sim.baseUrl, dataDir, today, accountRequestsPerMinute: s.budgetPerMinute },
            token,
          );
          if (r.kind !== 'pipeline') throw new Error('expected a pipeline result');
          const landed = await landedByRun(dataDir, r.execution);
          const m = measure(sim.getCounters(), r, s.rateLimitPerMinute, {
            landed: { media_stats: landed.media_stats ?? 0, media_engagement: landed.media_engagement ?? 0 },
            expected: {
              media_stats: minimum.mediasNeedingEngagement,
              media_engagement: minimum.mediasNeedingEngagement,
            },
            minimum,
          });
          return {
            ...m,
            changedMedias: minimum.mediasNeedingEngagement,
            vsFull: { requests: m.requests / full.requests, wall: m.wallSeconds / full.wallSeconds },
          };
        },
        progress,
      );
      progress(`  ${line(incremental)} (${pct(incremental.vsFull.requests)} of the full pull's requests)`);
    }

    return {
      medias: s.medias,
      rateLimitPerMinute: s.rateLimitPerMinute,
      budgetPerMinute: s.budgetPerMinute,
      latencyMs: s.latencyMs,
      account,
      pipeline: full,
      ...(incremental ? { incremental } : {}),
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs the scenario, full pull and incremental day, then its naive extractor when asked. */
export async function runScenario(s: IngestScenario, progress: Progress = () => undefined): Promise<ScenarioResult> {
  const r = await runPipelineScenario(s, progress);
  return s.naive ? addNaive(s, r, progress) : r;
}

/** The naive sequential extractor over the same account as the scenario's full pull, added to its result. */
export async function addNaive(
  s: IngestScenario,
  result: ScenarioResult,
  progress: Progress = () => undefined,
): Promise<ScenarioResult> {
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const { account, pipeline: full } = result;
  const outDir = mkdtempSync(join(tmpdir(), 'wistia-bench-naive-'));
  try {
    const naive = await withSimulator(
      simulatorOptions(s, token),
      0,
      async (sim) => {
        const today = todayOf(sim);
        progress(`${s.medias} medias @ ${limitLabelOf(s)}: naive sequential extractor…`);
        const since = backfillWindows(today, DEFAULT_CONFIG.backfillWindowDays)[0]?.start ?? today;
        const r = await runInChild({ kind: 'naive', baseUrl: sim.baseUrl, outDir, since, today }, token);
        if (r.kind !== 'naive') throw new Error('expected a naive result');
        const m = measure(sim.getCounters(), r, s.rateLimitPerMinute, {
          landed: r.records,
          expected: {
            medias: account.medias,
            events: account.events,
            media_stats: account.medias,
            media_engagement: account.medias,
            visitors: account.visitors,
          },
        });
        return { ...m, wallVsPipeline: m.wallSeconds / full.wallSeconds };
      },
      progress,
      () => {
        rmSync(outDir, { recursive: true, force: true });
        mkdirSync(outDir, { recursive: true });
      },
    );
    progress(`  ${line(naive)} (${naive.wallVsPipeline.toFixed(2)}× the pipeline's wall time)`);
    return { ...result, naive };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export const limitLabelOf = (s: IngestScenario) =>
  s.rateLimitPerMinute > 0 ? `${s.rateLimitPerMinute}/min` : 'no limit';

export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
function line(m: RunMeasure): string {
  return (
    `${m.status}: ${m.requests} requests${m.ratio !== undefined ? ` (${m.ratio.toFixed(3)}× the minimum ${m.minimum?.total})` : ''}` +
    ` in ${m.wallSeconds.toFixed(1)} s, ${m.acceptedPerMinute.toFixed(0)}/min` +
    `${m.utilization !== null ? ` = ${pct(m.utilization)} of the limit` : ''}` +
    `${m.spanUtilization ? ` (${pct(m.spanUtilization)} over the ${m.requestSpanSeconds?.toFixed(1)} s of requests)` : ''}, ${m.rateLimited} × 429, ` +
    `${m.failedItems} failed items, peak RSS ${m.peakRssMb.toFixed(0)} MB${m.peakLiveHeapMb ? ` (live heap ${m.peakLiveHeapMb.toFixed(0)} MB)` : ''}, ${m.complete ? 'complete' : 'INCOMPLETE'}` +
    (m.error ? `\n    ${m.error}` : '')
  );
}
