// The commit, decided over plain data: which items failed (they carry over to the next run), the watermarks the run
// advances to (the events day never moves back), or, when its plan's watermarkPolicy is `carry-over` (a replay of
// a committed run), only the carry-over (what it fetched comes off, what failed again stays on), and whether a
// conflicting write is the run's own earlier attempt. The commit handler loads, calls these, and saves (with
// If-Match on the ETag read at plan time).
import { InvalidInputError } from '../input.ts';
import type { CommitOutput, EngagementPlan, PlanOutput, WatermarkPolicy } from '../payloads.ts';
import type { Watermarks } from '../watermarks.ts';

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The medias of engagement items that failed or were left pending (their map inputs). */
export function failedMedias(inputs: readonly unknown[]): string[] {
  return inputs.map((i) => obj(obj(i).media).hashed_id).filter((id): id is string => typeof id === 'string' && !!id);
}

/** The visitor keys of lookup batches that failed or were left pending (their map inputs, {BatchInput, Items}). */
export function failedVisitors(inputs: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const i of inputs) {
    const items = obj(i).Items;
    if (Array.isArray(items)) out.push(...items.filter((k): k is string => typeof k === 'string'));
  }
  return out;
}

/** Sorted, without duplicates: `list` minus what was `replayed`, plus what failed `again`. */
export function mergeCarryOver(
  list: readonly string[] | undefined,
  replayed: ReadonlySet<string>,
  again: readonly string[],
): string[] {
  return [...new Set([...(list ?? []).filter((k) => !replayed.has(k)), ...again])].sort();
}

/** The newest of ISO timestamps (undefined when none). */
const newest = (...ts: (string | null | undefined)[]) =>
  ts
    .filter((t): t is string => typeof t === 'string')
    .sort()
    .pop();

export interface CommitFacts {
  readonly runId: string;
  readonly plan: Pick<PlanOutput, 'today' | 'ingestDate' | 'medias' | 'projects' | 'watermarkPolicy'>;
  readonly engagementPlan: Pick<EngagementPlan, 'events' | 'visitors'>;
  readonly failed: { readonly medias: readonly string[]; readonly visitors: readonly string[] };
  /** Visitors a finished scan counted (the account's total now). */
  readonly scannedVisitors?: number | undefined;
  /** The watermarks as they stand. */
  readonly current: Watermarks | undefined;
  /** The items the run set out to fetch (its engagement items and visitor keys): a `carry-over` commit's. */
  readonly planned?: { readonly medias: ReadonlySet<string>; readonly visitors: ReadonlySet<string> } | undefined;
  readonly now: Date;
}

/** The watermarks this run commits. */
export function nextWatermarks(f: CommitFacts): Watermarks {
  const { plan, engagementPlan: ep } = f;
  const failed = { medias: [...f.failed.medias].sort(), visitors: [...f.failed.visitors].sort() };
  const policy = plan.watermarkPolicy;
  if (policy.mode === 'carry-over') {
    // The run `advancedBy` committed the watermarks already: only their carry-over changes.
    if (!f.current) throw new InvalidInputError(`replay of "${policy.advancedBy}": the watermarks are gone`);
    const planned = f.planned ?? { medias: new Set<string>(), visitors: new Set<string>() };
    return {
      ...f.current,
      carryOver: {
        medias: mergeCarryOver(f.current.carryOver?.medias, planned.medias, failed.medias),
        visitors: mergeCarryOver(f.current.carryOver?.visitors, planned.visitors, failed.visitors),
      },
    };
  }
  // The events watermark never moves back: a run planned for a day before it (an operator's --today, a late
  // Scheduler retry) had no window to fetch and leaves the day where a later run put it.
  const previous = f.current?.events;
  const throughDay = previous?.throughDay && previous.throughDay > plan.today ? previous.throughDay : plan.today;
  return {
    version: 1,
    ...(plan.medias.maxUpdated ? { medias: { maxUpdated: plan.medias.maxUpdated } } : {}),
    ...(plan.projects.maxUpdated ? { projects: { maxUpdated: plan.projects.maxUpdated } } : {}),
    events: {
      throughDay,
      maxReceivedAt: newest(previous?.maxReceivedAt, ep.events.maxReceivedAt) ?? ep.events.maxReceivedAt,
    },
    visitors: { estimatedTotal: f.scannedVisitors ?? ep.visitors.estimatedTotal },
    carryOver: failed,
    lastRun: { runId: f.runId, committedAt: f.now.toISOString(), ingestDate: plan.ingestDate },
  };
}

/**
 * Whether the watermarks that made a conditional write fail are this run's own (a retried commit whose first
 * attempt wrote): an advancing write names the run in lastRun; a `carry-over` write rewrites only the carry-over,
 * so only the same watermarks are its own.
 */
export function isOwnWrite(
  stored: Watermarks | undefined,
  ours: Watermarks,
  runId: string,
  policy: WatermarkPolicy,
): boolean {
  if (stored === undefined) return false;
  return policy.mode === 'carry-over'
    ? JSON.stringify(stored) === JSON.stringify(ours)
    : stored.lastRun?.runId === runId;
}

/** What the commit hands back to the state: counts and references, never the watermarks themselves. */
export function commitOutput(
  runId: string,
  watermarks: Watermarks,
  written: { readonly key: string; readonly etag: string },
  lease: CommitOutput['lease'],
): CommitOutput {
  return {
    runId,
    throughDay: watermarks.events?.throughDay ?? null,
    carriedOver: {
      medias: watermarks.carryOver?.medias.length ?? 0,
      visitors: watermarks.carryOver?.visitors.length ?? 0,
    },
    watermarks: written,
    lease,
  };
}
