// What happened in one execution, state by state, from the definition and the execution's history
// (locally runs/<execution>/history.jsonl and execution.json, read by ../history.ts; GetExecutionHistory and
// DescribeMapRun in AWS): each state's outcome
// (succeeded / failed / caught / not entered / running), visits, duration and retries; each Map state's items
// succeeded / failed / aborted / pending and its failed items (input, error, cause, the state they failed in).
// Pure data: no layout, no HTML.
import type { Definition } from '../../runner/asl.ts';
import type { HistoryEvent } from '../../runner/run.ts';
import type { ExecutionHistory } from '../history.ts';
import { processorOf } from './definition.ts';

export type Outcome = 'succeeded' | 'failed' | 'caught' | 'not-entered' | 'running';

export interface FailedItemView {
  readonly map: string;
  readonly index: number;
  readonly name: string;
  readonly input: unknown;
  readonly error: string | undefined;
  readonly cause: string | undefined;
  /** The ItemProcessor state the item failed in (from the history), if known. */
  readonly failedAt: string | undefined;
  readonly retries: number;
}

export interface MapView {
  readonly label: string;
  readonly status: string;
  /** Map runs of this state (a state entered twice runs twice). */
  readonly runs: number;
  /** Items the reader read. */
  readonly items: number;
  /** Child executions: the items, or their batches (ItemBatcher); the counts below are of these. */
  readonly children: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly aborted: number;
  readonly pending: number;
  readonly maxConcurrency: number | null;
  readonly toleratedFailurePercentage: number | null;
  /** Items that failed on their own (not aborted). */
  readonly failedItems: FailedItemView[];
  /** Items stopped because the run failed (States.Aborted). */
  readonly abortedItems: FailedItemView[];
}

export interface StateView {
  readonly name: string;
  /** The Map state whose ItemProcessor holds this state; null at the top level. */
  readonly parent: string | null;
  readonly type: string;
  readonly outcome: Outcome;
  /** Times entered (top level; a loop enters a state more than once). */
  readonly visits: number;
  /** Time spent in the state over its visits; null where the history does not tell (map items' states). */
  readonly durationMs: number | null;
  /** Retries: of the state (top level), or of every item at this state (ItemProcessor states). */
  readonly retries: number;
  readonly error: string | undefined;
  readonly cause: string | undefined;
  readonly map: MapView | undefined;
  /** ItemProcessor states: how many items failed here. */
  readonly itemsFailedHere: number | undefined;
}

export interface ExecutionView {
  readonly name: string;
  readonly status: string;
  readonly startDate: string | undefined;
  readonly stopDate: string | undefined;
  readonly durationMs: number | undefined;
  readonly error: string | undefined;
  readonly cause: string | undefined;
  readonly requests: number | undefined;
  /** Every state of the definition, the ItemProcessor states right after their Map. */
  readonly states: StateView[];
  /** Top-level transitions taken, as "from\u0000to". */
  readonly transitions: ReadonlySet<string>;
  /** States the history names that the definition does not have (the definition changed since). */
  readonly unknownStates: string[];
}

interface Acc {
  visits: number;
  openAt: number | undefined;
  duration: number;
  retries: number;
  status: Outcome;
  error: string | undefined;
  cause: string | undefined;
  failedAt: number | undefined;
}

const STATE_EVENTS = new Set(['StateEntered', 'StateExited', 'StateFailed', 'StateRetried', 'StateCaught']);

function topLevel(events: HistoryEvent[], running: boolean, stopMs: number): Map<string, Acc> {
  const acc = new Map<string, Acc>();
  const get = (n: string) => {
    let a = acc.get(n);
    if (!a) {
      a = {
        visits: 0,
        openAt: undefined,
        duration: 0,
        retries: 0,
        status: 'running',
        error: undefined,
        cause: undefined,
        failedAt: undefined,
      };
      acc.set(n, a);
    }
    return a;
  };
  for (const e of events) {
    if (!e.state || !STATE_EVENTS.has(e.type)) continue;
    const a = get(e.state);
    const t = Date.parse(e.timestamp);
    switch (e.type) {
      case 'StateEntered':
        a.visits++;
        a.openAt = t;
        a.status = 'running';
        a.failedAt = undefined;
        break;
      case 'StateFailed':
        a.status = 'failed';
        a.error = e.error;
        a.cause = e.cause;
        a.failedAt = t;
        break;
      case 'StateRetried':
        a.retries++;
        a.status = 'running';
        a.failedAt = undefined;
        break;
      case 'StateCaught':
        a.status = 'caught';
        break;
      case 'StateExited':
        if (a.status !== 'caught') a.status = 'succeeded';
        if (a.openAt !== undefined) a.duration += t - a.openAt;
        a.openAt = undefined;
        break;
    }
  }
  for (const a of acc.values()) {
    if (a.openAt === undefined) continue;
    // Never exited: it failed the execution (a Fail state, an uncaught error), or it still runs.
    const end = a.failedAt ?? (running ? Date.now() : stopMs);
    if (Number.isFinite(end)) a.duration += Math.max(0, end - a.openAt);
    if (a.status === 'running' && !running) a.status = 'failed';
  }
  return acc;
}

function mapView(state: string, h: ExecutionHistory): MapView | undefined {
  const runs = (h.mapRuns ?? []).filter((m) => m.state === state);
  if (!runs.length) return undefined;
  const label = (runs[0] as (typeof runs)[number]).label;
  // The last failure of each item names the ItemProcessor state it failed in; retries are counted per item.
  const lastFailure = new Map<string, string>();
  const retriesOf = new Map<string, number>();
  for (const e of h.events) {
    if (!e.child || !runs.some((r) => e.child?.startsWith(`${r.label}-`))) continue;
    if (e.type === 'ChildStateFailed' && e.state) lastFailure.set(e.child, e.state);
    if (e.type === 'ChildStateRetried') retriesOf.set(e.child, (retriesOf.get(e.child) ?? 0) + 1);
  }
  const items = runs.flatMap((r) =>
    r.failedItems.map((f): FailedItemView => ({
      map: r.label,
      index: f.index,
      name: f.name,
      input: f.input,
      error: f.error,
      cause: f.cause,
      failedAt: lastFailure.get(f.name),
      retries: retriesOf.get(f.name) ?? 0,
    })),
  );
  const sum = (k: 'succeeded' | 'failed' | 'aborted' | 'pending') => runs.reduce((a, r) => a + r.counts[k], 0);
  const last = runs[runs.length - 1] as (typeof runs)[number];
  return {
    label,
    status: last.status,
    runs: runs.length,
    items: runs.reduce((a, r) => a + r.items, 0),
    children: runs.reduce((a, r) => a + (r.children ?? r.items), 0),
    succeeded: sum('succeeded'),
    failed: sum('failed'),
    aborted: sum('aborted'),
    pending: sum('pending'),
    maxConcurrency: last.maxConcurrency ?? null,
    toleratedFailurePercentage: last.toleratedFailurePercentage ?? null,
    failedItems: items.filter((i) => i.error !== 'States.Aborted'),
    abortedItems: items.filter((i) => i.error === 'States.Aborted'),
  };
}

/** Each state's outcome, duration and retries in one execution, from the definition and the history. */
export function analyseExecution(def: Definition, h: ExecutionHistory): ExecutionView {
  const x = h.execution;
  const running = x.status === 'RUNNING';
  const acc = topLevel(h.events, running, Date.parse(x.stopDate ?? ''));
  const states: StateView[] = [];
  for (const [name, s] of Object.entries(def.States)) {
    const a = acc.get(name);
    const map = s.Type === 'Map' ? mapView(name, h) : undefined;
    states.push({
      name,
      parent: null,
      type: s.Type,
      outcome: a ? a.status : 'not-entered',
      visits: a?.visits ?? 0,
      durationMs: a ? a.duration : null,
      retries: a?.retries ?? 0,
      error: a?.error,
      cause: a?.cause,
      map,
      itemsFailedHere: undefined,
    });
    const proc = processorOf(s);
    if (proc) states.push(...itemStates(name, proc, map, h, a !== undefined));
  }
  const transitions = new Set<string>();
  let prev: string | undefined;
  for (const e of h.events)
    if (e.type === 'StateEntered' && e.state) {
      if (prev !== undefined) transitions.add(`${prev}\u0000${e.state}`);
      prev = e.state;
    }
  const known = new Set(Object.keys(def.States));
  const unknownStates = [...acc.keys()].filter((n) => !known.has(n));
  return {
    name: x.name,
    status: x.status,
    startDate: x.startDate,
    stopDate: x.stopDate,
    durationMs: x.durationMs,
    error: x.error,
    cause: x.cause,
    requests: x.requests,
    states,
    transitions,
    unknownStates,
  };
}

/** ItemProcessor states: failed where items failed, succeeded where items went through, with every item's retries. */
function itemStates(
  mapName: string,
  proc: Definition,
  map: MapView | undefined,
  h: ExecutionHistory,
  entered: boolean,
): StateView[] {
  const labels = new Set([map?.label].filter(Boolean) as string[]);
  const retries = new Map<string, number>();
  for (const e of h.events)
    if (e.type === 'ChildStateRetried' && e.state && [...labels].some((l) => e.child?.startsWith(`${l}-`)))
      retries.set(e.state, (retries.get(e.state) ?? 0) + 1);
  const out: StateView[] = [];
  for (const [name, s] of Object.entries(proc.States)) {
    const failedHere = map?.failedItems.filter((f) => f.failedAt === name) ?? [];
    const last = failedHere[failedHere.length - 1];
    const outcome: Outcome = !entered
      ? 'not-entered'
      : failedHere.length
        ? 'failed'
        : map && map.succeeded > 0
          ? 'succeeded'
          : h.execution.status === 'RUNNING'
            ? 'running'
            : 'not-entered';
    out.push({
      name,
      parent: mapName,
      type: s.Type,
      outcome,
      visits: 0,
      durationMs: null,
      retries: retries.get(name) ?? 0,
      error: last?.error,
      cause: last?.cause,
      map: undefined,
      itemsFailedHere: map ? failedHere.length : undefined,
    });
  }
  return out;
}
