// Every visitor in one scan of /stats/visitors (when that costs fewer requests than lookups), a bronze
// object per page, with a continuation near the end of the Lambda's time. Pages up to the plan's estimate are
// asked a few at a time (one sequential pager is latency-bound far below the account's budget).
import type { Deps, LambdaContextLike } from '../shared/pipeline/deps.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import {
  VisitorScanInputSchema,
  VisitorScanOutputSchema,
  type VisitorScanInput,
  type VisitorScanOutput,
} from '../shared/pipeline/payloads.ts';
import { PAGE_AHEAD_WINDOW } from '../shared/wistia/paging.ts';

export async function scanVisitors(
  e: VisitorScanInput,
  ctx: LambdaContextLike,
  deps: Deps,
): Promise<VisitorScanOutput> {
  const { runId, ingestDate, requestsPerMinute, startPage, estimatedPages } = e;
  let { pages, visitors } = e;
  const client = deps.wistia(requestsPerMinute);
  let next: number | null = null;
  // the plan's estimate (last run's count, or the visitors this run's events named): page ahead up to it
  const ahead = { through: estimatedPages, window: PAGE_AHEAD_WINDOW };
  for await (const page of client.listVisitorsPages({}, startPage, ahead)) {
    await writeBronze(deps.store, {
      entity: 'visitors',
      runId,
      ingestDate,
      scopeKey: 'scan',
      scope: { scan: true },
      page: page.page,
      request: page.request,
      drift: page.drift,
      findings: page.findings,
      records: page.body,
    });
    pages++;
    visitors += page.body.length;
    if (!page.last && ctx.getRemainingTimeInMillis() < deps.config.reserveMs) {
      next = page.page + 1;
      break;
    }
  }
  return {
    runId,
    ingestDate,
    requestsPerMinute,
    done: next === null,
    startPage: next ?? startPage,
    pages,
    visitors,
    estimatedPages,
    requests: client.metrics.requests,
  };
}

export const makeHandler = (deps: Deps) =>
  wrap({ input: VisitorScanInputSchema, output: VisitorScanOutputSchema }, (event, ctx) =>
    scanVisitors(event, ctx, deps),
  );
