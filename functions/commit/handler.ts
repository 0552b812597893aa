// Commit: the last state, reached only when everything before it succeeded (the warehouse load included).
// Advances the watermarks with If-Match on the ETag read at plan time, carries the items that failed within
// tolerance over to the next run, so that nothing is lost, and releases the run lease. Its output stays small
// whatever the carry-over holds (the watermarks are in the store, not in the state: a state's output is capped
// at 256 KiB, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
import { getJson, PreconditionFailedError, putJson } from '../shared/store/store.ts';
import type { Deps } from '../shared/pipeline/deps.ts';
import { asObject, RUN_ID, str } from '../shared/pipeline/input.ts';
import { WATERMARKS_KEY } from '../shared/pipeline/keys.ts';
import { mapSkipped, NO_RESULTS, readMapResults, resultWriterKey } from '../shared/pipeline/map-results.ts';
import { commitWatermarks, readWatermarks, type Watermarks } from '../shared/pipeline/watermarks.ts';
import { committedKey } from '../shared/pipeline/replay.ts';
import { releaseLease } from '../shared/pipeline/lease.ts';
import { InvalidInputError } from '../shared/pipeline/input.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { logger } from '../shared/powertools.ts';
import { EXECUTION_ARN, type PlanOutput } from '../plan/handler.ts';
import type { EngagementPlan } from '../plan-engagement/handler.ts';

/** What the commit hands back to the state: counts and references, never the watermarks themselves. */
export interface CommitOutput {
  readonly runId: string;
  /** The day the events watermark now stands at. */
  readonly throughDay: string | null;
  /** Items the next run fetches again (the lengths of the watermarks' carry-over lists). */
  readonly carriedOver: { readonly medias: number; readonly visitors: number };
  readonly watermarks: { readonly key: string; readonly etag: string };
  readonly lease: 'released' | 'absent' | 'held by another execution';
}

export async function commit(event: unknown, deps: Deps): Promise<CommitOutput> {
  const e = asObject(event);
  const runId = str(e, 'runId', { pattern: RUN_ID });
  const executionArn = str(e, 'executionArn', { pattern: EXECUTION_ARN });
  const plan = asObject(e.plan, 'plan') as unknown as PlanOutput;
  const ep = asObject(e.engagementPlan, 'engagementPlan') as unknown as EngagementPlan;
  const visitors = asObject(e.visitors, 'visitors');
  const { store } = deps;

  // A skipped map (no items) left nothing to carry over.
  const engagement = mapSkipped(e.engagementResult)
    ? NO_RESULTS
    : await readMapResults(store, resultWriterKey(e.engagementResult, 'engagementResult'), { succeeded: false });
  const failedMedias = [...engagement.failed, ...engagement.pending]
    .map((f) =>
      String((asObject(f.input, 'engagement item').media as { hashed_id?: unknown } | undefined)?.hashed_id ?? ''),
    )
    .filter(Boolean);
  const failedVisitors: string[] = [];
  let estimatedTotal = ep.visitors.estimatedTotal;
  if (visitors.mode === 'lookup') {
    const r = await readMapResults(store, resultWriterKey(visitors, 'visitors'), { succeeded: false });
    for (const f of [...r.failed, ...r.pending]) {
      const items = asObject(f.input, 'visitor batch').Items;
      if (Array.isArray(items)) failedVisitors.push(...items.filter((k): k is string => typeof k === 'string'));
    }
  } else if (visitors.mode === 'scan') {
    const scan = asObject(visitors.scan, 'visitors.scan');
    if (typeof scan.visitors === 'number') estimatedTotal = scan.visitors;
  }

  // The events watermark never moves back: a run planned for a day before it (an operator's --today, a late
  // Scheduler retry) had no window to fetch and leaves the day where a later run put it.
  const previous = (await readWatermarks(store)).value?.events;
  const throughDay = previous?.throughDay && previous.throughDay > plan.today ? previous.throughDay : plan.today;
  const maxReceivedAt = [previous?.maxReceivedAt, ep.events.maxReceivedAt]
    .filter((t): t is string => typeof t === 'string')
    .sort()
    .pop();
  let watermarks: Watermarks = {
    version: 1,
    ...(plan.medias.maxUpdated ? { medias: { maxUpdated: plan.medias.maxUpdated } } : {}),
    events: { throughDay, maxReceivedAt: maxReceivedAt ?? ep.events.maxReceivedAt },
    visitors: { estimatedTotal },
    carryOver: { medias: failedMedias.sort(), visitors: failedVisitors.sort() },
    lastRun: { runId, committedAt: deps.now().toISOString(), ingestDate: plan.ingestDate },
  };
  if (plan.replay?.committed) {
    // The original committed already: only its carry-over changes (what this replay fetched comes off it,
    // what failed again stays on).
    const current = (await readWatermarks(store)).value;
    if (!current) throw new InvalidInputError(`replay of "${plan.replay.of}": the watermarks are gone`);
    const replayedMedias = new Set(
      (await getJson<{ hashed_id: string }[]>(store, ep.engagement.key))?.value.map((m) => m.hashed_id) ?? [],
    );
    const replayedVisitors = new Set((await getJson<string[]>(store, ep.visitors.key))?.value ?? []);
    const keep = (list: string[] | undefined, replayed: Set<string>, again: string[]) =>
      [...new Set([...(list ?? []).filter((k) => !replayed.has(k)), ...again])].sort();
    watermarks = {
      ...current,
      carryOver: {
        medias: keep(current.carryOver?.medias, replayedMedias, failedMedias),
        visitors: keep(current.carryOver?.visitors, replayedVisitors, failedVisitors),
      },
    };
  }
  let etag: string;
  try {
    ({ etag } = await commitWatermarks(store, watermarks, plan.watermarksEtag));
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    // A retried commit (its first attempt wrote, then the invocation failed) finds its own write: done already.
    // A run's write names it in lastRun; a replay of a committed run rewrites only the carry-over, to the same.
    const now = await getJson<Watermarks>(store, WATERMARKS_KEY);
    const ours =
      now !== undefined &&
      (plan.replay?.committed
        ? JSON.stringify(now.value) === JSON.stringify(watermarks)
        : now.value.lastRun?.runId === runId);
    if (!ours) throw err;
    watermarks = now.value;
    etag = now.etag;
  }
  await putJson(store, committedKey(runId), watermarks);
  const lease = await releaseLease(store, executionArn, plan.lease);
  if (lease !== 'released') logger.warn("the run lease was not this execution's to release", { runId, lease });
  const carriedOver = {
    medias: watermarks.carryOver?.medias.length ?? 0,
    visitors: watermarks.carryOver?.visitors.length ?? 0,
  };
  logger.info('committed watermarks', {
    runId,
    throughDay: watermarks.events?.throughDay ?? null,
    carriedOverMedias: carriedOver.medias,
    carriedOverVisitors: carriedOver.visitors,
  });
  return {
    runId,
    throughDay: watermarks.events?.throughDay ?? null,
    carriedOver,
    watermarks: { key: WATERMARKS_KEY, etag },
    lease,
  };
}

export const makeHandler = (deps: Deps) => wrap((event) => commit(event, deps));
