// The middy chain every handler shares: Powertools logger context (cleared per invocation) and tracer.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { logger, tracer } from '../powertools.ts';
import type { LambdaContextLike } from './deps.ts';

export type Handler<O> = (event: unknown, context: LambdaContextLike) => Promise<O>;

export function wrap<O>(fn: (event: unknown, context: LambdaContextLike) => Promise<O>): Handler<O> {
  // middy's types expect the full Lambda context; ours is the part the handlers use.
  const h = middy(fn as never)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(captureLambdaHandler(tracer));
  return h as unknown as Handler<O>;
}
