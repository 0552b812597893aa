// The local executions as the run lease and the operator's tools see them: their names and ARNs, the record each
// leaves under runs/<name>/ (execution.json, its history events in history.jsonl), and the process running each (runner.json) with
// the check that it is still alive.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { MetricPoint } from '#shared/metrics.ts';
import type { ExecutionStatus } from '#shared/pipeline/deps.ts';
import { runKey } from '#shared/pipeline/keys.ts';
import { RUN_ID } from '#shared/pipeline/input.ts';
import { getJson, type ObjectStore } from '#shared/store/store.ts';
import type { MapRunRecord } from './distributed-map.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';
export const lambdaArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
export const STATE_MACHINE_NAME = 'wistia-ingest';
export const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;

/** runs/<name>/history.jsonl: the execution's history events, one JSON object per line (history-log.ts). */
export const historyKey = (name: string) => runKey(name, 'history.jsonl');

/** runs/<name>/execution.json: the execution's record, written once it ends. */
export const recordKey = (name: string) => runKey(name, 'execution.json');

/** An execution's record; undefined until it has ended (or when the store holds no such execution). */
export async function readExecutionRecord(store: ObjectStore, name: string): Promise<ExecutionRecord | undefined> {
  return (await getJson<ExecutionRecord>(store, recordKey(name)))?.value;
}

export interface HistoryEvent {
  readonly timestamp: string;
  readonly type: string;
  readonly state?: string;
  readonly child?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly attempt?: number;
  readonly detail?: Record<string, unknown>;
}

export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly startDate: string;
  readonly stopDate: string;
  readonly durationMs: number;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly mapRuns: MapRunRecord[];
  /** Wistia requests made by the run's handlers. */
  readonly requests: number;
  /** Of those, the client's retries (faults, timeouts, rate limits); state-level retries are in the history. */
  readonly retries?: number;
  /**
   * The run's metrics as its Lambdas emitted them (EMF, summed over invocations by name and dimensions; names in
   * contracts/metrics.json). The transform's are in its report (runs/<name>/transform.json `metrics`).
   */
  readonly metrics?: MetricPoint[];
  /** Per function (by name): invocations and their summed wall time, ms (what Lambda would bill, locally timed). */
  readonly lambdaUsage?: Record<string, { invocations: number; durationMs: number }>;
  readonly historyKey: string;
  /**
   * The invocations' EMF documents, one JSON per line, as CloudWatch Logs would hold them (each with its
   * execution, child execution and item): runs/<name>/metrics.emf.jsonl.
   */
  readonly emfKey?: string;
}

/** The execution ARN of a local execution name. */
export const localExecutionArn = (name: string) =>
  `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;

/** The executions this process is running (their ARNs): RUNNING to the run lease whatever their files say. */
export const running = new Set<string>();

/** runs/<name>/runner.json: the process running an execution, written as it starts. */
export interface RunnerRecord {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  /** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat), so a reused pid is not it. */
  readonly processStart?: string;
}

/** /proc/<pid>/stat: the state (field 3) and the start time (field 22), on Linux; undefined elsewhere or gone. */
export function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return { state: rest[0] ?? '', start: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * Whether the process a runner record names is still that runner. Another host's cannot be checked: it counts as
 * running (the stricter answer; the lease then names it, and an operator who knows better deletes the lease).
 */
function runnerAlive(r: RunnerRecord): boolean {
  if (r.hostname !== hostname()) return true;
  if (r.pid === process.pid) return false; // this process, and not among the executions it runs: it ended
  try {
    process.kill(r.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = procStat(r.pid);
  if (stat && stat.state === 'Z') return false; // exited, not yet reaped
  if (stat && r.processStart !== undefined && stat.start !== r.processStart) return false; // the pid was reused
  return true;
}

/**
 * An execution's status as the local runner knows it (what DescribeExecution answers in AWS): RUNNING if this
 * process runs it or the runner that recorded it is alive, else its recorded outcome, else ABORTED (its runner
 * died without one: killed); undefined when the store holds no such execution.
 */
export async function localExecutionStatus(
  store: ObjectStore,
  executionArn: string,
): Promise<ExecutionStatus | undefined> {
  if (running.has(executionArn)) return 'RUNNING';
  const prefix = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:`;
  const name = executionArn.startsWith(prefix) ? executionArn.slice(prefix.length) : '';
  if (!RUN_ID.test(name)) return undefined;
  const record = await readExecutionRecord(store, name);
  if (record) return record.status;
  const runner = await getJson<RunnerRecord>(store, runKey(name, 'runner.json'));
  if (!runner) return undefined;
  return runnerAlive(runner.value) ? 'RUNNING' : 'ABORTED';
}
