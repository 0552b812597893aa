// The engagement planner's reads and writes: the run's plan manifest, the events map's summaries (one at a time),
// a replayed execution's items and what of them succeeded, and the plan's items.
import { runKey } from '../shared/pipeline/keys.ts';
import { mapSkipped, NO_RESULTS, readMapResults, resultWriterKey } from '../shared/pipeline/map-results.ts';
import type { ChangedMedia, EngagementPlan, MapOutput, ReplayInfo } from '../shared/pipeline/payloads.ts';
import { addWindow, type Activity } from '../shared/pipeline/planning/engagement.ts';
import type { PlanManifest } from '../shared/pipeline/planning/plan.ts';
import { engagementPlanKey, latestMapResults, requireJson, succeededKeys } from '../shared/pipeline/replay.ts';
import { readSeen } from '../shared/pipeline/seen.ts';
import type { Watermarks } from '../shared/pipeline/watermarks.ts';
import { asObject, str } from '../shared/pipeline/input.ts';
import { logger } from '../shared/powertools.ts';
import { getJson, putJson, type ObjectStore } from '../shared/store/store.ts';

/** The watermarks the run planned from, whether it replays another, and the medias its plan found changed. */
export async function loadPlanContext(
  store: ObjectStore,
  runId: string,
  changedKey: string,
): Promise<{ previous: Watermarks | undefined; replay: ReplayInfo | undefined; changed: string[] }> {
  const manifest = (await getJson<PlanManifest>(store, runKey(runId, 'manifest.json')))?.value;
  const changed = (await getJson<ChangedMedia[]>(store, changedKey))?.value ?? [];
  return {
    previous: manifest?.previousWatermarks ?? undefined,
    replay: manifest?.replay,
    changed: changed.map((m) => m.hashed_id),
  };
}

/**
 * Folds the summary of each window the events map fetched (and, for a replay, each the original fetched) into
 * `start`; `windows`: how many of this run's windows succeeded.
 */
export async function foldEventWindows(
  store: ObjectStore,
  eventsResult: MapOutput,
  replayOf: string | undefined,
  start: Activity,
): Promise<{ activity: Activity; windows: number }> {
  const results = mapSkipped(eventsResult)
    ? NO_RESULTS
    : await readMapResults(store, resultWriterKey(eventsResult, 'eventsResult'));
  const original = replayOf ? await latestMapResults(store, runKey(replayOf, 'map-results/events')) : undefined;
  let activity = start;
  for (const r of [...results.succeeded, ...(original?.succeeded ?? [])]) {
    const o = asObject(r.output, 'events item output');
    const seen = await readSeen(store, str(o, 'seenKey', {}));
    activity = addWindow(activity, { pages: typeof o.pages === 'number' ? o.pages : 0, seen });
  }
  return { activity, windows: results.succeeded.length };
}

/** A replayed execution's planned items and what of them succeeded (undefined: it never planned engagement). */
export async function loadReplayItems(store: ObjectStore, of: string) {
  const originalPlan = (await getJson<EngagementPlan>(store, engagementPlanKey(of)))?.value;
  if (!originalPlan) return undefined;
  const items = await requireJson<{ hashed_id: string }[]>(
    store,
    originalPlan.engagement.key,
    `the engagement items of "${of}"`,
  );
  const doneMedias = succeededKeys(
    await latestMapResults(store, runKey(of, 'map-results/engagement')),
    (input) => (input as { media?: { hashed_id?: string } } | undefined)?.media?.hashed_id,
  );
  if (originalPlan.visitors.mode !== 'lookup')
    return { originalPlan, originalMedias: items.map((m) => m.hashed_id), doneMedias };
  const originalVisitors = await requireJson<string[]>(store, originalPlan.visitors.key, `the visitor keys of "${of}"`);
  const fetchedVisitors = new Set<string>();
  for (const r of (await latestMapResults(store, runKey(of, 'map-results/visitors')))?.succeeded ?? []) {
    const batch = (r.input as { Items?: unknown } | undefined)?.Items;
    if (Array.isArray(batch)) for (const k of batch) if (typeof k === 'string') fetchedVisitors.add(k);
  }
  return { originalPlan, originalMedias: items.map((m) => m.hashed_id), doneMedias, originalVisitors, fetchedVisitors };
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
