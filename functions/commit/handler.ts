// Commit: the last state, reached only when everything before it succeeded (the warehouse load included).
// Advances the watermarks with If-Match on the ETag read at plan time, and carries the items that failed
// within tolerance over to the next run, so that nothing is lost.
import { getJson, putJson } from '../shared/store/store.ts';
import type { Deps } from '../shared/pipeline/deps.ts';
import { asObject, RUN_ID, str } from '../shared/pipeline/input.ts';
import { readMapResults, resultWriterKey } from '../shared/pipeline/map-results.ts';
import { commitWatermarks, readWatermarks, type Watermarks } from '../shared/pipeline/watermarks.ts';
import { committedKey } from '../shared/pipeline/replay.ts';
import { InvalidInputError } from '../shared/pipeline/input.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { logger } from '../shared/powertools.ts';
import type { PlanOutput } from '../plan/handler.ts';
import type { EngagementPlan } from '../plan-engagement/handler.ts';

export interface CommitOutput {
  readonly runId: string;
  readonly watermarks: Watermarks;
  readonly carriedOver: { medias: number; visitors: number };
}

export async function commit(event: unknown, deps: Deps): Promise<CommitOutput> {
  const e = asObject(event);
  const runId = str(e, 'runId', { pattern: RUN_ID });
  const plan = asObject(e.plan, 'plan') as unknown as PlanOutput;
  const ep = asObject(e.engagementPlan, 'engagementPlan') as unknown as EngagementPlan;
  const visitors = asObject(e.visitors, 'visitors');
  const { store } = deps;

  const engagement = await readMapResults(store, resultWriterKey(e.engagementResult, 'engagementResult'), {
    succeeded: false,
  });
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

  let watermarks: Watermarks = {
    version: 1,
    ...(plan.medias.maxUpdated ? { medias: { maxUpdated: plan.medias.maxUpdated } } : {}),
    events: { throughDay: plan.today, maxReceivedAt: ep.events.maxReceivedAt },
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
  await commitWatermarks(store, watermarks, plan.watermarksEtag);
  await putJson(store, committedKey(runId), watermarks);
  logger.info('committed watermarks', {
    runId,
    throughDay: plan.today,
    carriedOverMedias: failedMedias.length,
    carriedOverVisitors: failedVisitors.length,
  });
  return { runId, watermarks, carriedOver: { medias: failedMedias.length, visitors: failedVisitors.length } };
}

export const makeHandler = (deps: Deps) => wrap((event) => commit(event, deps));
