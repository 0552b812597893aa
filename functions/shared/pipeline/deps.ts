// What every handler needs, injected: the object store, the pipeline config, a Wistia client per
// invocation (spending the account's request budget, or that invocation's share of it) and a clock. AWS builds these from the
// environment at cold start (aws-deps.ts); the local runner builds them from its own bindings.
import type { WistiaClient } from '../wistia/client.ts';
import type { ObjectStore } from '../store/store.ts';
import type { PipelineConfig } from './config.ts';

/**
 * An execution's status as Step Functions' DescribeExecution reports it
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface Deps {
  readonly store: ObjectStore;
  readonly config: PipelineConfig;
  /**
   * A client for one invocation. It spends the account's one request budget when the deps have one (AWS:
   * BUDGET_TABLE_NAME, the RequestBudget table; locally <data-dir>/budget.json; docs/adr/0021), else at most
   * `requestsPerMinute`, the item's fixed share the planning computed (ADR 5).
   */
  wistia(requestsPerMinute: number): WistiaClient;
  now(): Date;
  /**
   * The status of an execution of this state machine (undefined: no such execution). In AWS
   * states:DescribeExecution; locally the runner (the executions it runs, else the record or the process a
   * runner left behind). The run lease asks it whether the lease's holder still runs.
   */
  executionStatus(executionArn: string): Promise<ExecutionStatus | undefined>;
}

/** The part of the Lambda context the handlers use. */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  getRemainingTimeInMillis(): number;
}
