// The overlap scenario of `npm run bench` (issue 16): a full pull and a daily run at the same time against one
// simulator at the account's limit, both drawing on one account budget; reported with the worst rolling minute of
// the two together and the 429s.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventsInRetention,
  landedByRun,
  limitLabelOf,
  runInChild,
  simulatorOptions,
  todayOf,
  withSimulator,
  type IngestScenario,
  type Progress,
} from './ingest.ts';

/** One of the two executions of the overlap scenario. */
export interface OverlapExecution {
  readonly label: string;
  readonly status: string;
  readonly error?: string;
  /** Requests its own clients made (the simulator counts both together). */
  readonly requests: number;
  readonly wallSeconds: number;
  readonly failedItems: number;
  readonly complete: boolean;
}

/** Two executions at once against one simulator, drawing on one account budget (issue 16). */
export interface OverlapResult {
  readonly medias: number;
  readonly rateLimitPerMinute: number;
  readonly budgetPerMinute: number;
  readonly latencyMs: number;
  readonly executions: OverlapExecution[];
  /** Requests the simulator answered, both executions together, and how many were 429s. */
  readonly requests: number;
  readonly rateLimited: number;
  /** The most requests the simulator received in any rolling 60 s (both together). */
  readonly worstRollingMinute: number;
  /** From the two starts to the later end. */
  readonly wallSeconds: number;
}

/** The most timestamps in any window [t, t + 60 s). */
export function worstRollingMinute(atMs: readonly number[]): number {
  const s = [...atMs].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < s.length; j++) {
    while ((s[j] as number) - (s[i] as number) >= 60_000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/**
 * The overlap scenario: a full pull (a backfill) and a daily run start at the same moment against ONE simulator,
 * both spending one account budget (a shared budget file, as the RequestBudget table is in AWS). They are two
 * data dirs, as two deployments on one Wistia account would be: within one data dir the run lease (ADR 14) still
 * refuses a second execution. The daily run's data dir is first brought to yesterday by an unmeasured full pull
 * on an unlimited simulator (the world is deterministic: the same account).
 */
export async function runOverlapScenario(
  s: IngestScenario,
  progress: Progress = () => undefined,
): Promise<OverlapResult> {
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const opts = simulatorOptions(s, token);
  const root = mkdtempSync(join(tmpdir(), 'wistia-bench-overlap-'));
  const [fullDir, dailyDir, budgetFile] = [join(root, 'full'), join(root, 'daily'), join(root, 'budget.json')];
  try {
    progress(
      `${s.medias} medias: overlap scenario, preparing the daily run's data dir (yesterday's full pull, unlimited)…`,
    );
    await withSimulator(
      { ...opts, rateLimitPerMinute: 0, latencyMs: 0 },
      0,
      async (sim) => {
        const r = await runInChild(
          {
            kind: 'pipeline',
            baseUrl: sim.baseUrl,
            dataDir: dailyDir,
            today: todayOf(sim),
            accountRequestsPerMinute: 60_000,
          },
          token,
        );
        if (r.kind !== 'pipeline' || r.status !== 'SUCCEEDED')
          throw new Error('the overlap scenario could not prepare its daily run');
      },
      progress,
    );
    return await withSimulator(
      opts,
      1,
      async (sim) => {
        const today = todayOf(sim);
        const w = sim.world;
        const account = {
          medias: w.visibleMedias().length,
          events: eventsInRetention(sim),
          visitors: w.visibleVisitors(),
        };
        progress(`${s.medias} medias @ ${limitLabelOf(s)}: a full pull and a daily run at once, one budget…`);
        const started = Date.now();
        const spec = (dataDir: string) =>
          ({
            kind: 'pipeline',
            baseUrl: sim.baseUrl,
            dataDir,
            today,
            accountRequestsPerMinute: s.budgetPerMinute,
            budgetFile,
          }) as const;
        const [full, daily] = await Promise.all([runInChild(spec(fullDir), token), runInChild(spec(dailyDir), token)]);
        const wallSeconds = (Date.now() - started) / 1000;
        if (full.kind !== 'pipeline' || daily.kind !== 'pipeline') throw new Error('expected pipeline results');
        const fullLanded = await landedByRun(fullDir, full.execution);
        const execution = (label: string, r: typeof full, complete: boolean): OverlapExecution => ({
          label,
          status: r.status,
          ...(r.kind === 'pipeline' && r.error ? { error: `${r.error}: ${r.cause ?? ''}` } : {}),
          requests: r.kind === 'pipeline' ? r.clientRequests : 0,
          wallSeconds: r.kind === 'pipeline' ? r.wallMs / 1000 : 0,
          failedItems: r.kind === 'pipeline' ? r.mapRuns.reduce((a, m) => a + m.failed + m.aborted + m.pending, 0) : 0,
          complete,
        });
        const c = sim.getCounters();
        const result: OverlapResult = {
          medias: s.medias,
          rateLimitPerMinute: s.rateLimitPerMinute,
          budgetPerMinute: s.budgetPerMinute,
          latencyMs: s.latencyMs,
          executions: [
            execution(
              'full pull',
              full,
              fullLanded.medias === account.medias &&
                fullLanded.events === account.events &&
                fullLanded.visitors === account.visitors &&
                fullLanded.media_engagement === account.medias,
            ),
            execution('daily run', daily, daily.status === 'SUCCEEDED'),
          ],
          requests: c.total,
          rateLimited: (c.byStatus['429'] ?? 0) + (c.byStatus['503'] ?? 0),
          worstRollingMinute: worstRollingMinute(sim.requestLog().map((e) => e.atMs)),
          wallSeconds,
        };
        progress(`  ${overlapLine(result)}`);
        return result;
      },
      progress,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function overlapLine(o: OverlapResult): string {
  return (
    o.executions
      .map(
        (e) =>
          `${e.label} ${e.status}: ${e.requests} requests in ${e.wallSeconds.toFixed(1)} s${e.complete ? '' : ' INCOMPLETE'}`,
      )
      .join('; ') +
    `; together ${o.requests} requests, worst rolling minute ${o.worstRollingMinute}` +
    `${o.rateLimitPerMinute > 0 ? ` (limit ${o.rateLimitPerMinute})` : ''}, ${o.rateLimited} × 429`
  );
}
