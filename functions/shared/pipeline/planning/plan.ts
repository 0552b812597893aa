// The run's plan, decided over plain data (no store, no client, no clock): the run's day, the medias changed
// since the watermark (page after page of the listing, newest update first), the event windows, and a replay's
// windows (the original's minus the ones that succeeded). The plan handler loads, calls these, and saves.
import { perItemBudget, type PipelineConfig } from '../config.ts';
import { InvalidInputError } from '../input.ts';
import { runKey } from '../keys.ts';
import type { LeaseRef } from '../lease.ts';
import type { ChangedMedia, PlanOutput, ReplayInfo } from '../payloads.ts';
import type { Watermarks } from '../watermarks.ts';
import { backfillWindows, incrementalWindows, type Window } from '../windows.ts';

/** The plan manifest each run writes (runs/<run>/manifest.json). */
export type PlanManifest = Omit<PlanOutput, 'windows'> & {
  readonly startedAt: string;
  readonly fullRefresh: boolean;
  readonly previousWatermarks: Watermarks | null;
  readonly windows: PlanOutput['windows'] & { readonly items: Window[] };
};

const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The run's day: `today` when given, else the schedule's time (UTC), else the execution's start (UTC). */
export function runDay(i: { today?: string | null; scheduledTime?: string | null; startedAt: string }): string {
  if (i.today) return i.today;
  if (i.scheduledTime) return utcDay(Date.parse(i.scheduledTime));
  const t = Date.parse(i.startedAt);
  if (Number.isNaN(t)) throw new InvalidInputError(`startedAt: "${i.startedAt.slice(0, 60)}" is not a time`);
  return utcDay(t);
}

/** Where the media listing stops: the watermark minus the overlap (null: the first run lists everything). */
export interface MediaBounds {
  readonly since: string | null;
  /** The media watermark: only medias updated after it count as changed. */
  readonly watermark: string | null;
}

export function mediaBounds(previous: Watermarks | undefined, overlapMinutes: number): MediaBounds {
  const wm = previous?.medias?.maxUpdated ?? null;
  return {
    since: wm === null ? null : new Date(Date.parse(wm) - overlapMinutes * 60_000).toISOString(),
    watermark: wm,
  };
}

/** The media listing so far. */
export interface MediaScan {
  readonly pages: number;
  readonly listed: number;
  readonly changed: readonly ChangedMedia[];
  readonly maxUpdated: string | null;
  /** A page ended before `since`: the listing stops. */
  readonly pastWatermark: boolean;
}

export const startMediaScan = (bounds: MediaBounds): MediaScan => ({
  pages: 0,
  listed: 0,
  changed: [],
  maxUpdated: bounds.watermark,
  pastWatermark: false,
});

/** The scan after one more page of medias (newest update first). */
export function addMediaPage(scan: MediaScan, records: readonly unknown[], bounds: MediaBounds): MediaScan {
  const changed: ChangedMedia[] = [];
  let { maxUpdated } = scan;
  let pastWatermark = false;
  for (const r of records) {
    const m = r !== null && typeof r === 'object' ? (r as Record<string, unknown>) : {};
    // an unparseable `updated` must not stop the listing: the media is left for the transform to quarantine
    const at = typeof m.updated === 'string' ? Date.parse(m.updated) : Number.NaN;
    const updated = Number.isNaN(at) ? null : new Date(at).toISOString();
    if (typeof m.hashed_id !== 'string' || !updated) continue; // the transform quarantines it from bronze
    if (bounds.since !== null && updated < bounds.since) {
      pastWatermark = true;
      continue;
    }
    // Pages in the overlap are landed again (offset paging under concurrent updates), but only medias
    // updated after the watermark count as changed.
    if (bounds.watermark !== null && updated <= bounds.watermark) continue;
    changed.push({ hashed_id: m.hashed_id, updated, created: typeof m.created === 'string' ? m.created : null });
    if (!maxUpdated || updated > maxUpdated) maxUpdated = updated;
  }
  return {
    pages: scan.pages + 1,
    listed: scan.listed + records.length,
    changed: changed.length ? [...scan.changed, ...changed] : scan.changed,
    maxUpdated,
    pastWatermark,
  };
}

/** The event windows: the days since the events watermark, or the backfill's wide windows on a first run. */
export function chooseWindows(
  previous: Watermarks | undefined,
  today: string,
  config: Pick<PipelineConfig, 'backfillWindowDays' | 'backfillStartDate'>,
): { mode: 'incremental' | 'backfill'; windows: Window[] } {
  return previous?.events
    ? { mode: 'incremental', windows: incrementalWindows(previous.events.throughDay, today) }
    : { mode: 'backfill', windows: backfillWindows(today, config.backfillWindowDays, config.backfillStartDate) };
}

export const windowKey = (w: Window) => `${w.start}/${w.end}`;

export const resultPrefixes = (runId: string): PlanOutput['resultPrefixes'] => ({
  events: runKey(runId, 'map-results/events'),
  engagement: runKey(runId, 'map-results/engagement'),
  visitors: runKey(runId, 'map-results/visitors'),
});

/** Where a run keeps its items (the store's bucket and the keys under runs/<run>/). */
export interface RunPlaces {
  readonly bucket: string;
  readonly windowsKey: string;
  readonly changedKey: string;
}

export const runPlaces = (runId: string, bucket: string): RunPlaces => ({
  bucket,
  windowsKey: runKey(runId, 'items/windows.json'),
  changedKey: runKey(runId, 'medias-changed.json'),
});

/** A new day's plan (not a replay) and the manifest that records it. */
export function dailyPlan(i: {
  readonly runId: string;
  readonly startedAt: string;
  readonly today: string;
  readonly fullRefresh: boolean;
  readonly watermarks: { readonly value: Watermarks | undefined; readonly etag: string | null };
  readonly mode: 'incremental' | 'backfill';
  readonly windows: Window[];
  readonly medias: MediaScan;
  readonly requests: number;
  readonly places: RunPlaces;
  readonly lease: LeaseRef;
  readonly config: PipelineConfig;
}): { output: PlanOutput; manifest: PlanManifest } {
  const { runId, today, windows, medias, places } = i;
  const output: PlanOutput = {
    runId,
    today,
    ingestDate: today,
    mode: i.mode,
    watermarksEtag: i.watermarks.etag,
    windows: { bucket: places.bucket, key: places.windowsKey, count: windows.length },
    range: { start: windows[0]?.start ?? today, end: today },
    events: { ...perItemBudget(i.config, windows.length), toleratedFailurePercentage: 0 },
    medias: {
      pages: medias.pages,
      listed: medias.listed,
      changed: medias.changed.length,
      changedKey: places.changedKey,
      maxUpdated: medias.maxUpdated,
    },
    resultPrefixes: resultPrefixes(runId),
    requests: i.requests,
    bronzeRuns: runId,
    lease: i.lease,
  };
  return {
    output,
    manifest: {
      ...output,
      startedAt: i.startedAt,
      fullRefresh: i.fullRefresh,
      previousWatermarks: i.watermarks.value ?? null,
      windows: { ...output.windows, items: windows },
    },
  };
}

/**
 * Whether `original` can be replayed: not a replay itself, and, if it never committed, still the latest word on
 * the watermarks (else a later run has covered its days and there is nothing left to replay).
 */
export function checkReplayable(
  of: string,
  original: Pick<PlanManifest, 'replay' | 'watermarksEtag'>,
  current?: {
    readonly committed: boolean;
    readonly watermarks: { value: Watermarks | undefined; etag: string | null };
  },
): void {
  if (original.replay)
    throw new InvalidInputError(`replay: "${of}" is itself a replay of "${original.replay.of}": replay that one`);
  if (current && !current.committed && current.watermarks.etag !== original.watermarksEtag)
    throw new InvalidInputError(
      `replay: a later run committed after "${of}" failed (its last run is ${current.watermarks.value?.lastRun?.runId ?? 'unknown'}): ` +
        `that run covered "${of}"'s days, there is nothing left to replay`,
    );
}

/**
 * A replay's plan: the original's day, range and medias, and of its event windows only those that did not
 * succeed (`succeeded`: their windowKey).
 */
export function replayPlan(i: {
  readonly runId: string;
  readonly startedAt: string;
  readonly of: string;
  readonly original: PlanManifest;
  readonly committed: boolean;
  readonly watermarksEtag: string | null;
  readonly succeeded: ReadonlySet<string>;
  readonly places: RunPlaces;
  readonly lease: LeaseRef;
  readonly config: PipelineConfig;
}): { output: PlanOutput; manifest: PlanManifest } {
  const { runId, of, original, committed, places } = i;
  checkReplayable(of, original);
  const windows = original.windows.items.filter((w) => !i.succeeded.has(windowKey(w)));
  const replay: ReplayInfo = { of, committed };
  const output: PlanOutput = {
    runId,
    today: original.today,
    ingestDate: original.ingestDate,
    mode: 'replay',
    watermarksEtag: committed ? i.watermarksEtag : original.watermarksEtag,
    windows: { bucket: places.bucket, key: places.windowsKey, count: windows.length },
    range: original.range,
    events: { ...perItemBudget(i.config, Math.max(1, windows.length)), toleratedFailurePercentage: 0 },
    medias: { ...original.medias, pages: 0, listed: 0 },
    resultPrefixes: resultPrefixes(runId),
    requests: 0,
    // The original's bronze too: the replayed items' daily rows take their engagement and visitors from that
    // day's events, which the original fetched (a re-read of what is loaded already changes no row).
    bronzeRuns: `${of},${runId}`,
    replay,
    lease: i.lease,
  };
  return {
    output,
    manifest: {
      ...output,
      startedAt: i.startedAt,
      fullRefresh: false,
      previousWatermarks: original.previousWatermarks,
      windows: { ...output.windows, items: windows },
    },
  };
}
