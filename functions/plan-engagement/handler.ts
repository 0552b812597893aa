// Plan engagement and visitors from what the events map saw: engagement for medias that are new, updated,
// or had plays newer than the last run's newest event (plus items that failed last time); visitors active
// since then, looked up by key, or one full scan of /stats/visitors when that costs fewer requests. The events
// map may have been skipped (no windows: a replay whose windows all succeeded); the counts in the output tell
// the state machine which of the next maps to start at all. The decisions are
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
import { foldEventWindows, loadPlanContext, loadReplayItems, saveEngagementPlan } from './io.ts';

export async function planEngagement(e: PlanEngagementInput, deps: Deps): Promise<EngagementPlan> {
  const { store, config } = deps;
  const { previous, replay, changed } = await loadPlanContext(store, e.runId, e.changedKey);
  // A replay sees what the original's event windows saw too (it only re-fetched the ones that failed).
  const start = decide.startActivity(previous?.events?.maxReceivedAt ?? null, changed);
  const { activity, windows } = await foldEventWindows(store, e.eventsResult, replay?.of, start);
  const active = decide.withCarryOver(activity, previous?.carryOver);
  let items = {
    medias: active.medias,
    visitors: active.visitors,
    choice: decide.chooseVisitors(active.visitors.size, previous?.visitors?.estimatedTotal),
  };
  // A replay whose original got as far as planning this: the original's items that did not succeed.
  const original = replay ? await loadReplayItems(store, replay.of) : undefined;
  if (replay && original) items = decide.replayItems({ ...original, committed: replay.committed });
  const planned = decide.engagementPlan({
    ...items,
    events: { windows, pages: active.pages, records: active.records, maxReceivedAt: active.maxReceivedAt },
    bucket: store.bucket,
    keys: { engagement: runKey(e.runId, 'items/engagement.json'), visitors: runKey(e.runId, 'items/visitors.json') },
    config,
  });
  return saveEngagementPlan(store, e.runId, planned);
}

export const makeHandler = (deps: Deps) =>
  wrap({ input: PlanEngagementInputSchema, output: EngagementPlanSchema }, (event) => planEngagement(event, deps));
