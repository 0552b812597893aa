// The run history: one entry per execution the object store keeps under runs/<execution>/execution.json (the
// local store under <data dir>/store, or the pipeline's S3 bucket), newest first.
import { getJson, type ObjectStore } from '#shared/store/store.ts';
import type { ExecutionRecord } from '../runner/run.ts';

export interface RunSummary {
  readonly execution: string;
  readonly status: string;
  /** The day the run ingested (its input's `today`), when it says. */
  readonly day: string | null;
  readonly startDate: string;
  readonly durationMs: number;
  /** Wistia requests the run made. */
  readonly requests: number;
  /** Map items over all its Distributed Map runs. */
  readonly itemsSucceeded: number;
  readonly itemsFailed: number;
  readonly error: string | null;
  readonly cause: string | null;
  /** The execution graph's page on the dashboard. */
  readonly graph: string;
}

/** Execution names as the runner makes them (daily-YYYY-MM-DD-xxxx) or Step Functions allows (≤ 80, no "/"). */
export const EXECUTION_NAME = /^[A-Za-z0-9_.-]{1,80}$/;

const EXECUTION_KEY = /^runs\/([^/]+)\/execution\.json$/;

export async function listRuns(store: ObjectStore, limit = 50): Promise<RunSummary[]> {
  const names: string[] = [];
  for await (const o of store.list('runs/')) {
    const m = EXECUTION_KEY.exec(o.key);
    if (m?.[1]) names.push(m[1]);
  }
  const runs = await Promise.all(
    names.map(async (name): Promise<RunSummary | undefined> => {
      const rec = (await getJson<ExecutionRecord>(store, `runs/${name}/execution.json`))?.value;
      if (!rec) return undefined;
      const maps = Array.isArray(rec.mapRuns) ? rec.mapRuns : [];
      const input = rec.input as { today?: unknown } | undefined;
      return {
        execution: rec.name ?? name,
        status: rec.status,
        day: typeof input?.today === 'string' ? input.today : null,
        startDate: rec.startDate,
        durationMs: rec.durationMs,
        requests: rec.requests ?? 0,
        itemsSucceeded: maps.reduce((a, m) => a + (m.counts?.succeeded ?? 0), 0),
        itemsFailed: maps.reduce((a, m) => a + (m.counts?.failed ?? 0) + (m.counts?.aborted ?? 0), 0),
        error: rec.error ?? null,
        cause: rec.cause ?? null,
        graph: `/runs/${encodeURIComponent(rec.name ?? name)}/graph`,
      };
    }),
  );
  return runs
    .filter((r): r is RunSummary => r !== undefined)
    .sort((a, b) => b.startDate.localeCompare(a.startDate))
    .slice(0, limit);
}

export async function runExists(store: ObjectStore, execution: string): Promise<boolean> {
  return EXECUTION_NAME.test(execution) && (await store.get(`runs/${execution}/execution.json`)) !== undefined;
}
