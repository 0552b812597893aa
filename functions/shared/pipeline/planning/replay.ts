// The replay planner: the one place a replay is decided (ADR 0010). A replay of execution X is a normal run whose
// plan comes from X's record (X's plan, what its maps did, whether it committed, the watermarks now) instead of
// the watermarks and a media listing. It emits the fields every run's plan has, and no handler after the plan asks
// whether it runs a replay:
// - the event windows to fetch: X's, minus the ones that succeeded (none left: the events map is skipped);
// - what the engagement planner starts from (`engagementInputs`): X's succeeded windows count as this run's own,
//   and, if X planned engagement, its engagement items and visitor keys that did not succeed are the items;
// - what the commit does with the watermarks (`watermarkPolicy`): advance them as X would have (X did not commit),
//   or, X having committed, only take the replayed items off the carry-over;
// - the bronze the transform reads: X's and its own.
import { perItemBudget, type PipelineConfig } from '../config.ts';
import { InvalidInputError } from '../input.ts';
import type { LeaseRef } from '../lease.ts';
import type { EngagementPlan, PlanOutput, ReplayInfo, WatermarkPolicy } from '../payloads.ts';
import type { Watermarks } from '../watermarks.ts';
import type { Window } from '../windows.ts';
import type { PlannedItems, VisitorChoice } from './engagement.ts';
import type { PlanManifest, RunPlaces } from './plan.ts';

/** What of a map's ResultWriter output a replay reads: the inputs of the items that succeeded. */
export interface MapRecord {
  readonly succeeded: readonly { readonly input: unknown }[];
}

/** Everything the replay planner decides from: the replayed execution's record, as the plan's io loads it. */
export interface ReplayRecord {
  readonly of: string;
  /** X's plan manifest. */
  readonly original: PlanManifest;
  /** X committed (it succeeded, with failures within tolerance). */
  readonly committed: boolean;
  /** The watermarks as they stand. */
  readonly watermarks: { readonly value: Watermarks | undefined; readonly etag: string | null };
  /** X's events map's results (undefined: the map never ran). */
  readonly events: MapRecord | undefined;
  /** X's engagement plan, its items and what of them succeeded (undefined: X never planned engagement). */
  readonly engagement?: OriginalEngagement | undefined;
}

export interface OriginalEngagement {
  readonly plan: EngagementPlan;
  /** X's engagement items (their medias). */
  readonly medias: readonly string[];
  readonly mediaResults: MapRecord | undefined;
  /** For a lookup: X's visitor keys, and its visitor map's results. */
  readonly visitors?: readonly string[] | undefined;
  readonly visitorResults?: MapRecord | undefined;
}

export const windowKey = (w: Window) => `${w.start}/${w.end}`;

const field = (v: unknown, k: string): unknown =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;

/** The keys of a map's succeeded items (`keyOf` of each input, undefined ones skipped). */
function succeeded(results: MapRecord | undefined, keyOf: (input: unknown) => readonly string[]): Set<string> {
  return new Set((results?.succeeded ?? []).flatMap((r) => keyOf(r.input)));
}

/** An events item's window ({window: {start, end}}), an engagement item's media ({media: {hashed_id}}), a batch's keys. */
const windowOf = (input: unknown) => {
  const w = field(input, 'window');
  const [start, end] = [field(w, 'start'), field(w, 'end')];
  return typeof start === 'string' && typeof end === 'string' ? [windowKey({ start, end })] : [];
};
const mediaOf = (input: unknown) => {
  const id = field(field(input, 'media'), 'hashed_id');
  return typeof id === 'string' ? [id] : [];
};
const batchOf = (input: unknown) => {
  const items = field(input, 'Items');
  return Array.isArray(items) ? items.filter((k): k is string => typeof k === 'string') : [];
};

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

/** A replay's items: what the original planned minus what its maps fetched. */
export function replayItems(i: {
  readonly originalPlan: EngagementPlan;
  /** The original's engagement items and the ones that succeeded. */
  readonly originalMedias: readonly string[];
  readonly doneMedias: ReadonlySet<string>;
  /** For a lookup: the original's visitor keys and the ones its succeeded batches held. */
  readonly originalVisitors?: readonly string[] | undefined;
  readonly fetchedVisitors?: ReadonlySet<string>;
  /** The original committed: a scan it ran finished. */
  readonly committed: boolean;
}): { medias: Set<string>; visitors: Set<string>; choice: VisitorChoice } {
  const medias = new Set(i.originalMedias.filter((m) => !i.doneMedias.has(m)));
  const visitors = new Set<string>();
  let { mode } = i.originalPlan.visitors;
  const { estimatedTotal, scanRequests } = i.originalPlan.visitors;
  if (mode === 'lookup') {
    for (const k of i.originalVisitors ?? []) if (!i.fetchedVisitors?.has(k)) visitors.add(k);
    if (visitors.size === 0) mode = 'none';
  } else if (mode === 'scan' && i.committed) mode = 'none'; // the scan finished
  return { medias, visitors, choice: { mode, estimatedTotal, scanRequests, lookupRequests: visitors.size } };
}

/** The items of a replay of a run that planned engagement (sorted, as the manifest keeps them). */
function plannedItems(e: OriginalEngagement, committed: boolean): PlannedItems {
  const r = replayItems({
    originalPlan: e.plan,
    originalMedias: e.medias,
    doneMedias: succeeded(e.mediaResults, mediaOf),
    originalVisitors: e.visitors,
    fetchedVisitors: succeeded(e.visitorResults, batchOf),
    committed,
  });
  return { medias: [...r.medias].sort(), visitors: [...r.visitors].sort(), choice: r.choice };
}

/** The original committed: it advanced the watermarks already, the replay only settles their carry-over. */
export const replayPolicy = (of: string, committed: boolean): WatermarkPolicy =>
  committed ? { mode: 'carry-over', advancedBy: of } : { mode: 'advance' };

/**
 * A replay's plan: the original's day, range and medias, its event windows that did not succeed, and what the
 * engagement planner and the commit do, as fields of the plan.
 */
export function planReplay(i: {
  readonly runId: string;
  readonly startedAt: string;
  readonly record: ReplayRecord;
  readonly places: RunPlaces;
  readonly lease: LeaseRef;
  readonly config: PipelineConfig;
}): { output: PlanOutput; manifest: PlanManifest } {
  const { runId, places } = i;
  const { of, original, committed, watermarks } = i.record;
  checkReplayable(of, original, { committed, watermarks });
  const done = succeeded(i.record.events, windowOf);
  const windows = original.windows.items.filter((w) => !done.has(windowKey(w)));
  const replay: ReplayInfo = { of, committed };
  const output: PlanOutput = {
    runId,
    today: original.today,
    ingestDate: original.ingestDate,
    mode: 'replay',
    // A committed original's watermarks may have moved since (later runs): the commit writes on the current ones.
    watermarksEtag: committed ? watermarks.etag : original.watermarksEtag,
    windows: { bucket: places.bucket, key: places.windowsKey, count: windows.length },
    range: original.range,
    events: { ...perItemBudget(i.config, Math.max(1, windows.length)), toleratedFailurePercentage: 0 },
    medias: { ...original.medias, pages: 0, listed: 0 },
    // the original's projects land again from its bronze; a manifest written before projects were listed has none
    projects: { changed: 0, maxUpdated: null, ...(original as Partial<PlanManifest>).projects, pages: 0, listed: 0 },
    resultPrefixes: places.resultPrefixes,
    requests: 0,
    // The original's bronze too: the replayed items' daily rows take their engagement and visitors from that
    // day's events, which the original fetched (a re-read of what is loaded already changes no row).
    bronzeRuns: `${of},${runId}`,
    replay,
    watermarkPolicy: replayPolicy(of, committed),
    lease: i.lease,
  };
  const items = i.record.engagement && plannedItems(i.record.engagement, committed);
  return {
    output,
    manifest: {
      ...output,
      startedAt: i.startedAt,
      fullRefresh: false,
      previousWatermarks: original.previousWatermarks,
      windows: { ...output.windows, items: windows },
      engagementInputs: { eventResults: [original.resultPrefixes.events], ...(items ? { items } : {}) },
    },
  };
}
