// Plan the run: take the run lease (before any Wistia request: a second execution beside a running one stops
// here), load the watermarks, list medias by `updated` (newest first, stopping past the watermark minus an
// overlap; a full scan on the first run), land those pages as bronze, and write the window manifest the events
// map reads (its count tells the state machine whether to start that map at all).
import { putJson } from '../shared/store/store.ts';
import { perItemBudget } from '../shared/pipeline/config.ts';
import type { Deps } from '../shared/pipeline/deps.ts';
import { asObject, date, RUN_ID, str } from '../shared/pipeline/input.ts';
import { runKey } from '../shared/pipeline/keys.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { readWatermarks, type Watermarks } from '../shared/pipeline/watermarks.ts';
import { backfillWindows, incrementalWindows, type Window } from '../shared/pipeline/windows.ts';
import {
  committedKey,
  latestMapResults,
  replayTarget,
  requireJson,
  succeededKeys,
  type ReplayInfo,
} from '../shared/pipeline/replay.ts';
import { getJson } from '../shared/store/store.ts';
import { InvalidInputError } from '../shared/pipeline/input.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { acquireLease, type LeaseHolder, type LeaseRef } from '../shared/pipeline/lease.ts';
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
  readonly mode: 'backfill' | 'incremental' | 'replay';
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
  /** The runs whose bronze the transform reads (comma-separated): this one, and a replayed one's. */
  readonly bronzeRuns: string;
  /** Set when this execution replays another one's failed items. */
  readonly replay?: ReplayInfo;
  /** The run lease this execution holds (the commit releases it). */
  readonly lease: LeaseRef;
}

/** The plan manifest each run writes (runs/<run>/manifest.json). */
export type PlanManifest = Omit<PlanOutput, 'windows'> & {
  readonly startedAt: string;
  readonly fullRefresh: boolean;
  readonly previousWatermarks: Watermarks | null;
  readonly windows: PlanOutput['windows'] & { readonly items: Window[] };
};

/** $$.Execution.Id: arn:<partition>:states:<region>:<account>:execution:<state machine>:<name> */
export const EXECUTION_ARN =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_.-]{1,80}:[A-Za-z0-9_.-]{1,80}$/;
/**
 * EventBridge Scheduler's <aws.scheduler.scheduled-time>, e.g. 2022-03-22T18:59:43Z
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 */
const SCHEDULED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The run's day: `today` when given, else the schedule's time (UTC), else the execution's start (UTC). */
function runDay(options: Record<string, unknown>, startedAt: string): string {
  const today = date(options, 'today', { optional: true });
  if (today) return today;
  const scheduled = str(options, 'scheduledTime', { optional: true, pattern: SCHEDULED_TIME });
  if (scheduled !== undefined) {
    const t = Date.parse(scheduled);
    if (Number.isNaN(t)) throw new InvalidInputError(`scheduledTime: "${scheduled}" is not a time`);
    return new Date(t).toISOString().slice(0, 10);
  }
  const t = Date.parse(startedAt);
  if (Number.isNaN(t)) throw new InvalidInputError(`startedAt: "${startedAt.slice(0, 60)}" is not a time`);
  return new Date(t).toISOString().slice(0, 10);
}

export async function plan(event: unknown, deps: Deps): Promise<PlanOutput> {
  const e = asObject(event);
  const runId = str(e, 'executionName', { pattern: RUN_ID });
  const executionArn = str(e, 'executionArn', { pattern: EXECUTION_ARN });
  if (executionArn.split(':').pop() !== runId)
    throw new InvalidInputError(`executionArn: "${executionArn}" is not the ARN of execution "${runId}"`);
  const startedAt = str(e, 'startedAt', {});
  const options = e.options === undefined || e.options === null ? {} : asObject(e.options, 'options');
  const today = runDay(options, startedAt);
  const fullRefresh = options.fullRefresh === true;
  const { store, config } = deps;
  const replayOf = options.replay === undefined ? undefined : replayTarget(options.replay);
  // First, before any request: the lease (replays take it too: they spend the same budget).
  const holder: LeaseHolder = { executionArn, executionName: runId, startedAt };
  const lease = await acquireLease(deps, holder);
  if (lease.takenOverFrom)
    logger.info('took the run lease over', {
      runId,
      from: lease.takenOverFrom.executionArn,
      status: lease.takenOverFrom.status,
    });
  if (replayOf !== undefined) return planReplay(runId, startedAt, replayOf, deps, lease);

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
      findings: page.findings,
      records: page.body,
    });
    let pastWatermark = false;
    for (const m of page.body) {
      // an unparseable `updated` must not stop the listing: the media is left for the transform to quarantine
      const at = typeof m.updated === 'string' ? Date.parse(m.updated) : Number.NaN;
      const updated = Number.isNaN(at) ? null : new Date(at).toISOString();
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
    bronzeRuns: runId,
    lease,
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

/**
 * A replay's plan: the original's day, range and medias, and of its event windows only those that did not
 * succeed. An original that never committed must still be the latest word on the watermarks (else a later run
 * has covered its days and there is nothing left to replay).
 */
async function planReplay(
  runId: string,
  startedAt: string,
  of: string,
  deps: Deps,
  lease: LeaseRef,
): Promise<PlanOutput> {
  const { store, config } = deps;
  const original = await requireJson<PlanManifest>(
    store,
    runKey(of, 'manifest.json'),
    `the plan of execution "${of}" (it failed before planning, or is not in this store: start a normal run)`,
  );
  if (original.replay)
    throw new InvalidInputError(`replay: "${of}" is itself a replay of "${original.replay.of}": replay that one`);
  const committed = (await getJson(store, committedKey(of))) !== undefined;
  const wm = await readWatermarks(store);
  if (!committed && wm.etag !== original.watermarksEtag)
    throw new InvalidInputError(
      `replay: a later run committed after "${of}" failed (its last run is ${wm.value?.lastRun?.runId ?? 'unknown'}): ` +
        `that run covered "${of}"'s days, there is nothing left to replay`,
    );
  const done = succeededKeys(await latestMapResults(store, original.resultPrefixes.events), (input) => {
    const w = (input as { window?: Window } | undefined)?.window;
    return w ? `${w.start}/${w.end}` : undefined;
  });
  const windows = original.windows.items.filter((w) => !done.has(`${w.start}/${w.end}`));
  const windowsKey = runKey(runId, 'items/windows.json');
  await putJson(store, windowsKey, windows);
  const replay: ReplayInfo = { of, committed };
  const out: PlanOutput = {
    runId,
    today: original.today,
    ingestDate: original.ingestDate,
    mode: 'replay',
    watermarksEtag: committed ? wm.etag : original.watermarksEtag,
    windows: { bucket: store.bucket, key: windowsKey, count: windows.length },
    range: original.range,
    events: { ...perItemBudget(config, Math.max(1, windows.length)), toleratedFailurePercentage: 0 },
    medias: { ...original.medias, pages: 0, listed: 0 },
    resultPrefixes: {
      events: runKey(runId, 'map-results/events'),
      engagement: runKey(runId, 'map-results/engagement'),
      visitors: runKey(runId, 'map-results/visitors'),
    },
    requests: 0,
    // The original's bronze too: the replayed items' daily rows take their engagement and visitors from that
    // day's events, which the original fetched (a re-read of what is loaded already changes no row).
    bronzeRuns: `${of},${runId}`,
    replay,
    lease,
  };
  await putJson(store, runKey(runId, 'manifest.json'), {
    ...out,
    startedAt,
    fullRefresh: false,
    previousWatermarks: original.previousWatermarks,
    windows: { ...out.windows, items: windows },
  });
  logger.info('planned a replay', { runId, of, committed, windows: windows.length });
  return out;
}

export const makeHandler = (deps: Deps) => wrap((event) => plan(event, deps));
