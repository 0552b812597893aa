// The same operator's view of executions in AWS: Step Functions' ListExecutions, GetExecutionHistory,
// DescribeMapRun (and the failed child executions of each map run) mapped to the model the local runner records,
// so `status --aws` and `graph --aws` show AWS executions exactly as they show local ones.
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  type DescribeMapRunCommandOutput,
  type HistoryEvent as SfnEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { Definition } from '../runner/asl.ts';
import type { HistoryEvent } from '../runner/run.ts';
import type { MapRunRecord } from '../runner/distributed-map.ts';
import { renderGraphHtml } from './graph.ts';
import { readWatermarks } from '#shared/pipeline/watermarks.ts';
import type { ObjectStore } from '#shared/store/store.ts';
import { EXECUTION_NAME, UnknownExecutionError } from './catalog.ts';
import type { ExecutionHistory } from './history.ts';
import { type ExecutionSummary, type MapSummary, type StatusReport } from './status.ts';

export type Sfn = Pick<SFNClient, 'send'>;

/** Failed items described per map run (each costs a DescribeExecution). */
const MAX_FAILED_ITEMS = 50;

const iso = (d: Date | string | undefined) => (d === undefined ? undefined : new Date(d).toISOString());

/** The execution ARN of a name (or an ARN as it is) under a state machine. */
export function executionArnOf(stateMachineArn: string, execution: string): string {
  if (execution.startsWith('arn:')) return execution;
  if (!EXECUTION_NAME.test(execution))
    throw new UnknownExecutionError(`"${execution}" is not an execution name or ARN`);
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${execution}`;
}

async function latestNames(sfn: Sfn, stateMachineArn: string): Promise<string> {
  const l = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 5 }));
  const names = (l.executions ?? []).map((e) => e.name);
  return names.length ? `; the latest: ${names.join(', ')}` : ' (it has no executions)';
}

/** `latest`, a name or an ARN → the execution's ARN; an unknown one throws naming it and the state machine. */
export async function resolveAwsExecution(sfn: Sfn, stateMachineArn: string, execution: string): Promise<string> {
  if (execution === 'latest') {
    const l = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }));
    const arn = l.executions?.[0]?.executionArn;
    if (!arn) throw new UnknownExecutionError(`${stateMachineArn} has no executions: there is no latest one`);
    return arn;
  }
  const arn = executionArnOf(stateMachineArn, execution);
  try {
    await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  } catch (e) {
    if ((e as Error).name === 'ExecutionDoesNotExist')
      throw new UnknownExecutionError(
        `no execution "${execution}" in ${stateMachineArn}${await latestNames(sfn, stateMachineArn)}`,
      );
    throw e;
  }
  return arn;
}

/** The error and cause an event carries, whichever details field holds them. */
function errorOf(e: SfnEvent): { error?: string; cause?: string } {
  for (const [k, v] of Object.entries(e))
    if (k.endsWith('EventDetails') && v && typeof v === 'object' && ('error' in v || 'cause' in v)) {
      const d = v as { error?: string; cause?: string };
      return { ...(d.error ? { error: d.error } : {}), ...(d.cause ? { cause: d.cause } : {}) };
    }
  return {};
}

const SCHEDULED = /^(Task|LambdaFunction|Activity)Scheduled$/;
const FAILED =
  /^((Task|LambdaFunction|Activity)(Failed|TimedOut|StartFailed|SubmitFailed|ScheduleFailed)|MapStateFailed|ParallelStateFailed)$/;

/**
 * Step Functions' history events → the local runner's: StateEntered / StateExited, StateFailed per failed attempt,
 * StateRetried for each attempt after the first, StateCaught when a failed state hands over to a Catch, and the
 * map runs started by each state.
 */
export function mapAwsEvents(events: SfnEvent[]): {
  events: HistoryEvent[];
  mapRuns: { state: string; arn: string }[];
} {
  const out: HistoryEvent[] = [];
  const mapRuns: { state: string; arn: string }[] = [];
  let cur: string | undefined;
  let attempts = 0;
  let lastFailed = false;
  const close = (t: string) => {
    if (cur === undefined) return;
    if (lastFailed) out.push({ timestamp: t, type: 'StateCaught', state: cur });
    out.push({ timestamp: t, type: 'StateExited', state: cur });
    cur = undefined;
  };
  for (const e of events) {
    const t = iso(e.timestamp) ?? new Date(0).toISOString();
    const type = String(e.type);
    if (type.endsWith('StateEntered')) {
      close(t);
      cur = e.stateEnteredEventDetails?.name ?? '?';
      attempts = 0;
      lastFailed = false;
      out.push({ timestamp: t, type: 'StateEntered', state: cur });
    } else if (type.endsWith('StateExited')) {
      if (cur === undefined || e.stateExitedEventDetails?.name !== cur) continue;
      close(t);
    } else if (SCHEDULED.test(type) && cur !== undefined) {
      attempts++;
      if (attempts > 1) out.push({ timestamp: t, type: 'StateRetried', state: cur, attempt: attempts - 1 });
      lastFailed = false;
    } else if (FAILED.test(type) && cur !== undefined) {
      out.push({ timestamp: t, type: 'StateFailed', state: cur, ...errorOf(e) });
      lastFailed = true;
    } else if (type === 'MapRunStarted' && cur !== undefined && e.mapRunStartedEventDetails?.mapRunArn) {
      mapRuns.push({ state: cur, arn: e.mapRunStartedEventDetails.mapRunArn });
    } else if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut' || type === 'ExecutionAborted') {
      // The state still open failed the execution (a Fail state, an uncaught error, the timeout).
      if (cur !== undefined && !lastFailed) out.push({ timestamp: t, type: 'StateFailed', state: cur, ...errorOf(e) });
      cur = undefined;
      out.push({ timestamp: t, type, ...errorOf(e) });
    } else if (type === 'ExecutionSucceeded' || type === 'ExecutionStarted') {
      close(t);
      out.push({ timestamp: t, type });
    }
  }
  return { events: out, mapRuns };
}

async function allEvents(sfn: Sfn, executionArn: string): Promise<SfnEvent[]> {
  const events: SfnEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** mapRun:<state machine>/<label>:<id> → label */
const labelOf = (mapRunArn: string) => mapRunArn.split('/').pop()?.split(':')[0] ?? 'map';

function mapRecord(
  state: string,
  arn: string,
  d: DescribeMapRunCommandOutput,
  failedItems: MapRunRecord['failedItems'],
) {
  // Counts of child executions, as the local runner keeps them (with an ItemBatcher a child runs a batch).
  const c = d.executionCounts ?? d.itemCounts;
  const record: MapRunRecord = {
    state,
    label: labelOf(arn),
    mapRunArn: arn,
    items: d.itemCounts?.total ?? c?.total ?? 0,
    children: c?.total ?? 0,
    maxConcurrency: d.maxConcurrency ?? 0,
    toleratedFailurePercentage: d.toleratedFailurePercentage ?? 0,
    toleratedFailureCount: d.toleratedFailureCount ?? null,
    status: (d.status ?? 'RUNNING') as MapRunRecord['status'],
    counts: {
      succeeded: c?.succeeded ?? 0,
      failed: (c?.failed ?? 0) + (c?.timedOut ?? 0),
      aborted: c?.aborted ?? 0,
      pending: (c?.pending ?? 0) + (c?.running ?? 0),
    },
    failedItems,
    startDate: iso(d.startDate) ?? '',
    stopDate: iso(d.stopDate) ?? '',
  };
  return record;
}

async function failedChildren(sfn: Sfn, mapRunArn: string): Promise<MapRunRecord['failedItems']> {
  const l = await sfn.send(
    new ListExecutionsCommand({ mapRunArn, statusFilter: 'FAILED', maxResults: MAX_FAILED_ITEMS }),
  );
  return Promise.all(
    (l.executions ?? []).map(async (x) => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: String(x.executionArn) }));
      let input: unknown = d.input;
      try {
        input = d.input === undefined ? undefined : JSON.parse(d.input);
      } catch {
        // not JSON: as it is
      }
      return {
        index: -1, // Step Functions does not say which item of the reader a child execution ran
        name: String(x.name),
        input,
        ...(d.error ? { error: d.error } : {}),
        ...(d.cause ? { cause: d.cause } : {}),
      };
    }),
  );
}

/** One AWS execution as the local runner would have recorded it: its history, map runs and definition. */
export async function awsExecution(
  sfn: Sfn,
  executionArn: string,
): Promise<{ history: ExecutionHistory; definition: Definition }> {
  const [d, sm, raw] = await Promise.all([
    sfn.send(new DescribeExecutionCommand({ executionArn })),
    sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn })),
    allEvents(sfn, executionArn),
  ]);
  const mapped = mapAwsEvents(raw);
  const mapRuns = await Promise.all(
    mapped.mapRuns.map(async (m) =>
      mapRecord(
        m.state,
        m.arn,
        await sfn.send(new DescribeMapRunCommand({ mapRunArn: m.arn })),
        await failedChildren(sfn, m.arn),
      ),
    ),
  );
  const start = iso(d.startDate);
  const stop = iso(d.stopDate);
  const history: ExecutionHistory = {
    execution: {
      name: String(d.name),
      status: String(d.status),
      ...(start ? { startDate: start } : {}),
      ...(stop ? { stopDate: stop } : {}),
      ...(start && stop ? { durationMs: Date.parse(stop) - Date.parse(start) } : {}),
      ...(d.error ? { error: d.error } : {}),
      ...(d.cause ? { cause: d.cause } : {}),
    },
    events: mapped.events,
    mapRuns,
  };
  return { history, definition: JSON.parse(String(sm.definition)) as Definition };
}

/** The execution graph of an AWS execution (`latest`, a name or an ARN), drawn with the definition it ran. */
export async function renderAwsExecutionGraph(o: {
  sfn: Sfn;
  stateMachineArn: string;
  execution: string;
}): Promise<{ name: string; html: string }> {
  const arn = await resolveAwsExecution(o.sfn, o.stateMachineArn, o.execution);
  const { history, definition } = await awsExecution(o.sfn, arn);
  return {
    name: history.execution.name,
    html: await renderGraphHtml(definition, history, {
      definitionSource: `the definition ${arn} ran (Step Functions)`,
    }),
  };
}

/** The most recent executions of a state machine with their map items (requests and rows are not known there). */
export async function awsExecutions(
  sfn: Sfn,
  stateMachineArn: string,
  limit: number,
): Promise<{ executions: ExecutionSummary[]; more: boolean }> {
  const l = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: limit }));
  const executions = await Promise.all(
    (l.executions ?? []).map(async (x): Promise<ExecutionSummary> => {
      const runs = await sfn.send(new ListMapRunsCommand({ executionArn: String(x.executionArn) }));
      const maps: MapSummary[] = await Promise.all(
        (runs.mapRuns ?? []).map(async (m) => {
          const r = mapRecord(
            '',
            String(m.mapRunArn),
            await sfn.send(new DescribeMapRunCommand({ mapRunArn: m.mapRunArn })),
            [],
          );
          return {
            state: '',
            label: r.label,
            status: r.status,
            items: r.items,
            succeeded: r.counts.succeeded,
            failed: r.counts.failed,
            aborted: r.counts.aborted,
            pending: r.counts.pending,
          };
        }),
      );
      const failed = x.status !== 'SUCCEEDED' && x.status !== 'RUNNING';
      const d = failed
        ? await sfn.send(new DescribeExecutionCommand({ executionArn: String(x.executionArn) }))
        : undefined;
      const start = iso(x.startDate) ?? null;
      const stop = iso(x.stopDate) ?? null;
      const sum = (k: 'succeeded' | 'failed' | 'aborted' | 'pending') => maps.reduce((a, m) => a + m[k], 0);
      return {
        id: String(x.name),
        status: String(x.status),
        startedAt: start,
        stoppedAt: stop,
        durationMs: start && stop ? Date.parse(stop) - Date.parse(start) : null,
        itemsSucceeded: sum('succeeded'),
        itemsFailed: sum('failed'),
        itemsAborted: sum('aborted'),
        itemsPending: sum('pending'),
        requests: null,
        rowsLoaded: null,
        rowsInserted: null,
        rowsUpdated: null,
        quarantined: null,
        records: null,
        findings: null,
        transform: null,
        error: d?.error ?? null,
        cause: d?.cause ?? null,
        maps,
      };
    }),
  );
  return { executions, more: Boolean(l.nextToken) };
}

/** `status --aws`: the state machine's recent executions, the watermarks in the bucket (when given). */
export async function gatherAwsStatus(o: {
  sfn: Sfn;
  stateMachineArn: string;
  limit: number;
  /** The pipeline's bucket, for state/watermarks.json. */
  store?: ObjectStore;
}): Promise<StatusReport> {
  const { executions, more } = await awsExecutions(o.sfn, o.stateMachineArn, o.limit);
  return {
    dataDir: null,
    stateMachineArn: o.stateMachineArn,
    executions,
    totalExecutions: more ? null : executions.length,
    watermarks: o.store ? ((await readWatermarks(o.store)).value ?? null) : null,
    tables: null,
    warehouse: {
      state: 'skipped',
      dir: null,
      message: 'with --aws the warehouse is Redshift Serverless: query it with the query editor (sql/queries/)',
    },
  };
}
