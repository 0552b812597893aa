// One events window: page GET /stats/events?start_date&end_date account-wide until a short page, one bronze
// object per page, and summarise which medias and visitors were active (written to the store; the state
// payload stays small). Near the end of the Lambda's time it hands back a continuation (done: false,
// startPage) that the state machine loops on; page keys are deterministic, so a retry rewrites its own pages.
import type { Deps, LambdaContextLike } from '../shared/pipeline/deps.ts';
import { asObject, date, int, InvalidInputError, RUN_ID, str } from '../shared/pipeline/input.ts';
import { runKey } from '../shared/pipeline/keys.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { addEvents, emptySeen, readSeen, writeSeen } from '../shared/pipeline/seen.ts';
import { wrap } from '../shared/pipeline/lambda.ts';

export interface EventPagesOutput {
  readonly runId: string;
  readonly ingestDate: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly requestsPerMinute: number;
  readonly done: boolean;
  readonly startPage: number;
  readonly pages: number;
  readonly events: number;
  readonly seenKey: string;
  readonly requests: number;
}

export async function fetchWindow(event: unknown, ctx: LambdaContextLike, deps: Deps): Promise<EventPagesOutput> {
  const e = asObject(event);
  const runId = str(e, 'runId', { pattern: RUN_ID });
  const ingestDate = date(e, 'ingestDate');
  const w = asObject(e.window, 'window');
  const window = { start: date(w, 'start'), end: date(w, 'end') };
  if (window.start > window.end)
    throw new InvalidInputError(`window: start ${window.start} is after end ${window.end}`);
  const requestsPerMinute = int(e, 'requestsPerMinute', { min: 1 });
  const startPage = int(e, 'startPage', { min: 1, fallback: 1 });
  const pagesSoFar = int(e, 'pages', { min: 0, fallback: 0 });
  const eventsSoFar = int(e, 'events', { min: 0, fallback: 0 });

  const scopeKey = `window=${window.start}_${window.end}`;
  const seenKey = runKey(runId, `seen/events/${scopeKey}.json`);
  const seen = startPage > 1 ? await readSeen(deps.store, seenKey) : emptySeen();
  const client = deps.wistia(requestsPerMinute);
  let pages = pagesSoFar;
  let events = eventsSoFar;
  let next: number | null = null;
  for await (const page of client.listEventsPages({ start_date: window.start, end_date: window.end }, startPage)) {
    await writeBronze(deps.store, {
      entity: 'events',
      runId,
      ingestDate,
      scopeKey,
      scope: { window },
      page: page.page,
      request: page.request,
      drift: page.drift,
      findings: page.findings,
      records: page.body,
    });
    addEvents(seen, page.body);
    pages++;
    events += page.body.length;
    if (!page.last && ctx.getRemainingTimeInMillis() < deps.config.reserveMs) {
      next = page.page + 1;
      break;
    }
  }
  await writeSeen(deps.store, seenKey, seen);
  return {
    runId,
    ingestDate,
    window,
    requestsPerMinute,
    done: next === null,
    startPage: next ?? startPage,
    pages,
    events,
    seenKey,
    requests: client.metrics.requests,
  };
}

export const makeHandler = (deps: Deps) => wrap((event, ctx) => fetchWindow(event, ctx, deps));
