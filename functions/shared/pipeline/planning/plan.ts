// The run's plan, decided over plain data (no store, no client, no clock): the run's day, the medias changed
// since the watermark (page after page of the listing, newest update first), the event windows, and the plan a
// run carries: a day's here, a replay's from planning/replay.ts (planRun picks). The plan handler loads, calls
// these, and saves.
import { perItemBudget, type PipelineConfig } from '../config.ts';
import { InvalidInputError } from '../input.ts';
import { runKey } from '../keys.ts';
import type { LeaseRef } from '../lease.ts';
import type { ChangedMedia, PlanOutput } from '../payloads.ts';
import { overlapBounds, type Watermarks } from '../watermarks.ts';
import { backfillWindows, incrementalWindows, type Window } from '../windows.ts';
import type { EngagementInputs } from './engagement.ts';
import { projectsOutput, type ProjectScan } from './projects.ts';
import { planReplay, type ReplayRecord } from './replay.ts';
import { listingPages, NO_PAGE_AHEAD, PAGE_AHEAD_WINDOW, type PageAhead } from '../../wistia/paging.ts';

/** The plan manifest each run writes (runs/<run>/manifest.json). */
export type PlanManifest = Omit<PlanOutput, 'windows'> & {
  readonly startedAt: string;
  readonly fullRefresh: boolean;
  readonly previousWatermarks: Watermarks | null;
  readonly windows: PlanOutput['windows'] & { readonly items: Window[] };
  /** What the engagement planner starts from besides this run's own events map. */
  readonly engagementInputs: EngagementInputs;
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

export const mediaBounds = (previous: Watermarks | undefined, overlapMinutes: number): MediaBounds =>
  overlapBounds(previous?.medias?.maxUpdated ?? null, overlapMinutes);

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

/**
 * How far the media listing pages ahead: on a full listing (a first run, a full refresh), through the last page
 * the projects' media counts imply, a few pages at a time; an incremental listing stops at the watermark, most
 * often on page 1, so it asks one page at a time (a speculative page there would be wasted every day).
 */
export function mediaListingAhead(
  bounds: MediaBounds,
  projects: Pick<ProjectScan, 'mediaCount' | 'pastWatermark'>,
): PageAhead {
  const full = bounds.since === null && !projects.pastWatermark;
  return full && projects.mediaCount > 0
    ? { through: listingPages(projects.mediaCount), window: PAGE_AHEAD_WINDOW }
    : NO_PAGE_AHEAD;
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

/** Where a run keeps its items (the store's bucket and the keys under runs/<run>/) and its maps' results. */
export interface RunPlaces {
  readonly bucket: string;
  readonly windowsKey: string;
  readonly changedKey: string;
  readonly resultPrefixes: PlanOutput['resultPrefixes'];
}

export const runPlaces = (runId: string, bucket: string): RunPlaces => ({
  bucket,
  windowsKey: runKey(runId, 'items/windows.json'),
  changedKey: runKey(runId, 'medias-changed.json'),
  resultPrefixes: {
    events: runKey(runId, 'map-results/events'),
    engagement: runKey(runId, 'map-results/engagement'),
    visitors: runKey(runId, 'map-results/visitors'),
  },
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
  readonly projects: ProjectScan;
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
    projects: projectsOutput(i.projects),
    resultPrefixes: places.resultPrefixes,
    requests: i.requests,
    bronzeRuns: runId,
    watermarkPolicy: { mode: 'advance' },
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
      engagementInputs: { eventResults: [] },
    },
  };
}

/** What a day's plan decides from: the watermarks, the media and project listings and the requests they took. */
export interface DayInputs {
  readonly fullRefresh: boolean;
  readonly watermarks: { readonly value: Watermarks | undefined; readonly etag: string | null };
  readonly medias: MediaScan;
  readonly projects: ProjectScan;
  readonly requests: number;
}

/** The watermarks a day plans from: none on a full refresh (it starts over, as a first run does). */
export const plannedFrom = (d: Pick<DayInputs, 'fullRefresh' | 'watermarks'>): Watermarks | undefined =>
  d.fullRefresh ? undefined : d.watermarks.value;

/** What the plan decides from: a day's inputs, or the record of the execution a replay replays. */
export type PlanInputs = { readonly day: DayInputs } | { readonly replay: ReplayRecord };

/** A run's plan and manifest, and the changed medias it lists (a replay lists none: it keeps its original's). */
export function planRun(i: {
  readonly runId: string;
  readonly startedAt: string;
  readonly today: string;
  readonly places: RunPlaces;
  readonly lease: LeaseRef;
  readonly config: PipelineConfig;
  readonly inputs: PlanInputs;
}): { output: PlanOutput; manifest: PlanManifest; changed?: readonly ChangedMedia[] } {
  const { inputs, ...run } = i;
  if ('replay' in inputs) return planReplay({ ...run, record: inputs.replay });
  const { day } = inputs;
  const { mode, windows } = chooseWindows(plannedFrom(day), i.today, i.config);
  return { ...dailyPlan({ ...run, ...day, mode, windows }), changed: day.medias.changed };
}
