// Commit: the last state, reached only when everything before it succeeded (the warehouse load included).
// Advances the watermarks with If-Match on the ETag read at plan time, carries the items that failed within
// tolerance over to the next run, so that nothing is lost, and releases the run lease; the plan's watermarkPolicy
// says whether it advances them or only settles their carry-over (a replay of a run that committed, as
// ../shared/pipeline/planning/replay.ts decided). Its output stays small whatever the carry-over holds (the
// watermarks are in the store, not in the state: a state's output is capped at 256 KiB,
// https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). The decisions are
// ../shared/pipeline/planning/commit.ts; the reads and writes, ./io.ts.
import type { Deps } from '../shared/pipeline/deps.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import {
  CommitInputSchema,
  CommitOutputSchema,
  type CommitInput,
  type CommitOutput,
} from '../shared/pipeline/payloads.ts';
import * as decide from '../shared/pipeline/planning/commit.ts';
import { readWatermarks } from '../shared/pipeline/watermarks.ts';
import { loadFailedItems, loadPlannedItems, logCommitted, releaseRunLease, saveWatermarks } from './io.ts';

export type { CommitOutput } from '../shared/pipeline/payloads.ts';

export async function commit(e: CommitInput, deps: Deps): Promise<CommitOutput> {
  const { store } = deps;
  const { plan, engagementPlan } = e;
  const failed = await loadFailedItems(store, e.engagementResult, e.visitors);
  const current = (await readWatermarks(store)).value;
  const planned = await loadPlannedItems(store, engagementPlan, plan.watermarkPolicy);
  const watermarks = decide.nextWatermarks({
    runId: e.runId,
    plan,
    engagementPlan,
    failed,
    scannedVisitors: e.visitors.mode === 'scan' ? e.visitors.scan.visitors : undefined,
    current,
    planned,
    now: deps.now(),
  });
  const saved = await saveWatermarks(store, e.runId, watermarks, plan);
  const lease = await releaseRunLease(store, e, plan.lease);
  return logCommitted(decide.commitOutput(e.runId, saved.watermarks, saved.written, lease));
}

export const makeHandler = (deps: Deps) =>
  wrap({ input: CommitInputSchema, output: CommitOutputSchema }, (event) => commit(event, deps));
