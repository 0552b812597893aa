// One events window: page GET /stats/events?start_date&end_date account-wide until a short page, one bronze
// object per page, and summarise which medias and visitors were active (written to the store; the state
// payload stays small). Near the end of the Lambda's time it hands back a continuation (done: false,
// startPage) that the state machine loops on; page keys are deterministic, so a retry rewrites its own pages.
import type { Deps, LambdaContextLike } from '../shared/pipeline/deps.ts';
import { runKey } from '../shared/pipeline/keys.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { addEvents, emptySeen, readSeen, writeSeen } from '../shared/pipeline/seen.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import {
  EventPagesInputSchema,
  EventPagesOutputSchema,
  type EventPagesInput,
  type EventPagesOutput,
} from '../shared/pipeline/payloads.ts';

export async function fetchWindow(e: EventPagesInput, ctx: LambdaContextLike, deps: Deps): Promise<EventPagesOutput> {
  const { runId, ingestDate, requestsPerMinute, startPage } = e;
  const window = { start: e.window.start, end: e.window.end };
  const pagesSoFar = e.pages;
  const eventsSoFar = e.events;

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

export const makeHandler = (deps: Deps) =>
  wrap({ input: EventPagesInputSchema, output: EventPagesOutputSchema }, (event, ctx) => fetchWindow(event, ctx, deps));
