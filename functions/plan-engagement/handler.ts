// Plan engagement and visitors from what the events map saw: engagement for medias that are new, updated,
// or had plays newer than the last run's newest event (plus items that failed last time); visitors active
// since then, looked up by key, or one full scan of /stats/visitors when that costs fewer requests. The events
// map may have been skipped (no windows: a replay whose windows all succeeded); the counts in the output tell
// the state machine which of the next maps to start at all.
import { getJson, putJson } from '../shared/store/store.ts';
import { perItemBudget } from '../shared/pipeline/config.ts';
import type { Deps } from '../shared/pipeline/deps.ts';
import { asObject, date, RUN_ID, str } from '../shared/pipeline/input.ts';
import { runKey } from '../shared/pipeline/keys.ts';
import { mapSkipped, NO_RESULTS, readMapResults, resultWriterKey } from '../shared/pipeline/map-results.ts';
import { readSeen } from '../shared/pipeline/seen.ts';
import type { Watermarks } from '../shared/pipeline/watermarks.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { logger } from '../shared/powertools.ts';
import type { ChangedMedia, PlanManifest } from '../plan/handler.ts';
import { engagementPlanKey, latestMapResults, requireJson, succeededKeys } from '../shared/pipeline/replay.ts';

export interface EngagementPlan {
  readonly engagement: {
    bucket: string;
    key: string;
    count: number;
    maxConcurrency: number;
    requestsPerMinute: number;
    toleratedFailurePercentage: number;
  };
  readonly visitors: {
    mode: 'lookup' | 'scan' | 'none';
    bucket: string;
    key: string;
    count: number;
    batchSize: number;
    maxConcurrency: number;
    requestsPerMinute: number;
    toleratedFailurePercentage: number;
    /** Requests each option would cost. */
    lookupRequests: number;
    scanRequests: number;
    estimatedTotal: number;
  };
  readonly events: { windows: number; pages: number; records: number; maxReceivedAt: string | null };
}

export async function planEngagement(event: unknown, deps: Deps): Promise<EngagementPlan> {
  const e = asObject(event);
  const runId = str(e, 'runId', { pattern: RUN_ID });
  date(e, 'ingestDate');
  const changedKey = str(e, 'changedKey', {});
  const eventsManifest = mapSkipped(e.eventsResult) ? undefined : resultWriterKey(e.eventsResult, 'eventsResult');
  const { store, config } = deps;

  const manifest = await getJson<PlanManifest>(store, runKey(runId, 'manifest.json'));
  const previous: Watermarks | undefined = manifest?.value.previousWatermarks ?? undefined;
  const since = previous?.events?.maxReceivedAt ?? null;
  const replayOf = manifest?.value.replay?.of;

  const results = eventsManifest === undefined ? NO_RESULTS : await readMapResults(store, eventsManifest);
  // A replay sees what the original's event windows saw too (it only re-fetched the ones that failed).
  const original = replayOf ? await latestMapResults(store, runKey(replayOf, 'map-results/events')) : undefined;
  // Window after window (one summary in memory at a time), keeping only what the plan needs: the medias and
  // visitors active since the last run, the newest event, and the counts.
  const changed = (await getJson<ChangedMedia[]>(store, changedKey))?.value ?? [];
  const medias = new Set<string>(changed.map((m) => m.hashed_id));
  const visitors = new Set<string>();
  let pages = 0;
  let records = 0;
  let maxReceivedAt = since;
  for (const r of [...results.succeeded, ...(original?.succeeded ?? [])]) {
    const o = asObject(r.output, 'events item output');
    pages += typeof o.pages === 'number' ? o.pages : 0;
    const seen = await readSeen(store, str(o, 'seenKey', {}));
    records += seen.events;
    for (const [id, [, at]] of Object.entries(seen.medias)) {
      if (!maxReceivedAt || at > maxReceivedAt) maxReceivedAt = at;
      if (since === null || at > since) medias.add(id);
    }
    for (const [k, at] of Object.entries(seen.visitors)) if (since === null || at > since) visitors.add(k);
  }
  for (const id of previous?.carryOver?.medias ?? []) medias.add(id);
  for (const k of previous?.carryOver?.visitors ?? []) visitors.add(k);

  let estimatedTotal = Math.max(previous?.visitors?.estimatedTotal ?? 0, visitors.size);
  let scanRequests = Math.floor(estimatedTotal / 100) + 1;
  let lookupRequests = visitors.size;
  let mode: EngagementPlan['visitors']['mode'] =
    visitors.size === 0 ? 'none' : lookupRequests <= scanRequests ? 'lookup' : 'scan';

  // A replay whose original got as far as planning this: the original's items that did not succeed.
  const originalPlan = replayOf
    ? await getJson<EngagementPlan>(store, engagementPlanKey(replayOf)).then((r) => r?.value)
    : undefined;
  if (replayOf && originalPlan) {
    const items = await requireJson<{ hashed_id: string }[]>(
      store,
      originalPlan.engagement.key,
      `the engagement items of "${replayOf}"`,
    );
    const done = succeededKeys(
      await latestMapResults(store, runKey(replayOf, 'map-results/engagement')),
      (input) => (input as { media?: { hashed_id?: string } } | undefined)?.media?.hashed_id,
    );
    medias.clear();
    for (const m of items) if (!done.has(m.hashed_id)) medias.add(m.hashed_id);
    visitors.clear();
    ({ mode, estimatedTotal, scanRequests } = originalPlan.visitors);
    if (mode === 'lookup') {
      const keys = await requireJson<string[]>(store, originalPlan.visitors.key, `the visitor keys of "${replayOf}"`);
      const doneBatches = await latestMapResults(store, runKey(replayOf, 'map-results/visitors'));
      const fetched = new Set<string>();
      for (const r of doneBatches?.succeeded ?? []) {
        const batch = (r.input as { Items?: unknown } | undefined)?.Items;
        if (Array.isArray(batch)) for (const k of batch) if (typeof k === 'string') fetched.add(k);
      }
      for (const k of keys) if (!fetched.has(k)) visitors.add(k);
      if (visitors.size === 0) mode = 'none';
    } else if (mode === 'scan' && manifest?.value.replay?.committed) mode = 'none'; // the scan finished
    lookupRequests = visitors.size;
  }

  const engagementKey = runKey(runId, 'items/engagement.json');
  const visitorsKey = runKey(runId, 'items/visitors.json');
  await putJson(
    store,
    engagementKey,
    [...medias].sort().map((hashed_id) => ({ hashed_id })),
  );
  await putJson(store, visitorsKey, mode === 'lookup' ? [...visitors].sort() : []);
  const batches = Math.ceil(visitors.size / config.visitorBatchSize);
  const out: EngagementPlan = {
    engagement: {
      bucket: store.bucket,
      key: engagementKey,
      count: medias.size,
      ...perItemBudget(config, medias.size),
      toleratedFailurePercentage: config.toleratedFailurePercentage,
    },
    visitors: {
      mode,
      bucket: store.bucket,
      key: visitorsKey,
      count: visitors.size,
      batchSize: config.visitorBatchSize,
      ...(mode === 'scan'
        ? { maxConcurrency: 1, requestsPerMinute: config.accountRequestsPerMinute }
        : perItemBudget(config, batches)),
      toleratedFailurePercentage: config.toleratedFailurePercentage,
      lookupRequests,
      scanRequests,
      estimatedTotal,
    },
    events: { windows: results.succeeded.length, pages, records, maxReceivedAt },
  };
  await putJson(store, engagementPlanKey(runId), out);
  logger.info('planned engagement and visitors', {
    runId,
    medias: medias.size,
    visitors: visitors.size,
    visitorMode: mode,
  });
  return out;
}

export const makeHandler = (deps: Deps) => wrap((event) => planEngagement(event, deps));
