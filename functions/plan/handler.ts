// Plan the run: take the run lease (before any Wistia request: a second execution beside a running one stops
// here), load what the plan decides from (a day's: the watermarks, then the medias by `updated`, newest first,
// stopping past the watermark minus an overlap, a full scan on the first run, those pages landed as bronze; a
// replay's: the record of the execution it replays), decide the plan, fetch the account's stats by date over its
// range (a day's run only: ./account-daily.ts), and write the window manifest the events
// map reads (its count tells the state machine whether to start that map at all). The decisions are
// ../shared/pipeline/planning/plan.ts (a replay's, planning/replay.ts); the reads and writes, ./io.ts.
import type { Deps } from '../shared/pipeline/deps.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { PlanInputSchema, PlanOutputSchema, type PlanInput, type PlanOutput } from '../shared/pipeline/payloads.ts';
import * as decide from '../shared/pipeline/planning/plan.ts';
import { withAccountDaily } from './account-daily.ts';
import { loadPlanInputs, savePlan, takeLease } from './io.ts';

export async function plan(e: PlanInput, deps: Deps): Promise<PlanOutput> {
  const { store, config } = deps;
  const runId = e.executionName;
  const today = decide.runDay({ ...e.options, startedAt: e.startedAt });
  // First, before any request: the lease (replays take it too: they spend the same budget).
  const lease = await takeLease(deps, { executionArn: e.executionArn, executionName: runId, startedAt: e.startedAt });
  const inputs = await loadPlanInputs(deps, { runId, today, options: e.options });
  const places = decide.runPlaces(runId, store.bucket);
  const planned = await withAccountDaily(
    deps,
    decide.planRun({ runId, startedAt: e.startedAt, today, places, lease, config, inputs }),
  );
  return savePlan(store, planned);
}

export const makeHandler = (deps: Deps) =>
  wrap({ input: PlanInputSchema, output: PlanOutputSchema }, (event) => plan(event, deps));
