// The account's stats by date (issue 17): one request a run, over the run's range (the first event window's day to
// today), landed as one bronze object. An incremental run's range starts the day before the events watermark, so
// the last run's partial "today" is fetched again, complete, the next day. A replay fetches none: the run it
// replays landed its range already (its bronze is read with the replay's when it never loaded).
import type { Deps } from '../shared/pipeline/deps.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import type { PlanOutput } from '../shared/pipeline/payloads.ts';
import type { PlanManifest } from '../shared/pipeline/planning/plan.ts';
import { logger } from '../shared/powertools.ts';

/** The plan after its account request: the range fetched and its days, the request counted with the plan's. */
export async function withAccountDaily<T extends { readonly output: PlanOutput; readonly manifest: PlanManifest }>(
  deps: Deps,
  planned: T,
): Promise<T> {
  const { output } = planned;
  if (output.mode === 'replay') return planned;
  const { start, end } = output.range;
  const client = deps.wistia(deps.config.accountRequestsPerMinute);
  const r = await client.getAccountByDate(start, end);
  await writeBronze(deps.store, {
    entity: 'account_stats',
    runId: output.runId,
    ingestDate: output.ingestDate,
    scopeKey: `range=${start}_${end}`,
    scope: { range: { start, end } },
    page: 1,
    request: r.request,
    drift: r.drift,
    findings: r.findings,
    records: r.body,
  });
  const accountDaily = { start, end, days: r.body.length };
  const requests = client.metrics.requests;
  logger.info('fetched the account stats by date', { runId: output.runId, ...accountDaily, requests });
  return {
    ...planned,
    output: { ...output, requests: output.requests + requests, accountDaily },
    manifest: { ...planned.manifest, requests: planned.manifest.requests + requests, accountDaily },
  };
}
