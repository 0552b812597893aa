// Plan engagement and visitors from what the events map saw: engagement for medias that are new, updated,
// or had plays newer than the last run's newest event (plus items that failed last time); visitors active
// since then, looked up by key, or one full scan of /stats/visitors when that costs fewer requests. The plan may
// have set more to start from (its manifest's engagementInputs: a replay's, other events maps' windows that count
// as this run's, and the items themselves). The events map may have been skipped (no windows); the counts in the
// output tell the state machine which of the next maps to start at all. The decisions are
// ../shared/pipeline/planning/engagement.ts; the reads and writes, ./io.ts.
import type { Deps } from '../shared/pipeline/deps.ts';
import { runKey } from '../shared/pipeline/keys.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import {
  EngagementPlanSchema,
  PlanEngagementInputSchema,
  type EngagementPlan,
  type PlanEngagementInput,
} from '../shared/pipeline/payloads.ts';
import * as decide from '../shared/pipeline/planning/engagement.ts';
import { foldEventWindows, loadPlanContext, saveEngagementPlan } from './io.ts';

export async function planEngagement(e: PlanEngagementInput, deps: Deps): Promise<EngagementPlan> {
  const { store, config } = deps;
  const { previous, inputs, changed } = await loadPlanContext(store, e.runId, e.changedKey);
  const start = decide.startActivity(previous?.events?.maxReceivedAt ?? null, changed);
  const { activity, windows } = await foldEventWindows(store, e.eventsResult, inputs.eventResults, start);
  const planned = decide.engagementPlan({
    ...decide.engagementItems(inputs.items, activity, previous),
    events: { windows, pages: activity.pages, records: activity.records, maxReceivedAt: activity.maxReceivedAt },
    bucket: store.bucket,
    keys: { engagement: runKey(e.runId, 'items/engagement.json'), visitors: runKey(e.runId, 'items/visitors.json') },
    config,
  });
  return saveEngagementPlan(store, e.runId, planned);
}

export const makeHandler = (deps: Deps) =>
  wrap({ input: PlanEngagementInputSchema, output: EngagementPlanSchema }, (event) => planEngagement(event, deps));
