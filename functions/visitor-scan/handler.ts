// Every visitor in one scan of /stats/visitors (when that costs fewer requests than lookups), a bronze
// object per page, with a continuation near the end of the Lambda's time.
import type { Deps, LambdaContextLike } from '../shared/pipeline/deps.ts';
import { asObject, date, int, RUN_ID, str } from '../shared/pipeline/input.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { wrap } from '../shared/pipeline/lambda.ts';

export interface VisitorScanOutput {
  readonly runId: string;
  readonly ingestDate: string;
  readonly requestsPerMinute: number;
  readonly done: boolean;
  readonly startPage: number;
  readonly pages: number;
  readonly visitors: number;
  readonly requests: number;
}

export async function scanVisitors(event: unknown, ctx: LambdaContextLike, deps: Deps): Promise<VisitorScanOutput> {
  const e = asObject(event);
  const runId = str(e, 'runId', { pattern: RUN_ID });
  const ingestDate = date(e, 'ingestDate');
  const requestsPerMinute = int(e, 'requestsPerMinute', { min: 1 });
  const startPage = int(e, 'startPage', { min: 1, fallback: 1 });
  let pages = int(e, 'pages', { min: 0, fallback: 0 });
  let visitors = int(e, 'visitors', { min: 0, fallback: 0 });
  const client = deps.wistia(requestsPerMinute);
  let next: number | null = null;
  for await (const page of client.listVisitorsPages({}, startPage)) {
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
    requests: client.metrics.requests,
  };
}

export const makeHandler = (deps: Deps) => wrap((event, ctx) => scanVisitors(event, ctx, deps));
