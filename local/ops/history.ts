// The one reader of an execution's history in the object store (local, or the pipeline's bucket): its events from
// runs/<execution>/history.jsonl (one per line, written as the run goes: local/runner/history-log.ts), its record
// and map runs from runs/<execution>/execution.json. A run with no record yet (running, or killed) is read from its
// lines as far as they go: RUNNING or ABORTED as the run lease tells them apart, its last line perhaps cut off
// (reported, not thrown). Data dirs from before the lines hold runs/<execution>/history.json, read as it is.
import { getJson, type ObjectStore } from '#shared/store/store.ts';
import { runKey } from '#shared/pipeline/keys.ts';
import {
  historyKey,
  localExecutionArn,
  localExecutionStatus,
  readExecutionRecord,
  type ExecutionRecord,
  type HistoryEvent,
  type RunnerRecord,
} from '../runner/executions.ts';
import type { MapRunRecord } from '../runner/distributed-map.ts';

/** One execution's history: its record (without the map runs), its events in order, its map runs. */
export interface ExecutionHistory {
  readonly execution: {
    readonly name: string;
    /** SUCCEEDED | FAILED locally, RUNNING or ABORTED before its record (killed); also TIMED_OUT in AWS. */
    readonly status: string;
    readonly startDate?: string;
    readonly stopDate?: string;
    readonly durationMs?: number;
    readonly error?: string;
    readonly cause?: string;
    readonly requests?: number;
  };
  readonly events: HistoryEvent[];
  readonly mapRuns: MapRunRecord[];
  /** The last line was cut off (its writer killed while writing it): skipped, and said here. */
  readonly truncated?: { readonly line: number; readonly bytes: number };
}

/** What data dirs from before history.jsonl hold: {execution, events, mapRuns} in one object. */
export const LEGACY_HISTORY_FILE = 'history.json';

/** The history's lines as events, in order; a cut last line is reported, any other bad line throws naming it. */
export function parseHistoryLines(
  body: Buffer,
  key: string,
): { events: HistoryEvent[]; truncated?: { line: number; bytes: number } } {
  const events: HistoryEvent[] = [];
  for (let line = 1, start = 0; start < body.length; line++) {
    const nl = body.indexOf(0x0a, start);
    const end = nl < 0 ? body.length : nl;
    const text = body.toString('utf8', start, end);
    if (text.trim())
      try {
        events.push(JSON.parse(text) as HistoryEvent);
      } catch (e) {
        // only the last line can be cut: the writer appends whole lines, and was stopped in the middle of one
        if (nl < 0) return { events, truncated: { line, bytes: end - start } };
        throw new Error(`${key} line ${line} is not valid JSON: ${(e as Error).message}`);
      }
    start = end + 1;
  }
  return { events };
}

/**
 * The history of execution `name`, or undefined when the store holds none of it (no history.jsonl, no
 * history.json): not started, or killed before its first event. `record`: its execution.json, when the caller
 * has read it already.
 */
export async function readHistory(
  store: ObjectStore,
  name: string,
  record?: ExecutionRecord,
): Promise<ExecutionHistory | undefined> {
  const key = historyKey(name);
  const lines = await store.get(key);
  if (!lines) return (await getJson<ExecutionHistory>(store, runKey(name, LEGACY_HISTORY_FILE)))?.value;
  const { events, truncated } = parseHistoryLines(lines.body, key);
  const recorded = record ?? (await readExecutionRecord(store, name));
  const { mapRuns = [], ...execution } = recorded ?? (await unrecorded(store, name, events));
  return { execution, events, mapRuns, ...(truncated ? { truncated } : {}) };
}

/** A run without its record: as far as its events go. */
async function unrecorded(
  store: ObjectStore,
  name: string,
  events: readonly HistoryEvent[],
): Promise<ExecutionHistory['execution'] & { mapRuns?: MapRunRecord[] }> {
  const status = (await localExecutionStatus(store, localExecutionArn(name))) ?? 'ABORTED';
  const runner = (await getJson<RunnerRecord>(store, runKey(name, 'runner.json')))?.value;
  const startDate = events.find((e) => e.type === 'ExecutionStarted')?.timestamp ?? runner?.startedAt;
  if (status === 'RUNNING') return { name, status, ...(startDate ? { startDate } : {}) };
  const stopDate = events.at(-1)?.timestamp;
  return {
    name,
    status,
    ...(startDate ? { startDate } : {}),
    ...(stopDate ? { stopDate } : {}),
    ...(startDate && stopDate ? { durationMs: Date.parse(stopDate) - Date.parse(startDate) } : {}),
    error: 'States.Aborted',
    cause: 'the run stopped before its end (its runner process is gone): its history is what it recorded until then',
  };
}
