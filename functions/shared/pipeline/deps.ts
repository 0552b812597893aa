// What every handler needs, injected: the object store, the pipeline config, a Wistia client per
// invocation (with that invocation's share of the request budget) and a clock. AWS builds these from the
// environment at cold start (aws-deps.ts); the local runner builds them from its own bindings.
import type { WistiaClient } from '../wistia/client.ts';
import type { ObjectStore } from '../store/store.ts';
import type { PipelineConfig } from './config.ts';

export interface Deps {
  readonly store: ObjectStore;
  readonly config: PipelineConfig;
  /** A client spending at most `requestsPerMinute`. */
  wistia(requestsPerMinute: number): WistiaClient;
  now(): Date;
}

/** The part of the Lambda context the handlers use. */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  getRemainingTimeInMillis(): number;
}
