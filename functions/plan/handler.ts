// Plan the run: load the watermarks, list medias by `updated` (newest first, stopping past the watermark
// minus an overlap; a full scan on the first run), land those pages as bronze, and write the window manifest
// the events map reads.
import { putJson } from '../shared/store/store.ts';
import { perItemBudget } from '../shared/pipeline/config.ts';
import type { Deps } from '../shared/pipeline/deps.ts';
import { asObject, date, RUN_ID, str } from '../shared/pipeline/input.ts';
import { runKey } from '../shared/pipeline/keys.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { readWatermarks } from '../shared/pipeline/watermarks.ts';
import { backfillWindows, incrementalWindows } from '../shared/pipeline/windows.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { logger } from '../shared/powertools.ts';

export interface ChangedMedia {
  readonly hashed_id: string;
  readonly updated: string;
  readonly created: string | null;
}

export interface PlanOutput {
  readonly runId: string;
  readonly today: string;
  readonly ingestDate: string;
  readonly mode: 'backfill' | 'incremental';
  readonly watermarksEtag: string | null;
  readonly windows: { readonly bucket: string; readonly key: string; readonly count: number };
  /** The days this run covers (first window's start to today): the range of the stats by date. */
  readonly range: { readonly start: string; readonly end: string };
  readonly events: {
    readonly maxConcurrency: number;
    readonly requestsPerMinute: number;
    readonly toleratedFailurePercentage: number;
  };
  readonly medias: {
    readonly pages: number;
    readonly listed: number;
    readonly changed: number;
    readonly changedKey: string;
    readonly maxUpdated: string | null;
  };
  /** Where each Distributed Map's ResultWriter puts its manifests. */
  readonly resultPrefixes: { readonly events: string; readonly engagement: string; readonly visitors: string };
  readonly requests: number;
}

export async function plan(event: unknown, deps: Deps): Promise<PlanOutput> {
  const e = asObject(event);
  const runId = str(e, 'executionName', { pattern: RUN_ID });
  const startedAt = str(e, 'startedAt', {});
  const options = e.options === undefined || e.options === null ? {} : asObject(e.options, 'options');
  const today = date(options, 'today', { optional: true }) ?? new Date(startedAt).toISOString().slice(0, 10);
  const fullRefresh = options.fullRefresh === true;
  const { store, config } = deps;

  const wm = await readWatermarks(store);
  const previous = fullRefresh ? undefined : wm.value;
  const mode = previous?.events ? 'incremental' : 'backfill';

  // Medias, newest update first; stop once a page ends before the watermark minus the overlap.
  const client = deps.wistia(config.accountRequestsPerMinute);
  const since = previous?.medias
    ? new Date(Date.parse(previous.medias.maxUpdated) - config.mediasOverlapMinutes * 60_000).toISOString()
    : null;
  const changed: ChangedMedia[] = [];
  let pages = 0;
  let listed = 0;
  let maxUpdated = previous?.medias?.maxUpdated ?? null;
  for await (const page of client.listMediasPages({ sort_by: 'updated', sort_direction: 0 })) {
    pages++;
    listed += page.body.length;
    await writeBronze(store, {
      entity: 'medias',
      runId,
      ingestDate: today,
      scopeKey: 'all',
      scope: { sortBy: 'updated', since },
      page: page.page,
      request: page.request,
      drift: page.drift,
      records: page.body,
    });
    let pastWatermark = false;
    for (const m of page.body) {
      const updated = typeof m.updated === 'string' ? new Date(m.updated).toISOString() : null;
      if (typeof m.hashed_id !== 'string' || !updated) continue; // the transform quarantines it from bronze
      if (since !== null && updated < since) {
        pastWatermark = true;
        continue;
      }
      // Pages in the overlap are landed again (offset paging under concurrent updates), but only medias
      // updated after the watermark count as changed.
      if (previous?.medias && updated <= previous.medias.maxUpdated) continue;
      changed.push({ hashed_id: m.hashed_id, updated, created: typeof m.created === 'string' ? m.created : null });
      if (!maxUpdated || updated > maxUpdated) maxUpdated = updated;
    }
    if (pastWatermark) break;
  }

  const windows = previous?.events
    ? incrementalWindows(previous.events.throughDay, today)
    : backfillWindows(today, config.backfillWindowDays, config.backfillStartDate);
  const windowsKey = runKey(runId, 'items/windows.json');
  const changedKey = runKey(runId, 'medias-changed.json');
  await putJson(store, windowsKey, windows);
  await putJson(store, changedKey, changed);
  const budget = perItemBudget(config, windows.length);
  const out: PlanOutput = {
    runId,
    today,
    ingestDate: today,
    mode,
    watermarksEtag: wm.etag,
    windows: { bucket: store.bucket, key: windowsKey, count: windows.length },
    range: { start: windows[0]?.start ?? today, end: today },
    events: { ...budget, toleratedFailurePercentage: 0 },
    medias: { pages, listed, changed: changed.length, changedKey, maxUpdated },
    resultPrefixes: {
      events: runKey(runId, 'map-results/events'),
      engagement: runKey(runId, 'map-results/engagement'),
      visitors: runKey(runId, 'map-results/visitors'),
    },
    requests: client.metrics.requests,
  };
  await putJson(store, runKey(runId, 'manifest.json'), {
    ...out,
    startedAt,
    fullRefresh,
    previousWatermarks: wm.value ?? null,
    windows: { ...out.windows, items: windows },
  });
  logger.info('planned run', {
    runId,
    mode,
    windows: windows.length,
    mediasChanged: changed.length,
    mediaPages: pages,
  });
  return out;
}

export const makeHandler = (deps: Deps) => wrap((event) => plan(event, deps));
