// The middy chain every handler shares: per invocation, a child logger carrying the run's correlation ids and
// the Lambda context, a fresh set of run metrics (published as EMF when the invocation ends, whether it
// succeeded or failed), and the tracer.
import middy from '@middy/core';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { childLogger, tracer, withLogger } from '../powertools.ts';
import {
  type Correlation,
  emfDocuments,
  InvocationCounters,
  type MetricPoint,
  publishEmf,
  withCounters,
} from '../metrics.ts';
import type { LambdaContextLike } from './deps.ts';

export type Handler<O> = (event: unknown, context: LambdaContextLike) => Promise<O>;

/**
 * Where the local twin takes an invocation's metrics instead of stdout: the EMF lines and the points they hold.
 * A real Lambda context has no such field; there the lines go to stdout, which CloudWatch Logs reads.
 */
export interface MetricsSinkContext {
  readonly metricsSink?: (lines: string[], points: MetricPoint[]) => void;
}

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v.slice(0, 200) : undefined);

/**
 * The correlation ids of an invocation, from its input: the execution (runId, or the plan's executionName) and
 * the map item it serves (a window, a media, a batch of visitors, a scan's page) and, inside a Distributed Map,
 * the child execution (its map run) that serves it, so that every log line and
 * metric document of one item can be found together (Logs Insights: filter execution = … and item = …).
 */
export function correlationOf(event: unknown): Correlation {
  const e = obj(event);
  const batch = obj(e.BatchInput);
  const execution = text(e.runId) ?? text(batch.runId) ?? text(e.executionName);
  const w = obj(e.window);
  const media = text(obj(e.media).hashed_id);
  const items = Array.isArray(e.Items) ? e.Items : undefined;
  const item =
    text(w.start) && text(w.end)
      ? `window=${String(w.start)}_${String(w.end)}`
      : media
        ? `media=${media}`
        : items
          ? `visitors=${items.length}${typeof items[0] === 'string' ? ` from ${items[0].slice(0, 64)}` : ''}`
          : typeof e.startPage === 'number' && e.scan !== undefined
            ? `scan page ${e.startPage}`
            : undefined;
  const childExecution =
    typeof e.childExecution === 'string' && e.childExecution ? e.childExecution.slice(0, 400) : undefined;
  return {
    ...(execution ? { execution } : {}),
    ...(childExecution ? { childExecution } : {}),
    ...(item ? { item } : {}),
  };
}

export function wrap<O>(fn: (event: unknown, context: LambdaContextLike) => Promise<O>): Handler<O> {
  const run = async (event: unknown, ctx: LambdaContextLike & MetricsSinkContext): Promise<O> => {
    const correlation = correlationOf(event);
    const log = childLogger({ ...correlation });
    // the Lambda context's keys (function_name, function_request_id, cold_start, …) on every line; a local
    // context has only some of them
    if (ctx.functionName && ctx.awsRequestId) log.addContext(ctx as never);
    const counters = new InvocationCounters();
    try {
      return await withLogger(log, () => withCounters(counters, () => fn(event, ctx)));
    } finally {
      const handler = ctx.functionName ?? 'handler';
      const points = counters.points();
      if (ctx.metricsSink) ctx.metricsSink(emfDocuments(points, handler, correlation), points);
      else publishEmf(points, handler, correlation);
    }
  };
  // middy's types expect the full Lambda context; ours is the part the handlers use.
  const h = middy(run as never).use(captureLambdaHandler(tracer));
  return h as unknown as Handler<O>;
}
