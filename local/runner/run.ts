// Local execution of the very same state machine definition: aws-local-stepfunctions interprets the ASL,
// each Lambda task is bound in-process to the same handler module, the Glue task to the local transform,
// and each Distributed Map to the project's emulation. Every execution keeps its history under the data dir.
// Step Functions' payload quota (256 KiB) is held on every task input and output, every state's input and output
// and every map child's input (limits.ts). Each execution records the process running it (runs/<name>/runner.json),
// so that the run lease can tell a running execution from one whose runner was killed.
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { putJson, type ObjectStore } from '#shared/store/store.ts';
import { WistiaClient, type WistiaClientOptions } from '#shared/wistia/client.ts';
import { AccountBudget } from '#shared/wistia/account-budget.ts';
import type { RequestBudget } from '#shared/wistia/rate-budget.ts';
import { FileBudgetStore } from './budget-file.ts';
import type { TokenSource } from '#shared/wistia/token.ts';
import { DEFAULT_CONFIG, type PipelineConfig } from '#shared/pipeline/config.ts';
import type { Deps, LambdaContextLike } from '#shared/pipeline/deps.ts';
import type { Handler, MetricsSinkContext } from '#shared/pipeline/lambda.ts';
import { sumPoints, type MetricPoint } from '#shared/metrics.ts';
import { runKey } from '#shared/pipeline/keys.ts';
import { makeHandler as planHandler } from '../../functions/plan/handler.ts';
import { makeHandler as eventPagesHandler } from '../../functions/event-pages/handler.ts';
import { makeHandler as planEngagementHandler } from '../../functions/plan-engagement/handler.ts';
import { makeHandler as mediaEngagementHandler } from '../../functions/media-engagement/handler.ts';
import { makeHandler as visitorLookupHandler } from '../../functions/visitor-lookup/handler.ts';
import { makeHandler as visitorScanHandler } from '../../functions/visitor-scan/handler.ts';
import { makeHandler as commitHandler } from '../../functions/commit/handler.ts';
import {
  MAX_LOCAL_TIMEOUT_SECONDS,
  readDefinitionText,
  substitute,
  unsupportedFeatures,
  type Definition,
  type Json,
  type State,
} from './asl.ts';
import { runDistributedMap, type ChildHandle, type ChildOutcome, type MapRunRecord } from './distributed-map.ts';
import { checkPayload, guardStatePayloads, PAYLOAD_LIMIT_BYTES, payloadBytes } from './limits.ts';
import { dataDirPaths } from '../data-dir.ts';
import { openHistoryLog } from './history-log.ts';

import {
  historyKey,
  lambdaArn,
  LOCAL_ACCOUNT,
  localExecutionArn,
  localExecutionStatus,
  procStat,
  recordKey,
  running,
  STATE_MACHINE_ARN,
  STATE_MACHINE_NAME,
  type ExecutionRecord,
  type HistoryEvent,
  type RunnerRecord,
} from './executions.ts';

export {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  localExecutionArn,
  localExecutionStatus,
  STATE_MACHINE_NAME,
  type ExecutionRecord,
  type HistoryEvent,
  type RunnerRecord,
} from './executions.ts';
export { guardStatePayloads } from './limits.ts';

/** The Lambda functions of the definition, by substitution name, with their handler factories. */
export const FUNCTIONS = {
  PlanFunctionArn: { name: 'wistia-plan', make: planHandler },
  EventPagesFunctionArn: { name: 'wistia-event-pages', make: eventPagesHandler },
  PlanEngagementFunctionArn: { name: 'wistia-plan-engagement', make: planEngagementHandler },
  MediaEngagementFunctionArn: { name: 'wistia-media-engagement', make: mediaEngagementHandler },
  VisitorLookupFunctionArn: { name: 'wistia-visitor-lookup', make: visitorLookupHandler },
  VisitorScanFunctionArn: { name: 'wistia-visitor-scan', make: visitorScanHandler },
  CommitFunctionArn: { name: 'wistia-commit', make: commitHandler },
} as const;

export interface GlueJobRun {
  readonly Id: string;
  readonly JobRunState: string;
  readonly ExecutionTime: number;
  readonly [k: string]: unknown;
}
export type GlueRunner = (
  args: Record<string, string>,
  ctx: { store: ObjectStore; dataDir: string },
) => Promise<GlueJobRun>;

/**
 * An ingestion-only run: the Glue step is skipped by the caller's choice (the ingestion tests and benchmarks, which
 * measure the API side); the job run says so. Every caller names its Glue step: a run without one cannot happen.
 */
export const skipTransform: GlueRunner = async (args) => ({
  Id: `jr_local_${args['--run_id'] ?? 'run'}`,
  JobRunState: 'SUCCEEDED',
  ExecutionTime: 0,
  Arguments: args,
  Note: 'transform skipped: an ingestion-only run',
});

export interface LocalRunOptions {
  /** The data dir: the object store lives in <dataDir>/store. */
  readonly dataDir: string;
  readonly apiBaseUrl: string;
  readonly token: TokenSource;
  readonly auth?: 'basic' | 'bearer';
  readonly config?: Partial<PipelineConfig>;
  readonly executionName?: string;
  /** The execution input: e.g. {today: "YYYY-MM-DD"} (the simulated clock), {fullRefresh: true}. */
  readonly input?: Record<string, unknown>;
  /** Scales the definition's Retry intervals (1 = as written; tests use less). */
  readonly retryDelayScale?: number;
  /** The Lambda timeout the handlers see (continuations). Default 900 s. */
  readonly lambdaTimeoutMs?: number;
  readonly clientOptions?: Partial<WistiaClientOptions>;
  /** The Glue step: localGlue (local/transform.ts), the Glue twin, or skipTransform for an ingestion-only run. */
  readonly glue: GlueRunner;
  readonly onEvent?: (e: HistoryEvent) => void;
  readonly store?: ObjectStore;
  /**
   * Handlers bound instead of the real ones, by substitution name (tests: a handler that breaks a limit, to see
   * the runner hold it). Each gets the same Deps the real ones do.
   */
  readonly handlers?: Partial<Record<keyof typeof FUNCTIONS, (deps: Deps) => Handler<unknown>>>;
  /**
   * The Deps the Lambdas build in AWS at cold start (functions/shared/pipeline/aws-deps.ts: S3, SSM, the
   * configuration read from the environment), bound instead of the local ones: the production data path. The
   * runner still counts each invocation's Wistia client and answers executionStatus (it runs the executions).
   * Its store must be `store`.
   */
  readonly awsDeps?: Pick<Deps, 'store' | 'config' | 'wistia'>;
  /**
   * The request budget the Wistia-calling handlers spend (docs/adr/0021): 'account' (default) is the account's
   * one budget, a token bucket in <dataDir>/budget.json shared by every run on the data dir and every process
   * pointed at the file; `{ file }` puts that bucket elsewhere (two data dirs calling one account); 'per-item'
   * gives each map item its fixed share instead (ADR 5); or a RequestBudget of the caller's.
   */
  readonly budget?: 'account' | 'per-item' | { readonly file: string } | RequestBudget;
}

/** The account budget a local run spends (LocalRunOptions.budget), or undefined for the per-item shares. */
export function localBudget(o: Pick<LocalRunOptions, 'dataDir' | 'budget'>, config: PipelineConfig) {
  const b = o.budget ?? 'account';
  if (b === 'per-item') return undefined;
  if (typeof b === 'object' && !('file' in b)) return b;
  const file = typeof b === 'object' ? b.file : dataDirPaths(o.dataDir).budget;
  return new AccountBudget(new FileBudgetStore(file), { perMinute: config.accountRequestsPerMinute });
}

export function localStore(dataDir: string): FileObjectStore {
  return new FileObjectStore(dataDirPaths(dataDir).store, 'local');
}

export function localSubstitutions(bucket: string): Record<string, string> {
  const subs: Record<string, string> = { BucketName: bucket, GlueJobName: 'wistia-transform' };
  for (const [k, f] of Object.entries(FUNCTIONS)) subs[k] = lambdaArn(f.name);
  return subs;
}

function newExecutionName(input: Record<string, unknown>): string {
  const scheduled = typeof input.scheduledTime === 'string' ? Date.parse(input.scheduledTime) : NaN;
  const day =
    typeof input.today === 'string'
      ? input.today
      : new Date(Number.isNaN(scheduled) ? Date.now() : scheduled).toISOString().slice(0, 10);
  return `daily-${day}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296)
    .toString(36)
    .padStart(2, '0')}`;
}

function retryOverrides(def: Definition, scale: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  if (scale === 1) return out;
  for (const [name, s] of Object.entries(def.States)) {
    const retry = s.Retry as
      { IntervalSeconds?: number; BackoffRate?: number; MaxAttempts?: number; MaxDelaySeconds?: number }[] | undefined;
    const r = retry?.[0];
    if (!r) continue;
    const n = Math.max(...retry.map((x) => x.MaxAttempts ?? 3), 1);
    out[name] = Array.from(
      { length: n },
      (_, k) =>
        Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** k, r.MaxDelaySeconds ?? Infinity) * 1000 * scale,
    );
  }
  return out;
}

function errorOf(e: unknown): { error: string; cause: string } {
  const cause = (e as { cause?: { name?: string; message?: string } }).cause;
  if (e instanceof ExecutionError && cause)
    return { error: cause.name ?? 'States.TaskFailed', cause: cause.message ?? '' };
  return { error: (e as Error).name ?? 'Error', cause: (e as Error).message ?? String(e) };
}

/** Runs one execution of the ingestion state machine locally and records it under runs/<name>/. */
export async function runPipeline(o: LocalRunOptions): Promise<ExecutionRecord> {
  const store = o.store ?? localStore(o.dataDir);
  const config: PipelineConfig = { ...DEFAULT_CONFIG, ...o.config };
  const input = o.input ?? {};
  const name = o.executionName ?? newExecutionName(input);
  const arn = localExecutionArn(name);
  // StartExecution's input is capped like any payload (its `input`: maximum length 262144 UTF-8 bytes,
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html): refused, not started.
  if (payloadBytes(input) > PAYLOAD_LIMIT_BYTES)
    throw new Error(
      `the execution input is ${payloadBytes(input)} bytes: StartExecution accepts at most ${PAYLOAD_LIMIT_BYTES}`,
    );
  if (running.has(arn)) throw new Error(`execution "${name}" is already running in this process`);
  const startMs = Date.now();
  const mapRuns: MapRunRecord[] = [];
  // The history's events go to runs/<name>/history.jsonl as they happen (history-log.ts).
  const log = await openHistoryLog(store, name);
  running.add(arn);
  try {
    const stat = procStat(process.pid);
    await putJson(store, runKey(name, 'runner.json'), {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date(startMs).toISOString(),
      ...(stat ? { processStart: stat.start } : {}),
    } satisfies RunnerRecord);
    const emit = (e: HistoryEvent) => {
      log.write(e);
      o.onEvent?.(e);
    };
    const record = await execute(o, store, config, input, name, arn, startMs, emit, mapRuns);
    await log.close();
    await putJson(store, recordKey(name), record);
    return record;
  } finally {
    running.delete(arn);
    // a run that threw keeps its history up to there
    await log.close().catch(() => undefined);
  }
}

async function execute(
  o: LocalRunOptions,
  store: ObjectStore,
  config: PipelineConfig,
  input: Record<string, unknown>,
  name: string,
  arn: string,
  startMs: number,
  emit: (e: HistoryEvent) => void,
  mapRuns: MapRunRecord[],
): Promise<ExecutionRecord> {
  // One "container" per function: the client (connections, token) is built once, each invocation gets its budget.
  const base = new WistiaClient({
    baseUrl: o.apiBaseUrl,
    token: o.token,
    auth: o.auth ?? 'basic',
    budget: 0,
    ...o.clientOptions,
  });
  if (o.awsDeps && o.awsDeps.store !== store)
    throw new Error('awsDeps.store must be the store the runner reads and writes (pass it as `store` too)');
  // one budget for every invocation of this execution (and, through its store, every other execution)
  const account = o.awsDeps ? undefined : localBudget(o, config);
  const clientFor = (rpm: number) => (o.awsDeps ? o.awsDeps.wistia(rpm) : base.withBudget(account ?? rpm));
  // Each invocation's clients are counted when it returns (one client per invocation: never all kept).
  const clients = { requests: 0, retries: 0 };
  const count = (views: WistiaClient[]) => {
    for (const v of views.splice(0)) {
      clients.requests += v.metrics.requests;
      clients.retries += v.metrics.retries;
    }
  };
  const invocation = new AsyncLocalStorage<WistiaClient[]>();
  const runPoints: MetricPoint[] = [];
  const emfLines: string[] = [];
  const usage: Record<string, { invocations: number; durationMs: number }> = {};
  const outside: WistiaClient[] = [];
  const active = new Set<WistiaClient[]>();
  const deps: Deps = {
    store,
    config: o.awsDeps?.config ?? config,
    wistia: (rpm) => {
      const v = clientFor(rpm);
      (invocation.getStore() ?? outside).push(v);
      return v;
    },
    now: () => new Date(),
    executionStatus: (executionArn) => localExecutionStatus(store, executionArn),
  };
  const handlers = new Map<string, Handler<unknown>>();
  for (const [sub, f] of Object.entries(FUNCTIONS) as [
    keyof typeof FUNCTIONS,
    (typeof FUNCTIONS)[keyof typeof FUNCTIONS],
  ][])
    handlers.set(lambdaArn(f.name), (o.handlers?.[sub] ?? f.make)(deps) as Handler<unknown>);
  const glue = o.glue;
  const lambdaTimeoutMs = o.lambdaTimeoutMs ?? 900_000;
  const scale = o.retryDelayScale ?? 1;

  const definition = substitute(readDefinitionText(), localSubstitutions(store.bucket));
  const problems = unsupportedFeatures(definition);
  if (problems.length)
    throw new Error(`the state machine uses features the local runner cannot honour:\n  ${problems.join('\n  ')}`);

  const invokeLambda = async (params: unknown, state: string): Promise<Json> => {
    const p = params as { FunctionName?: string; Payload?: unknown };
    const h = handlers.get(String(p.FunctionName));
    if (!h)
      throw Object.assign(new Error(`Function not found: ${String(p.FunctionName)}`), {
        name: 'Lambda.ResourceNotFoundException',
      });
    const started = Date.now();
    const functionName = String(p.FunctionName).split(':').pop() ?? 'unknown';
    const ctx: LambdaContextLike & MetricsSinkContext & Record<string, unknown> = {
      awsRequestId: `${state}-${started}`,
      functionName,
      getRemainingTimeInMillis: () => Math.max(0, lambdaTimeoutMs - (Date.now() - started)),
      // the invocation's EMF figures: the run's metrics (in AWS these lines go to CloudWatch Logs)
      metricsSink: (lines, points) => {
        runPoints.push(...points);
        emfLines.push(...lines);
      },
    };
    const views: WistiaClient[] = [];
    active.add(views);
    try {
      const payload = await invocation.run(views, () => h(JSON.parse(JSON.stringify(p.Payload ?? {})), ctx));
      return {
        ExecutedVersion: '$LATEST',
        Payload: JSON.parse(JSON.stringify(payload ?? null)) as Json,
        StatusCode: 200,
      };
    } catch (e) {
      // As lambda:invoke reports a function error: Error = the error's name, Cause = the error payload (JSON).
      const err = e as Error;
      const failure = new Error(JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: [] }));
      failure.name = err.name || 'Error';
      throw failure;
    } finally {
      active.delete(views);
      count(views);
      const u = (usage[functionName] ??= { invocations: 0, durationMs: 0 });
      u.invocations++;
      u.durationMs += Date.now() - started;
    }
  };

  /** A Task's local handler, held to the payload quota on its input (after Parameters) and its output. */
  const guarded =
    (sname: string, state: State, fn: (input: Json) => Promise<Json>) =>
    async (input: Json): Promise<Json> => {
      checkPayload(input, `the input of state "${sname}" (after Parameters)`, state);
      const output = await fn(input);
      checkPayload(output, `the result the state/task "${sname}" returned`, state);
      return output;
    };

  /** Rewrites a definition for the interpreter and returns it with the local handler of each Task. */
  const localize = (def: Definition, parentContext: () => Record<string, unknown>) => {
    const states: Record<string, State> = {};
    const local: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [sname, s] of Object.entries(def.States)) {
      const proc = s.ItemProcessor as (Definition & { ProcessorConfig?: { Mode?: string } }) | undefined;
      if (s.Type === 'Map' && proc?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        const task: State = {
          Type: 'Task',
          Resource: lambdaArn('local-distributed-map'),
          TimeoutSeconds: MAX_LOCAL_TIMEOUT_SECONDS,
        };
        for (const k of [
          'Comment',
          'InputPath',
          'ResultSelector',
          'ResultPath',
          'OutputPath',
          'Retry',
          'Catch',
          'Next',
          'End',
        ])
          if (k in s) task[k] = s[k] as Json;
        states[sname] = task;
        const childDef: Definition = { StartAt: proc.StartAt, States: proc.States };
        local[sname] = guarded(sname, s, async (effective) => {
          const parent = parentContext();
          return (await runDistributedMap(s, effective, {
            store,
            stateName: sname,
            context: parent,
            executionArn: arn,
            stateMachineArn: STATE_MACHINE_ARN,
            startChild: (childInput, childName) => runMachine(childDef, childInput, childName),
            onMapRun: (r) => {
              mapRuns.push(r);
              emit({
                timestamp: r.stopDate,
                type: r.status === 'SUCCEEDED' ? 'MapRunSucceeded' : 'MapRunFailed',
                state: sname,
                detail: {
                  label: r.label,
                  mapRunArn: r.mapRunArn,
                  items: r.items,
                  children: r.children,
                  counts: r.counts,
                },
              });
            },
            onItem: (e) => {
              // the states the child entered (what Standard bills per child besides its retries, which are
              // ChildStateRetried events): local/ops/cost.ts counts them
              const transitions = childTransitions.get(e.name);
              childTransitions.delete(e.name);
              emit({
                timestamp: new Date().toISOString(),
                type: e.status === 'SUCCEEDED' ? 'MapItemSucceeded' : 'MapItemFailed',
                state: sname,
                child: e.name,
                ...(e.error ? { error: e.error } : {}),
                detail: { index: e.index, total: e.total, ...(transitions !== undefined ? { transitions } : {}) },
              });
            },
          })) as Json;
        });
        continue;
      }
      const copy: State = { ...s };
      if (s.Type === 'Task') {
        copy.TimeoutSeconds = Math.min(
          typeof s.TimeoutSeconds === 'number' ? s.TimeoutSeconds : MAX_LOCAL_TIMEOUT_SECONDS,
          MAX_LOCAL_TIMEOUT_SECONDS,
        );
        if (s.Resource === 'arn:aws:states:::lambda:invoke') {
          copy.Resource = lambdaArn('local-lambda-invoke');
          local[sname] = guarded(sname, s, (params) => invokeLambda(params, sname));
        } else if (s.Resource === 'arn:aws:states:::glue:startJobRun.sync') {
          copy.Resource = lambdaArn('local-glue');
          local[sname] = guarded(sname, s, async (params) => {
            const p = params as { Arguments?: Record<string, string> };
            const run = await glue(p.Arguments ?? {}, { store, dataDir: o.dataDir });
            if (run.JobRunState !== 'SUCCEEDED')
              throw Object.assign(new Error(JSON.stringify(run)), { name: 'States.TaskFailed' });
            return JSON.parse(JSON.stringify(run)) as Json;
          });
        }
      }
      states[sname] = copy;
    }
    return { definition: { ...def, States: states }, local };
  };

  const machines = new Map<Definition, StateMachine>();
  /** States entered per running map child, by child name (recorded on its MapItem event when it ends). */
  const childTransitions = new Map<string, number>();
  const runMachine = (def: Definition, machineInput: unknown, child?: string): ChildHandle => {
    const started = new Date().toISOString();
    const context: Record<string, unknown> = {
      Execution: {
        Id: child ? `${arn}/${child}` : arn,
        Name: child ?? name,
        StartTime: started,
        Input: machineInput,
        RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`,
      },
      StateMachine: { Id: STATE_MACHINE_ARN, Name: STATE_MACHINE_NAME },
    };
    const { definition: localDef, local } = localize(def, () => context);
    // Validating a definition is costly (schema compilation): one interpreter per definition, many runs.
    let sm = machines.get(def);
    if (!sm) {
      sm = new StateMachine(localDef as never, { validationOptions: { checkArn: false } });
      guardStatePayloads(sm);
      machines.set(def, sm);
    }
    const exec = sm.run(machineInput as never, {
      overrides: { taskResourceLocalHandlers: local as never, retryIntervalOverrides: retryOverrides(def, scale) },
      context: context as never,
      noThrowOnAbort: true,
    });
    const consume = (async () => {
      for await (const ev of exec.eventLogs) {
        const t = new Date(ev.timestamp).toISOString();
        const state = 'state' in ev ? ev.state.name : undefined;
        if (child) {
          if (ev.type === 'StateEntered') childTransitions.set(child, (childTransitions.get(child) ?? 0) + 1);
          // Children keep their retries and failures in the parent's history (the rest stays in their outcome).
          if (ev.type === 'StateRetried')
            emit({
              timestamp: t,
              type: 'ChildStateRetried',
              child,
              ...(state ? { state } : {}),
              attempt: ev.retry.attempt,
            });
          else if (ev.type === 'StateFailed')
            emit({
              timestamp: t,
              type: 'ChildStateFailed',
              child,
              ...(state ? { state } : {}),
              error: ev.Error,
              cause: String(ev.Cause),
            });
          continue;
        }
        const base: HistoryEvent = { timestamp: t, type: ev.type, ...(state ? { state } : {}) };
        if (ev.type === 'StateRetried') emit({ ...base, attempt: ev.retry.attempt });
        else if (ev.type === 'StateFailed' || ev.type === 'ExecutionFailed')
          emit({ ...base, error: ev.Error, cause: String(ev.Cause) });
        else emit(base);
      }
    })();
    const result: Promise<ChildOutcome> = exec.result.then(
      async (output) => {
        await consume;
        const stopDate = new Date().toISOString();
        return output === null
          ? {
              status: 'ABORTED',
              error: 'States.Aborted',
              cause: 'The map run was stopped',
              startDate: started,
              stopDate,
            }
          : { status: 'SUCCEEDED', output, startDate: started, stopDate };
      },
      async (e: unknown) => {
        await consume;
        return { status: 'FAILED', ...errorOf(e), startDate: started, stopDate: new Date().toISOString() };
      },
    );
    return { result, abort: () => exec.abort() };
  };

  emit({ timestamp: new Date(startMs).toISOString(), type: 'ExecutionStarted', detail: { name, input } });
  const outcome = await runMachine(definition, input).result;
  const stopDate = new Date().toISOString();
  // What invocations still running (aborted children) have spent so far counts too.
  for (const views of active) count(views);
  count(outside);
  const record: ExecutionRecord = {
    name,
    arn,
    status: outcome.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
    startDate: new Date(startMs).toISOString(),
    stopDate,
    durationMs: Date.now() - startMs,
    input,
    ...(outcome.status === 'SUCCEEDED' ? { output: outcome.output } : { error: outcome.error, cause: outcome.cause }),
    mapRuns,
    requests: clients.requests,
    retries: clients.retries,
    metrics: sumPoints(runPoints),
    lambdaUsage: usage,
    historyKey: historyKey(name),
    emfKey: runKey(name, 'metrics.emf.jsonl'),
  };
  await store.put(record.emfKey!, emfLines.map((l) => `${l}\n`).join(''), { contentType: 'application/x-ndjson' });
  return record;
}
