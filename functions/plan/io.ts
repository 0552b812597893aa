// The plan's reads and writes: the lease, what the plan decides from (a day's watermarks and media listing, each
// page landed as bronze as it comes; or the record of the execution a replay replays), and the plan's items and
// manifest.
import type { Deps } from '../shared/pipeline/deps.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { InvalidInputError } from '../shared/pipeline/input.ts';
import { committedKey, engagementPlanKey, runKey, type Entity } from '../shared/pipeline/keys.ts';
import { acquireLease, type LeaseHolder, type LeaseRef } from '../shared/pipeline/lease.ts';
import { latestMapResults } from '../shared/pipeline/map-results.ts';
import type { ChangedMedia, EngagementPlan, PlanInput, PlanOutput } from '../shared/pipeline/payloads.ts';
import {
  addMediaPage,
  mediaBounds,
  mediaListingAhead,
  plannedFrom,
  startMediaScan,
  type DayInputs,
  type MediaBounds,
  type MediaScan,
  type PlanInputs,
  type PlanManifest,
} from '../shared/pipeline/planning/plan.ts';
import {
  addProjectPage,
  projectBounds,
  startProjectScan,
  type ProjectBounds,
  type ProjectScan,
} from '../shared/pipeline/planning/projects.ts';
import type { OriginalEngagement, ReplayRecord } from '../shared/pipeline/planning/replay.ts';
import { readWatermarks } from '../shared/pipeline/watermarks.ts';
import { logger } from '../shared/powertools.ts';
import { getJson, putJson, type ObjectStore } from '../shared/store/store.ts';
import type { Json, Page, WistiaClient } from '../shared/wistia/client.ts';
import type { PageAhead } from '../shared/wistia/paging.ts';

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

/** A listing by `updated`, newest first, each page landed as bronze as it comes, until a page reaches back past the
 * bounds' `since` (`add` folds a page into the scan and says so). */
async function landListing<S extends { readonly pastWatermark: boolean }>(
  store: ObjectStore,
  pages: AsyncGenerator<Page<Json>>,
  at: { readonly entity: Entity; readonly runId: string; readonly today: string; readonly since: string | null },
  scan: S,
  add: (scan: S, records: readonly unknown[]) => S,
): Promise<S> {
  for await (const page of pages) {
    await writeBronze(store, {
      entity: at.entity,
      runId: at.runId,
      ingestDate: at.today,
      scopeKey: 'all',
      scope: { sortBy: 'updated', since: at.since },
      page: page.page,
      request: page.request,
      drift: page.drift,
      findings: page.findings,
      records: page.body,
    });
    scan = add(scan, page.body);
    if (scan.pastWatermark) break;
  }
  return scan;
}

/** Medias, newest update first, each page landed; stops once a page ends before the watermark minus the overlap. */
export function listChangedMedias(
  store: ObjectStore,
  client: WistiaClient,
  at: { readonly runId: string; readonly today: string; readonly bounds: MediaBounds; readonly ahead?: PageAhead },
): Promise<MediaScan> {
  const pages = client.listMediasPages({ sort_by: 'updated', sort_direction: 0 }, at.ahead);
  const where = { entity: 'medias' as const, runId: at.runId, today: at.today, since: at.bounds.since };
  return landListing(store, pages, where, startMediaScan(at.bounds), (s, r) => addMediaPage(s, r, at.bounds));
}

/** Projects (folders), newest update first, each page landed; stops as the media listing does (planning/projects.ts). */
export function listChangedProjects(
  store: ObjectStore,
  client: WistiaClient,
  at: { readonly runId: string; readonly today: string; readonly bounds: ProjectBounds },
): Promise<ProjectScan> {
  const pages = client.listProjectsPages({ sort_by: 'updated', sort_direction: 0 });
  const where = { entity: 'projects' as const, runId: at.runId, today: at.today, since: at.bounds.since };
  return landListing(store, pages, where, startProjectScan(at.bounds), (s, r) => addProjectPage(s, r, at.bounds));
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

/** The watermarks, then the medias and projects changed since them (the listings' requests spend the run's budget). */
async function loadDay(
  deps: Deps,
  run: { readonly runId: string; readonly today: string; readonly fullRefresh: boolean },
): Promise<DayInputs> {
  const { store, config } = deps;
  const watermarks = await readWatermarks(store);
  const from = plannedFrom({ fullRefresh: run.fullRefresh, watermarks });
  const bounds = mediaBounds(from, config.mediasOverlapMinutes);
  const client = deps.wistia(config.accountRequestsPerMinute);
  // the projects first (one page for most accounts), with the medias' overlap: their `updated` is offset-paged
  // the same way; on a full listing their media counts size the media listing's page-ahead
  const projectsAt = { ...run, bounds: projectBounds(from, config.mediasOverlapMinutes) };
  const projects = await listChangedProjects(store, client, projectsAt);
  const ahead = mediaListingAhead(bounds, projects);
  const medias = await listChangedMedias(store, client, { ...run, bounds, ahead });
  return { fullRefresh: run.fullRefresh, watermarks, medias, projects, requests: client.metrics.requests };
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
    projectPages: output.projects.pages,
    windows: output.windows.count,
  });
  return output;
}
