// The plan's reads and writes: the lease, what the plan decides from (a day's watermarks and media listing, each
// page landed as bronze as it comes; or the record of the execution a replay replays), and the plan's items and
// manifest.
import type { Deps } from '../shared/pipeline/deps.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { InvalidInputError } from '../shared/pipeline/input.ts';
import { committedKey, engagementPlanKey, runKey } from '../shared/pipeline/keys.ts';
import { acquireLease, type LeaseHolder, type LeaseRef } from '../shared/pipeline/lease.ts';
import { latestMapResults } from '../shared/pipeline/map-results.ts';
import type { ChangedMedia, EngagementPlan, PlanInput, PlanOutput } from '../shared/pipeline/payloads.ts';
import {
  addMediaPage,
  mediaBounds,
  plannedFrom,
  startMediaScan,
  type DayInputs,
  type MediaBounds,
  type MediaScan,
  type PlanInputs,
  type PlanManifest,
} from '../shared/pipeline/planning/plan.ts';
import type { OriginalEngagement, ReplayRecord } from '../shared/pipeline/planning/replay.ts';
import { readWatermarks } from '../shared/pipeline/watermarks.ts';
import { logger } from '../shared/powertools.ts';
import { getJson, putJson, type ObjectStore } from '../shared/store/store.ts';
import type { WistiaClient } from '../shared/wistia/client.ts';

export async function takeLease(deps: Deps, holder: LeaseHolder): Promise<LeaseRef> {
  const lease = await acquireLease(deps, holder);
  if (lease.takenOverFrom)
    logger.info('took the run lease over', {
      runId: holder.executionName,
      from: lease.takenOverFrom.executionArn,
      status: lease.takenOverFrom.status,
    });
  return lease;
}

/** Medias, newest update first, each page landed; stops once a page ends before the watermark minus the overlap. */
export async function listChangedMedias(
  store: ObjectStore,
  client: WistiaClient,
  at: { readonly runId: string; readonly today: string; readonly bounds: MediaBounds },
): Promise<MediaScan> {
  let scan = startMediaScan(at.bounds);
  for await (const page of client.listMediasPages({ sort_by: 'updated', sort_direction: 0 })) {
    await writeBronze(store, {
      entity: 'medias',
      runId: at.runId,
      ingestDate: at.today,
      scopeKey: 'all',
      scope: { sortBy: 'updated', since: at.bounds.since },
      page: page.page,
      request: page.request,
      drift: page.drift,
      findings: page.findings,
      records: page.body,
    });
    scan = addMediaPage(scan, page.body, at.bounds);
    if (scan.pastWatermark) break;
  }
  return scan;
}

/** What the plan decides from: a replay's record of the execution it replays, else the day's inputs. */
export async function loadPlanInputs(
  deps: Deps,
  run: { readonly runId: string; readonly today: string; readonly options: PlanInput['options'] },
): Promise<PlanInputs> {
  const { replay, fullRefresh } = run.options;
  if (replay !== undefined && replay !== null) return { replay: await loadReplayRecord(deps.store, replay) };
  return { day: await loadDay(deps, { ...run, fullRefresh: fullRefresh === true }) };
}

/** The watermarks, then the medias changed since them (the listing's requests spend the run's budget). */
async function loadDay(
  deps: Deps,
  run: { readonly runId: string; readonly today: string; readonly fullRefresh: boolean },
): Promise<DayInputs> {
  const { store, config } = deps;
  const watermarks = await readWatermarks(store);
  const bounds = mediaBounds(plannedFrom({ fullRefresh: run.fullRefresh, watermarks }), config.mediasOverlapMinutes);
  const client = deps.wistia(config.accountRequestsPerMinute);
  const medias = await listChangedMedias(store, client, { ...run, bounds });
  return { fullRefresh: run.fullRefresh, watermarks, medias, requests: client.metrics.requests };
}

async function requireJson<T>(store: ObjectStore, key: string, what: string): Promise<T> {
  const r = await getJson<T>(store, key);
  if (!r) throw new InvalidInputError(`replay: ${what} is missing (${key})`);
  return r.value;
}

/** The replayed execution's record: its plan, whether it committed, the watermarks, what its maps did. */
export async function loadReplayRecord(store: ObjectStore, of: string): Promise<ReplayRecord> {
  const original = await requireJson<PlanManifest>(
    store,
    runKey(of, 'manifest.json'),
    `the plan of execution "${of}" (it failed before planning, or is not in this store: start a normal run)`,
  );
  return {
    of,
    original,
    committed: (await getJson(store, committedKey(of))) !== undefined,
    watermarks: await readWatermarks(store),
    events: await latestMapResults(store, original.resultPrefixes.events),
    engagement: await loadOriginalEngagement(store, of, original),
  };
}

/** What the replayed execution planned for engagement and visitors, and its maps' results (if it got that far). */
async function loadOriginalEngagement(
  store: ObjectStore,
  of: string,
  original: PlanManifest,
): Promise<OriginalEngagement | undefined> {
  const plan = (await getJson<EngagementPlan>(store, engagementPlanKey(of)))?.value;
  if (!plan) return undefined;
  const items = await requireJson<{ hashed_id: string }[]>(
    store,
    plan.engagement.key,
    `the engagement items of "${of}"`,
  );
  const medias = items.map((m) => m.hashed_id);
  const mediaResults = await latestMapResults(store, original.resultPrefixes.engagement);
  if (plan.visitors.mode !== 'lookup') return { plan, medias, mediaResults };
  const visitors = await requireJson<string[]>(store, plan.visitors.key, `the visitor keys of "${of}"`);
  return {
    plan,
    medias,
    mediaResults,
    visitors,
    visitorResults: await latestMapResults(store, original.resultPrefixes.visitors),
  };
}

/** Writes the plan's items (its windows, the changed medias it listed) and its manifest; returns the plan. */
export async function savePlan(
  store: ObjectStore,
  planned: { readonly output: PlanOutput; readonly manifest: PlanManifest; readonly changed?: readonly ChangedMedia[] },
): Promise<PlanOutput> {
  const { output, manifest, changed } = planned;
  await putJson(store, output.windows.key, manifest.windows.items);
  if (changed) await putJson(store, output.medias.changedKey, changed);
  await putJson(store, runKey(output.runId, 'manifest.json'), manifest);
  logger.info('planned run', {
    runId: output.runId,
    mode: output.mode,
    replay: output.replay,
    mediasChanged: output.medias.changed,
    mediaPages: output.medias.pages,
    windows: output.windows.count,
  });
  return output;
}
