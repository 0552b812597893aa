// Engagement and visitors, decided over plain data: which medias and visitors were active since the last run (the
// events windows' summaries, folded one at a time, plus the changed medias and the last run's carry-over), whether
// to look the visitors up by key or scan them all (whichever costs fewer requests), unless the plan decided the
// items already (a replay's: planning/replay.ts). The plan-engagement handler loads, calls these, and saves.
import { perItemBudget, type PipelineConfig } from '../config.ts';
import type { EngagementPlan, VisitorMode } from '../payloads.ts';
import type { Seen } from '../seen.ts';
import type { Watermarks } from '../watermarks.ts';
import { listingPages } from '../../wistia/paging.ts';

/** What the events map saw, so far. */
export interface Activity {
  /** received_at after which activity is new (the last run's newest event); null on a first run: all of it. */
  readonly since: string | null;
  readonly medias: Set<string>;
  readonly visitors: Set<string>;
  readonly pages: number;
  readonly records: number;
  readonly maxReceivedAt: string | null;
}

export const startActivity = (since: string | null, changedMedias: readonly string[] = []): Activity => ({
  since,
  medias: new Set(changedMedias),
  visitors: new Set(),
  pages: 0,
  records: 0,
  maxReceivedAt: since,
});

/**
 * The activity after one more window's summary (`pages`: the pages its item fetched). It adds to `acc`'s sets
 * (the summaries of a backfill are large: one is read at a time and folded in) and returns the new counts.
 */
export function addWindow(acc: Activity, window: { readonly pages: number; readonly seen: Seen }): Activity {
  let { maxReceivedAt } = acc;
  for (const [id, [, at]] of Object.entries(window.seen.medias)) {
    if (!maxReceivedAt || at > maxReceivedAt) maxReceivedAt = at;
    if (acc.since === null || at > acc.since) acc.medias.add(id);
  }
  for (const [k, at] of Object.entries(window.seen.visitors))
    if (acc.since === null || at > acc.since) acc.visitors.add(k);
  return { ...acc, pages: acc.pages + window.pages, records: acc.records + window.seen.events, maxReceivedAt };
}

/** Adds what failed within tolerance last time (a media or visitor already active counts once). */
export function withCarryOver(acc: Activity, carryOver: Watermarks['carryOver']): Activity {
  for (const id of carryOver?.medias ?? []) acc.medias.add(id);
  for (const k of carryOver?.visitors ?? []) acc.visitors.add(k);
  return acc;
}

/** The requests each way of fetching visitors costs, and the cheaper one. */
export interface VisitorChoice {
  readonly mode: VisitorMode;
  /** Visitors the account holds, or the best lower bound known. */
  readonly estimatedTotal: number;
  /** One request per page of 100 (the last one short, or empty). */
  readonly scanRequests: number;
  /** One request per visitor. */
  readonly lookupRequests: number;
}

/** Lookups for `visitors` keys, or one scan of an account of (at least) `previousEstimate` visitors. */
export function chooseVisitors(visitors: number, previousEstimate: number | undefined): VisitorChoice {
  const estimatedTotal = Math.max(previousEstimate ?? 0, visitors);
  const scanRequests = listingPages(estimatedTotal);
  const lookupRequests = visitors;
  const mode: VisitorMode = visitors === 0 ? 'none' : lookupRequests <= scanRequests ? 'lookup' : 'scan';
  return { mode, estimatedTotal, scanRequests, lookupRequests };
}

/**
 * What the engagement planner starts from besides this run's own events map, as the plan set it (in the run's
 * manifest): a day's plan sets nothing more; a replay's, its original's record (planning/replay.ts).
 */
export interface EngagementInputs {
  /** The result prefixes of other events maps whose succeeded windows count as this run's own. */
  readonly eventResults: readonly string[];
  /** The items, when the plan decided them already; else the activity decides (with the carry-over). */
  readonly items?: PlannedItems;
}

/** Engagement items, visitor keys and the way to fetch the visitors. */
export interface PlannedItems {
  readonly medias: readonly string[];
  readonly visitors: readonly string[];
  readonly choice: VisitorChoice;
}

export const NO_ENGAGEMENT_INPUTS: EngagementInputs = { eventResults: [] };

/**
 * The items to fetch: the ones the plan decided, else the active medias and visitors plus what failed within
 * tolerance last time, with the cheaper way to the visitors.
 */
export function engagementItems(
  planned: PlannedItems | undefined,
  activity: Activity,
  previous: Pick<Watermarks, 'carryOver' | 'visitors'> | undefined,
): { medias: Set<string>; visitors: Set<string>; choice: VisitorChoice } {
  if (planned) return { medias: new Set(planned.medias), visitors: new Set(planned.visitors), choice: planned.choice };
  const active = withCarryOver(activity, previous?.carryOver);
  const choice = chooseVisitors(active.visitors.size, previous?.visitors?.estimatedTotal);
  return { medias: active.medias, visitors: active.visitors, choice };
}

/** The engagement and visitor maps' items (sorted) and the plan the state machine reads. */
export function engagementPlan(i: {
  readonly medias: ReadonlySet<string>;
  readonly visitors: ReadonlySet<string>;
  readonly choice: VisitorChoice;
  readonly events: EngagementPlan['events'];
  readonly bucket: string;
  readonly keys: { readonly engagement: string; readonly visitors: string };
  readonly config: PipelineConfig;
}): { plan: EngagementPlan; engagementItems: { hashed_id: string }[]; visitorItems: string[] } {
  const { choice, config } = i;
  const batches = Math.ceil(i.visitors.size / config.visitorBatchSize);
  const plan: EngagementPlan = {
    engagement: {
      bucket: i.bucket,
      key: i.keys.engagement,
      count: i.medias.size,
      ...perItemBudget(config, i.medias.size),
      toleratedFailurePercentage: config.toleratedFailurePercentage,
    },
    visitors: {
      mode: choice.mode,
      bucket: i.bucket,
      key: i.keys.visitors,
      count: i.visitors.size,
      batchSize: config.visitorBatchSize,
      ...(choice.mode === 'scan'
        ? { maxConcurrency: 1, requestsPerMinute: config.accountRequestsPerMinute }
        : perItemBudget(config, batches)),
      toleratedFailurePercentage: config.toleratedFailurePercentage,
      lookupRequests: choice.lookupRequests,
      scanRequests: choice.scanRequests,
      estimatedTotal: choice.estimatedTotal,
    },
    events: i.events,
  };
  return {
    plan,
    engagementItems: [...i.medias].sort().map((hashed_id) => ({ hashed_id })),
    visitorItems: choice.mode === 'lookup' ? [...i.visitors].sort() : [],
  };
}
