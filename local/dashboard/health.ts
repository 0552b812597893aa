// The dashboard's pipeline health (issue 14): from the run history in the object store (runs/<execution>/:
// execution.json, transform.json, history.jsonl), runs per day by status and each recent run's Wistia requests,
// 429s and retries, quarantine share, transform time and cost. Each run's figures come from local/ops/run-summary.ts,
// as `status --cost` has them (metrics through run-metrics.ts, names from contracts/metrics.json; the cost through
// cost.ts); nothing is re-derived here. A run recorded before the runner kept
// metrics (no `metrics` in its record) has null figures, not zeros.
import type { ObjectStore } from '#shared/store/store.ts';
import type { ExecutionRecord } from '../runner/run.ts';
import type { Prices } from '../ops/cost.ts';
import { transformFigures } from '../ops/run-metrics.ts';
import { pricing, summariseRun } from '../ops/run-summary.ts';
import { executionFolders, executionRecords } from '../ops/catalog.ts';

/** Execution statuses, as Step Functions names them (locally only the first two occur). */
export const RUN_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface HealthDay {
  /** UTC day the runs started, YYYY-MM-DD. */
  readonly day: string;
  /** Runs by status (every status of `statuses`, 0 included). */
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
}

export interface HealthRun {
  readonly execution: string;
  readonly status: string;
  readonly startDate: string;
  /** The day the run ingested (its input's `today`), when it says. */
  readonly ingestDay: string | null;
  /** Whether the record holds the run's metrics (false: recorded before the runner kept them). */
  readonly hasMetrics: boolean;
  /** WistiaRequests, WistiaRateLimited, WistiaRetries; null without metrics. */
  readonly requests: number | null;
  readonly rateLimited: number | null;
  readonly retries: number | null;
  /** The transform's RecordsRead and RecordsQuarantined; null when it did not run. */
  readonly recordsRead: number | null;
  readonly recordsQuarantined: number | null;
  /** Quarantined / read; null when the transform did not run or read nothing. */
  readonly quarantineShare: number | null;
  /** TransformSeconds; null when the transform did not run. */
  readonly transformSeconds: number | null;
  /** estimateCost(...).totalUsd; null without metrics (its Lambda usage is unknown). */
  readonly costUsd: number | null;
}

export interface PipelineHealth {
  /** The statuses the days count, RUN_STATUSES first, then any other a record holds. */
  readonly statuses: string[];
  /** Every UTC day from the first run's to the last's (at most `days`, the latest), oldest first. */
  readonly days: HealthDay[];
  /** The most recent runs (at most `limit`), newest first. */
  readonly runs: HealthRun[];
  /** The prices the costs are estimated with. */
  readonly prices: { readonly region: string; readonly checked: string };
}

export interface HealthOptions {
  /** Runs listed one by one (the most recent). Default 50, as the run history. */
  readonly limit?: number;
  /** Days counted (the latest). Default 30. */
  readonly days?: number;
  /** Default: config/prices.json. */
  readonly prices?: Prices;
}

const DAY_MS = 86_400_000;

/**
 * The day a run is for: the day its input names (locally the simulated clock's `today`, in AWS the schedule's
 * `scheduledTime`), else the UTC day it started. Locally a simulated week runs in minutes on one real day:
 * grouping by start would put all seven runs on it.
 */
export function runDay(record: Pick<ExecutionRecord, 'input' | 'startDate'>): string {
  const input = (record.input ?? {}) as { today?: unknown; scheduledTime?: unknown };
  const day = /^\d{4}-\d{2}-\d{2}/;
  if (typeof input.today === 'string' && day.test(input.today)) return input.today.slice(0, 10);
  if (typeof input.scheduledTime === 'string' && day.test(input.scheduledTime)) return input.scheduledTime.slice(0, 10);
  return record.startDate.slice(0, 10);
}

/** Every UTC day from first to last, YYYY-MM-DD. */
function daysBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += DAY_MS)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export async function pipelineHealth(store: ObjectStore, o: HealthOptions = {}): Promise<PipelineHealth> {
  const priced = pricing(o.prices);
  // one listing: the execution records, and how many objects each run wrote (the cost's S3 PUTs)
  const objects = await executionFolders(store);
  const records = await executionRecords(store, objects.keys());

  const statuses: string[] = [...RUN_STATUSES];
  for (const { record } of records) if (!statuses.includes(record.status)) statuses.push(record.status);
  const byDay = new Map<string, Record<string, number>>();
  for (const { record } of records) {
    const day = runDay(record);
    const counts = byDay.get(day) ?? {};
    counts[record.status] = (counts[record.status] ?? 0) + 1;
    byDay.set(day, counts);
  }
  const runDays = [...byDay.keys()].sort();
  const first = runDays[0];
  const last = runDays.at(-1);
  const span = first && last ? daysBetween(first, last).slice(-(o.days ?? 30)) : [];
  const days = span.map((day): HealthDay => {
    const counts = Object.fromEntries(statuses.map((s) => [s, byDay.get(day)?.[s] ?? 0]));
    return { day, counts, total: Object.values(counts).reduce((a, n) => a + n, 0) };
  });

  const runs = await Promise.all(
    records.slice(0, o.limit ?? 50).map(async ({ name, record }): Promise<HealthRun> => {
      const hasMetrics = Array.isArray(record.metrics);
      // without metrics its Lambda usage is unknown: no cost
      const run = await summariseRun(store, name, {
        record,
        objects: objects.get(name) ?? 0,
        ...(hasMetrics ? { pricing: priced } : {}),
      });
      const m = run.metrics!;
      const t = transformFigures(run.report);
      const input = record.input as { today?: unknown } | undefined;
      return {
        execution: record.name ?? name,
        status: record.status,
        startDate: record.startDate,
        ingestDay: typeof input?.today === 'string' ? input.today : null,
        hasMetrics,
        requests: hasMetrics ? m.requests : null,
        rateLimited: hasMetrics ? m.rateLimited : null,
        retries: hasMetrics ? m.retries : null,
        recordsRead: t ? t.recordsRead : null,
        recordsQuarantined: m.recordsQuarantined,
        quarantineShare: m.quarantineShare,
        transformSeconds: m.transformSeconds,
        costUsd: run.cost?.totalUsd ?? null,
      };
    }),
  );
  return { statuses, days, runs, prices: { region: priced.prices.region, checked: priced.prices.checked } };
}
