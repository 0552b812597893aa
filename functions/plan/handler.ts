// Plan the run: take the run lease (before any Wistia request: a second execution beside a running one stops
// here), load the watermarks, list medias by `updated` (newest first, stopping past the watermark minus an
// overlap; a full scan on the first run), land those pages as bronze, and write the window manifest the events
// map reads (its count tells the state machine whether to start that map at all). The decisions are
// ../shared/pipeline/planning/plan.ts; the reads and writes, ./io.ts.
import type { Deps } from '../shared/pipeline/deps.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { PlanInputSchema, PlanOutputSchema, type PlanInput, type PlanOutput } from '../shared/pipeline/payloads.ts';
import { readWatermarks } from '../shared/pipeline/watermarks.ts';
import * as decide from '../shared/pipeline/planning/plan.ts';
import { listChangedMedias, loadReplay, savePlan, takeLease } from './io.ts';

export async function plan(e: PlanInput, deps: Deps): Promise<PlanOutput> {
  const { store, config } = deps;
  const runId = e.executionName;
  const today = decide.runDay({ ...e.options, startedAt: e.startedAt });
  const places = decide.runPlaces(runId, store.bucket);
  // First, before any request: the lease (replays take it too: they spend the same budget).
  const lease = await takeLease(deps, { executionArn: e.executionArn, executionName: runId, startedAt: e.startedAt });
  const base = { runId, startedAt: e.startedAt, places, lease, config };

  if (e.options.replay !== undefined && e.options.replay !== null) {
    const of = e.options.replay;
    const loaded = await loadReplay(store, of);
    const planned = decide.replayPlan({ ...base, of, ...loaded });
    return savePlan(store, planned, undefined, { runId, of, committed: loaded.committed });
  }

  const watermarks = await readWatermarks(store);
  const fullRefresh = e.options.fullRefresh === true;
  const previous = fullRefresh ? undefined : watermarks.value;
  const { mode, windows } = decide.chooseWindows(previous, today, config);
  const client = deps.wistia(config.accountRequestsPerMinute);
  const bounds = decide.mediaBounds(previous, config.mediasOverlapMinutes);
  const medias = await listChangedMedias(store, client, { runId, today, bounds });
  const planned = decide.dailyPlan({
    ...base,
    today,
    fullRefresh,
    watermarks,
    mode,
    windows,
    medias,
    requests: client.metrics.requests,
  });
  return savePlan(store, planned, medias.changed, {
    runId,
    mode,
    mediasChanged: medias.changed.length,
    mediaPages: medias.pages,
  });
}

export const makeHandler = (deps: Deps) =>
  wrap({ input: PlanInputSchema, output: PlanOutputSchema }, (event) => plan(event, deps));
