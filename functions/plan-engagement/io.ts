// The engagement planner's reads and writes: the run's plan manifest (the watermarks it planned from and what it
// set the engagement planner to start from), the events maps' summaries (one at a time), and the plan's items.
import { engagementPlanKey, runKey } from '../shared/pipeline/keys.ts';
import {
  latestMapResults,
  mapSkipped,
  NO_RESULTS,
  readMapResults,
  resultWriterKey,
} from '../shared/pipeline/map-results.ts';
import type { ChangedMedia, EngagementPlan, MapOutput } from '../shared/pipeline/payloads.ts';
import {
  addWindow,
  NO_ENGAGEMENT_INPUTS,
  type Activity,
  type EngagementInputs,
} from '../shared/pipeline/planning/engagement.ts';
import type { PlanManifest } from '../shared/pipeline/planning/plan.ts';
import { readSeen } from '../shared/pipeline/seen.ts';
import type { Watermarks } from '../shared/pipeline/watermarks.ts';
import { asObject, str } from '../shared/pipeline/input.ts';
import { logger } from '../shared/powertools.ts';
import { getJson, putJson, type ObjectStore } from '../shared/store/store.ts';

/** The watermarks the run planned from, what its plan set the engagement planner to start from, its changed medias. */
export async function loadPlanContext(
  store: ObjectStore,
  runId: string,
  changedKey: string,
): Promise<{ previous: Watermarks | undefined; inputs: EngagementInputs; changed: string[] }> {
  const manifest = (await getJson<PlanManifest>(store, runKey(runId, 'manifest.json')))?.value;
  const changed = (await getJson<ChangedMedia[]>(store, changedKey))?.value ?? [];
  return {
    previous: manifest?.previousWatermarks ?? undefined,
    inputs: manifest?.engagementInputs ?? NO_ENGAGEMENT_INPUTS,
    changed: changed.map((m) => m.hashed_id),
  };
}

/**
 * Folds the summary of each window the events map fetched (and each that succeeded in the events maps under
 * `alsoCounted`: results the plan counts as this run's) into `start`; `windows`: how many of this run's succeeded.
 */
export async function foldEventWindows(
  store: ObjectStore,
  eventsResult: MapOutput,
  alsoCounted: readonly string[],
  start: Activity,
): Promise<{ activity: Activity; windows: number }> {
  const results = mapSkipped(eventsResult)
    ? NO_RESULTS
    : await readMapResults(store, resultWriterKey(eventsResult, 'eventsResult'));
  const others = [];
  for (const prefix of alsoCounted) others.push(...((await latestMapResults(store, prefix))?.succeeded ?? []));
  let activity = start;
  for (const r of [...results.succeeded, ...others]) {
    const o = asObject(r.output, 'events item output');
    const seen = await readSeen(store, str(o, 'seenKey', {}));
    activity = addWindow(activity, { pages: typeof o.pages === 'number' ? o.pages : 0, seen });
  }
  return { activity, windows: results.succeeded.length };
}

export async function saveEngagementPlan(
  store: ObjectStore,
  runId: string,
  planned: { plan: EngagementPlan; engagementItems: { hashed_id: string }[]; visitorItems: string[] },
): Promise<EngagementPlan> {
  const { plan } = planned;
  await putJson(store, plan.engagement.key, planned.engagementItems);
  await putJson(store, plan.visitors.key, planned.visitorItems);
  await putJson(store, engagementPlanKey(runId), plan);
  logger.info('planned engagement and visitors', {
    runId,
    medias: plan.engagement.count,
    visitors: plan.visitors.count,
    visitorMode: plan.visitors.mode,
  });
  return plan;
}
