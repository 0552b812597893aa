// The middy chain every handler shares: per invocation, a child logger carrying the run's correlation ids and
// the Lambda context, a fresh set of run metrics (published as EMF when the invocation ends, whether it
// succeeded or failed), and the tracer.
import middy, { type MiddlewareObj } from '@middy/core';
import { ParseError } from '@aws-lambda-powertools/parser';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { z } from 'zod';
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
import { invalidInput } from './payloads.ts';

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

/**
 * Turns a parser failure into the InvalidInputError the state machine does not retry, naming the field (its onError
 * runs after the parser's and before the tracer's, which records the error).
 */
const invalidInputErrors = (): MiddlewareObj => ({
  onError: (request) => {
    const err = request.error;
    if (err instanceof ParseError && Array.isArray(err.cause)) request.error = invalidInput(err.cause);
  },
});

/** The schemas of a handler's input (parsed at its edge) and output (checked before it returns). */
export interface Payloads<I extends z.ZodType, O extends z.ZodType> {
  readonly input: I;
  readonly output: O;
}

/** A handler's output that does not match its schema: a defect of the handler, not of its input. */
export class InvalidOutputError extends Error {
  override name = 'InvalidOutputError';
}

/**
 * The handler `fn` in the shared chain. With `payloads`, the Powertools parser middleware parses the event against
 * the input schema first (a bad input fails with InvalidInputError) and the output is checked against the output
 * schema (the state machine's JSONPaths read it).
 */
export function wrap<O>(fn: (event: unknown, context: LambdaContextLike) => Promise<O>): Handler<O>;
export function wrap<I extends z.ZodType, O extends z.ZodType>(
  payloads: Payloads<I, O>,
  fn: (event: z.output<I>, context: LambdaContextLike) => Promise<z.output<O>>,
): Handler<z.output<O>>;
export function wrap(
  a: Payloads<z.ZodType, z.ZodType> | ((event: unknown, context: LambdaContextLike) => Promise<unknown>),
  b?: (event: unknown, context: LambdaContextLike) => Promise<unknown>,
): Handler<unknown> {
  const payloads = typeof a === 'function' ? undefined : a;
  const fn = typeof a === 'function' ? a : b;
  if (!fn) throw new TypeError('wrap: no handler');
  const inner = async (event: unknown, context: LambdaContextLike): Promise<unknown> => {
    const out = await fn(event, context);
    if (payloads) {
      const r = payloads.output.safeParse(out);
      if (!r.success)
        throw new InvalidOutputError(
          `the handler's output does not match its schema: ${invalidInput(r.error.issues).message}`,
        );
    }
    return out;
  };
  const chain = middy(inner).use(captureLambdaHandler(tracer));
  if (payloads) chain.use(invalidInputErrors()).use(parser({ schema: payloads.input }));
  // (the Lambda context middy's types name is the full one; ours is the part the handlers use)
  return observed((event, ctx) => chain(event, ctx as Parameters<typeof chain>[1]));
}

/** Runs `h` inside the invocation's logger and metrics scope, with the correlation ids of its (raw) input. */
function observed<O>(h: Handler<O>): Handler<O> {
  return async (event: unknown, ctx: LambdaContextLike & MetricsSinkContext): Promise<O> => {
    const correlation = correlationOf(event);
    const log = childLogger({ ...correlation });
    // the Lambda context's keys (function_name, function_request_id, cold_start, …) on every line; a local
    // context has only some of them
    if (ctx.functionName && ctx.awsRequestId) log.addContext(ctx as never);
    const counters = new InvocationCounters();
    try {
      return await withLogger(log, () => withCounters(counters, () => h(event, ctx)));
    } finally {
      const handler = ctx.functionName ?? 'handler';
      const points = counters.points();
      if (ctx.metricsSink) ctx.metricsSink(emfDocuments(points, handler, correlation), points);
      else publishEmf(points, handler, correlation);
    }
  };
}
