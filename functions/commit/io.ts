// The commit's reads and writes: the items that did not succeed (the maps' FAILED and PENDING files), the items the
// run planned (when its watermark policy settles the carry-over), and the watermarks' conditional write (a retried
// commit finds its own first write).
import { committedKey, WATERMARKS_KEY } from '../shared/pipeline/keys.ts';
import { mapSkipped, readMapResults, resultWriterKey } from '../shared/pipeline/map-results.ts';
import { releaseLease, type LeaseRef } from '../shared/pipeline/lease.ts';
import type {
  CommitOutput,
  EngagementPlan,
  MapOutput,
  PlanOutput,
  VisitorsResult,
  WatermarkPolicy,
} from '../shared/pipeline/payloads.ts';
import { failedMedias, failedVisitors, isOwnWrite } from '../shared/pipeline/planning/commit.ts';
import { commitWatermarks, type Watermarks } from '../shared/pipeline/watermarks.ts';
import { logger } from '../shared/powertools.ts';
import { getJson, PreconditionFailedError, putJson, type ObjectStore } from '../shared/store/store.ts';

/** The inputs of the items that failed or were left pending, per map (a skipped map left nothing). */
export async function loadFailedItems(
  store: ObjectStore,
  engagementResult: MapOutput,
  visitors: VisitorsResult,
): Promise<{ medias: string[]; visitors: string[] }> {
  const notSucceeded = async (mapOutput: unknown, what: string) => {
    const r = await readMapResults(store, resultWriterKey(mapOutput, what), { succeeded: false });
    return [...r.failed, ...r.pending].map((f) => f.input);
  };
  return {
    medias: mapSkipped(engagementResult) ? [] : failedMedias(await notSucceeded(engagementResult, 'engagementResult')),
    visitors: visitors.mode === 'lookup' ? failedVisitors(await notSucceeded(visitors, 'visitors')) : [],
  };
}

/**
 * The engagement items and visitor keys the run set out to fetch, when its policy takes them off the carry-over
 * (`carry-over`); undefined when it advances the watermarks (they replace the carry-over with what failed).
 */
export async function loadPlannedItems(
  store: ObjectStore,
  ep: EngagementPlan,
  policy: WatermarkPolicy,
): Promise<{ medias: Set<string>; visitors: Set<string> } | undefined> {
  if (policy.mode === 'advance') return undefined;
  const medias = (await getJson<{ hashed_id: string }[]>(store, ep.engagement.key))?.value ?? [];
  const visitors = (await getJson<string[]>(store, ep.visitors.key))?.value ?? [];
  return { medias: new Set(medias.map((m) => m.hashed_id)), visitors: new Set(visitors) };
}

/**
 * Writes the watermarks if nobody wrote them since the plan read them; a retried commit (its first attempt wrote,
 * then the invocation failed) finds its own write, done already. Then the run's committed record.
 */
export async function saveWatermarks(
  store: ObjectStore,
  runId: string,
  watermarks: Watermarks,
  plan: Pick<PlanOutput, 'watermarksEtag' | 'watermarkPolicy'>,
): Promise<{ watermarks: Watermarks; written: { key: string; etag: string } }> {
  let saved = watermarks;
  let etag: string;
  try {
    ({ etag } = await commitWatermarks(store, watermarks, plan.watermarksEtag));
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    const now = await getJson<Watermarks>(store, WATERMARKS_KEY);
    if (!now || !isOwnWrite(now.value, watermarks, runId, plan.watermarkPolicy)) throw err;
    saved = now.value;
    etag = now.etag;
  }
  await putJson(store, committedKey(runId), saved);
  return { watermarks: saved, written: { key: WATERMARKS_KEY, etag } };
}

/** Releases the run lease (a warning if it was not this execution's any more). */
export async function releaseRunLease(
  store: ObjectStore,
  run: { readonly runId: string; readonly executionArn: string },
  lease: LeaseRef,
): Promise<CommitOutput['lease']> {
  const released = await releaseLease(store, run.executionArn, lease);
  if (released !== 'released')
    logger.warn("the run lease was not this execution's to release", { runId: run.runId, lease: released });
  return released;
}

export function logCommitted(out: CommitOutput): CommitOutput {
  logger.info('committed watermarks', {
    runId: out.runId,
    throughDay: out.throughDay,
    carriedOverMedias: out.carriedOver.medias,
    carriedOverVisitors: out.carriedOver.visitors,
  });
  return out;
}
