// The run history: one entry per execution the object store keeps under runs/<execution>/execution.json (the
// local store under <data dir>/store, or the pipeline's S3 bucket), newest first.
import type { ObjectStore } from '#shared/store/store.ts';
import { EXECUTION_NAME, executionRecords } from '../ops/catalog.ts';
import { recordKey } from '../runner/executions.ts';

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

export async function listRuns(store: ObjectStore, limit = 50): Promise<RunSummary[]> {
  const runs = (await executionRecords(store)).map(({ name, record: rec }): RunSummary => {
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
  });
  return runs.slice(0, limit);
}

export async function runExists(store: ObjectStore, execution: string): Promise<boolean> {
  return EXECUTION_NAME.test(execution) && (await store.get(recordKey(execution))) !== undefined;
}
