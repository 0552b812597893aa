// The execution graph: the state machine definition drawn as layers (Next, Choices/Default, Catch edges dashed)
// with each state's outcome in one execution (succeeded / failed / caught / not entered), its duration and
// retries; Map states hold their ItemProcessor's states and show the items succeeded / failed / pending, with
// the failed items listed (input, error, cause). One self-contained HTML page: inline SVG and CSS, no network.
import { readDefinitionText, type Definition, type State } from '../runner/asl.ts';
import type { HistoryEvent } from '../runner/run.ts';
import type { TransformReport } from '../transform.ts';
import { readExecution, type ExecutionHistory } from './status.ts';

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

interface EdgeDef {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
  readonly label: string | undefined;
}

const NEXT_KEYS = ['Next'] as const;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function processorOf(s: State): Definition | undefined {
  const p = (s.ItemProcessor ?? s.Iterator) as unknown;
  return isObj(p) && typeof p.StartAt === 'string' && isObj(p.States) ? (p as unknown as Definition) : undefined;
}

const OPS: Record<string, string> = {
  Equals: '==',
  LessThan: '<',
  GreaterThan: '>',
  LessThanEquals: '<=',
  GreaterThanEquals: '>=',
  Matches: 'matches',
};

/** A Choice rule as a short readable condition: `$.done == false`. */
export function describeRule(rule: Record<string, unknown>): string {
  for (const k of ['And', 'Or'] as const)
    if (Array.isArray(rule[k]))
      return (rule[k] as Record<string, unknown>[]).map((r) => `(${describeRule(r)})`).join(` ${k.toLowerCase()} `);
  if (isObj(rule.Not)) return `not (${describeRule(rule.Not)})`;
  const variable = typeof rule.Variable === 'string' ? rule.Variable : '?';
  for (const [k, v] of Object.entries(rule)) {
    if (k === 'Variable' || k === 'Next' || k === 'Comment') continue;
    const m =
      /^(String|Numeric|Boolean|Timestamp)?(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals|Matches)(Path)?$/.exec(
        k,
      );
    if (m) return `${variable} ${OPS[m[2] as string]} ${m[3] ? String(v) : JSON.stringify(v)}`;
    if (/^Is(Null|Present|Numeric|String|Boolean|Timestamp)$/.test(k))
      return `${v === false ? 'not ' : ''}${k.slice(2).toLowerCase()} ${variable}`;
    return `${variable} ${k} ${JSON.stringify(v)}`;
  }
  return variable;
}

function edgesOf(states: Record<string, State>): EdgeDef[] {
  const out: EdgeDef[] = [];
  const add = (from: string, to: unknown, kind: EdgeDef['kind'], label?: string) => {
    if (typeof to === 'string' && to in states) out.push({ from, to, kind, label });
  };
  for (const [name, s] of Object.entries(states)) {
    for (const k of NEXT_KEYS) add(name, s[k], 'next');
    if (Array.isArray(s.Choices))
      for (const rule of s.Choices) if (isObj(rule)) add(name, rule.Next, 'choice', describeRule(rule));
    add(name, s.Default, 'default', 'default');
    if (Array.isArray(s.Catch))
      for (const c of s.Catch)
        if (isObj(c)) add(name, c.Next, 'catch', Array.isArray(c.ErrorEquals) ? c.ErrorEquals.join(', ') : undefined);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// What happened to each state

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

// ---------------------------------------------------------------------------------------------------------
// Layered layout (Sugiyama-style: back edges found by DFS, longest-path layers, virtual nodes on long edges,
// barycentre ordering, centred placement). Fail states reached only through Catch sit in a column on the right.

interface Pt {
  x: number;
  y: number;
}
interface Placed {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Routed {
  readonly edge: EdgeDef;
  points: Pt[];
  readonly shape: 'curve' | 'ortho';
}
interface Layout {
  width: number;
  height: number;
  nodes: Map<string, Placed>;
  edges: Routed[];
}

const H_GAP = 36;
const V_GAP = 58;
const MARGIN = 16;

function layout(
  startAt: string,
  boxes: { name: string; w: number; h: number; type: string }[],
  edges: EdgeDef[],
): Layout {
  const size = new Map(boxes.map((b) => [b.name, b]));
  const incoming = (n: string) => edges.filter((e) => e.to === n);
  const side = new Set(
    boxes
      .filter((b) => b.type === 'Fail' && incoming(b.name).length > 0)
      .filter((b) => incoming(b.name).every((e) => e.kind === 'catch'))
      .map((b) => b.name),
  );
  const main = boxes.map((b) => b.name).filter((n) => !side.has(n));
  const mainEdges = edges.filter((e) => !side.has(e.to) && !side.has(e.from));

  // DFS: discovery order, finishing order, back edges
  const mark = new Map<string, 1 | 2>();
  const disc = new Map<string, number>();
  const finish: string[] = [];
  const back = new Set<EdgeDef>();
  const visit = (n: string) => {
    mark.set(n, 1);
    disc.set(n, disc.size);
    for (const e of mainEdges.filter((x) => x.from === n)) {
      const m = mark.get(e.to);
      if (m === 1) back.add(e);
      else if (!m) visit(e.to);
    }
    mark.set(n, 2);
    finish.push(n);
  };
  if (main.includes(startAt)) visit(startAt);
  for (const n of main) if (!mark.has(n)) visit(n);
  const forward = mainEdges.filter((e) => !back.has(e));

  const layer = new Map<string, number>();
  for (const n of [...finish].reverse())
    layer.set(n, Math.max(0, ...forward.filter((e) => e.to === n).map((e) => (layer.get(e.from) ?? -1) + 1)));
  const layers = Math.max(0, ...layer.values()) + 1;

  // Layer members: real nodes and virtual points of edges spanning several layers.
  interface LNode {
    id: string;
    w: number;
    real: boolean;
    key: number;
    preds: string[];
    succs: string[];
    x: number;
  }
  const lnodes = new Map<string, LNode>();
  const rows: LNode[][] = Array.from({ length: layers }, () => []);
  const addNode = (id: string, l: number, w: number, real: boolean, key: number) => {
    const n: LNode = { id, w, real, key, preds: [], succs: [], x: 0 };
    lnodes.set(id, n);
    rows[l]?.push(n);
    return n;
  };
  for (const n of main) addNode(n, layer.get(n) ?? 0, size.get(n)?.w ?? 0, true, disc.get(n) ?? 0);
  const chains = new Map<EdgeDef, string[]>();
  forward.forEach((e, i) => {
    const a = layer.get(e.from) ?? 0;
    const b = layer.get(e.to) ?? 0;
    const chain = [e.from];
    for (let l = a + 1; l < b; l++)
      chain.push(addNode(`\u0000v${i}:${l}`, l, 0, false, (disc.get(e.from) ?? 0) + 0.5).id);
    chain.push(e.to);
    for (let k = 1; k < chain.length; k++) {
      lnodes.get(chain[k - 1] as string)?.succs.push(chain[k] as string);
      lnodes.get(chain[k] as string)?.preds.push(chain[k - 1] as string);
    }
    chains.set(e, chain);
  });

  // Ordering: discovery order, then barycentre sweeps.
  const pos = new Map<string, number>();
  const index = () => rows.forEach((r) => r.forEach((n, i) => pos.set(n.id, i)));
  rows.forEach((r) => r.sort((p, q) => p.key - q.key));
  index();
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? rows.keys() : [...rows.keys()].reverse();
    for (const l of order) {
      const r = rows[l] as LNode[];
      const bary = new Map(
        r.map((n) => {
          const nb = down ? n.preds : n.succs;
          return [n.id, nb.length ? nb.reduce((a, m) => a + (pos.get(m) ?? 0), 0) / nb.length : (pos.get(n.id) ?? 0)];
        }),
      );
      r.sort((p, q) => (bary.get(p.id) ?? 0) - (bary.get(q.id) ?? 0));
      r.forEach((n, i) => pos.set(n.id, i));
    }
  }

  // Placement: centres; each sweep pulls nodes toward their neighbours' mean without overlapping.
  const sep = (a: LNode, b: LNode) => (a.w + b.w) / 2 + (a.real && b.real ? H_GAP : H_GAP / 2);
  for (const r of rows) r.forEach((n, i) => (n.x = i === 0 ? 0 : (r[i - 1] as LNode).x + sep(r[i - 1] as LNode, n)));
  for (let sweep = 0; sweep < 8; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? rows.keys() : [...rows.keys()].reverse();
    for (const l of order) {
      const r = rows[l] as LNode[];
      const desired = r.map((n) => {
        const nb = down ? n.preds : n.succs;
        return nb.length ? nb.reduce((a, m) => a + (lnodes.get(m)?.x ?? 0), 0) / nb.length : n.x;
      });
      r.forEach((n, i) => {
        const d = desired[i] as number;
        n.x = i === 0 ? d : Math.max(d, (r[i - 1] as LNode).x + sep(r[i - 1] as LNode, n));
      });
      const shift = r.reduce((a, n, i) => a + ((desired[i] as number) - n.x), 0) / (r.length || 1);
      for (const n of r) n.x += shift;
    }
  }

  // Vertical: layer tops; nodes centred in their layer.
  const layerH = rows.map((r) => Math.max(12, ...r.filter((n) => n.real).map((n) => size.get(n.id)?.h ?? 0)));
  const top: number[] = [];
  layerH.forEach((h, l) => top.push(l === 0 ? 0 : (top[l - 1] as number) + (layerH[l - 1] as number) + V_GAP));
  const nodes = new Map<string, Placed>();
  for (const n of main) {
    const l = layer.get(n) ?? 0;
    const b = size.get(n) as { w: number; h: number };
    const c = lnodes.get(n) as LNode;
    nodes.set(n, { x: c.x - b.w / 2, y: (top[l] as number) + ((layerH[l] as number) - b.h) / 2, w: b.w, h: b.h });
  }

  const routed: Routed[] = [];
  // Forward edges: out of the source's bottom, through their virtual points, into the target's top.
  const portX = (n: string, others: number[], mine: number) => {
    const p = nodes.get(n) as Placed;
    const sorted = [...others].sort((a, b) => a - b);
    const k = sorted.length;
    const i = sorted.indexOf(mine);
    const spread = Math.min(p.w * 0.6, (k - 1) * 28);
    return p.x + p.w / 2 + (k <= 1 ? 0 : -spread / 2 + (spread * i) / (k - 1));
  };
  const fwdRoutes = forward.map((e) => {
    const chain = chains.get(e) as string[];
    const mid: Pt[] = [];
    for (const v of chain.slice(1, -1)) {
      const l = layer.get(e.from) ?? 0;
      const lv = l + mid.length / 2 + 1;
      const x = lnodes.get(v)?.x ?? 0;
      mid.push({ x, y: top[lv] as number }, { x, y: (top[lv] as number) + (layerH[lv] as number) });
    }
    return { e, mid };
  });
  for (const { e, mid } of fwdRoutes) {
    const s = nodes.get(e.from) as Placed;
    const t = nodes.get(e.to) as Placed;
    const firstX = (m: Pt[], fallback: number) => (m.length ? (m[0] as Pt).x : fallback);
    const lastX = (m: Pt[], fallback: number) => (m.length ? (m[m.length - 1] as Pt).x : fallback);
    const outs = fwdRoutes.filter((r) => r.e.from === e.from);
    const ins = fwdRoutes.filter((r) => r.e.to === e.to);
    const ox = portX(
      e.from,
      outs.map((r) => firstX(r.mid, (nodes.get(r.e.to) as Placed).x + (nodes.get(r.e.to) as Placed).w / 2)),
      firstX(mid, t.x + t.w / 2),
    );
    const ix = portX(
      e.to,
      ins.map((r) => lastX(r.mid, (nodes.get(r.e.from) as Placed).x + (nodes.get(r.e.from) as Placed).w / 2)),
      lastX(mid, s.x + s.w / 2),
    );
    routed.push({ edge: e, shape: 'curve', points: [{ x: ox, y: s.y + s.h }, ...mid, { x: ix, y: t.y }] });
  }
  // Back edges: out of the source's left side, up a lane left of the layers they span, into the target's left.
  let minX = Math.min(...[...nodes.values()].map((p) => p.x), 0);
  [...back].forEach((e, k) => {
    const s = nodes.get(e.from) as Placed;
    const t = nodes.get(e.to) as Placed;
    const [l1, l2] = [layer.get(e.to) ?? 0, layer.get(e.from) ?? 0].sort((a, b) => a - b) as [number, number];
    const span = main.filter((n) => (layer.get(n) ?? 0) >= l1 && (layer.get(n) ?? 0) <= l2);
    const virtual = rows.slice(l1, l2 + 1).flatMap((r) => r.filter((n) => !n.real).map((n) => n.x));
    const lane = Math.min(...span.map((n) => (nodes.get(n) as Placed).x), ...virtual) - 18 - 10 * k;
    minX = Math.min(minX, lane - 8);
    const sy = s.y + s.h / 2 + 6;
    const ty = t.y + t.h / 2 - 6;
    routed.push({
      edge: e,
      shape: 'ortho',
      points: [
        { x: s.x, y: sy },
        { x: lane, y: sy },
        { x: lane, y: ty },
        { x: t.x, y: ty },
      ],
    });
  });
  // Catch edges into the side column: down into the gap under the source's layer, right to the target's lane.
  const maxRight = Math.max(...[...nodes.values()].map((p) => p.x + p.w), 0);
  const sideList = boxes.filter((b) => side.has(b.name));
  const sideEdges = edges.filter((e) => side.has(e.to));
  const gapY = (n: string) => {
    const l = layer.get(n) ?? 0;
    return (top[l] as number) + (layerH[l] as number) + 14;
  };
  const laneOf = new Map(sideList.map((b, k) => [b.name, maxRight + 22 + 12 * k]));
  const sideX = maxRight + 22 + 12 * sideList.length + 16;
  const desiredY = (n: string) => Math.max(...sideEdges.filter((e) => e.to === n).map((e) => gapY(e.from)));
  let nextY = -Infinity;
  for (const b of [...sideList].sort((p, q) => desiredY(p.name) - desiredY(q.name))) {
    const y = Math.max(desiredY(b.name) - b.h / 2, nextY);
    nodes.set(b.name, { x: sideX, y, w: b.w, h: b.h });
    nextY = y + b.h + 20;
  }
  const fromsOf = new Map<string, number>();
  for (const e of sideEdges) {
    const s = nodes.get(e.from) as Placed;
    const t = nodes.get(e.to) as Placed;
    const k = fromsOf.get(e.from) ?? 0;
    fromsOf.set(e.from, k + 1);
    const lane = laneOf.get(e.to) as number;
    const x0 = s.x + s.w - 14 - 8 * k;
    const y0 = gapY(e.from) + 4 * k;
    routed.push({
      edge: e,
      shape: 'ortho',
      points: [
        { x: x0, y: s.y + s.h },
        { x: x0, y: y0 },
        { x: lane, y: y0 },
        { x: lane, y: t.y + t.h / 2 },
        { x: t.x, y: t.y + t.h / 2 },
      ],
    });
  }

  // Normalise to a margin.
  const all = [...nodes.values()];
  const dx = MARGIN - minX;
  const minY = Math.min(0, ...all.map((p) => p.y));
  const dy = MARGIN - minY;
  for (const p of all) {
    p.x += dx;
    p.y += dy;
  }
  for (const r of routed) r.points = r.points.map((p) => ({ x: p.x + dx, y: p.y + dy }));
  const width = Math.max(...all.map((p) => p.x + p.w), ...routed.flatMap((r) => r.points.map((p) => p.x))) + MARGIN;
  const height = Math.max(...all.map((p) => p.y + p.h), ...routed.flatMap((r) => r.points.map((p) => p.y))) + MARGIN;
  return { width, height, nodes, edges: routed };
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

const NODE_W = 252;
const LINE = 16;
const PAD = 10;

export function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function wrap(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/)) {
    if (cur && (cur + ' ' + word).length > max) {
      out.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  // A word longer than a line breaks after a dot (States.ExceedToleratedFailureThreshold), else anywhere.
  return out.flatMap((l) => {
    if (l.length <= max) return [l];
    const pieces: string[] = [];
    let rest = l;
    while (rest.length > max) {
      const dot = rest.lastIndexOf('.', max - 1);
      const cut = dot > max / 3 ? dot + 1 : max;
      pieces.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    return [...pieces, rest];
  });
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const OUTCOME_TEXT: Record<Outcome, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  caught: 'caught',
  'not-entered': 'not entered',
  running: 'running',
};

function kindOf(s: State): string {
  if (s.Type === 'Task' && typeof s.Resource === 'string')
    return `Task · ${s.Resource.replace(/^arn:aws:states:::/, '').replace(/^arn:aws:lambda:.*$/, 'lambda')}`;
  if (s.Type === 'Map') {
    const p = processorOf(s) as (Definition & { ProcessorConfig?: { Mode?: string } }) | undefined;
    const mode = p?.ProcessorConfig?.Mode === 'DISTRIBUTED' ? 'distributed' : 'inline';
    return `Map · ${mode}${typeof s.Label === 'string' ? ` · ${s.Label}` : ''}`;
  }
  return s.Type;
}

interface Lines {
  text: string;
  cls: string;
}

function nodeLines(s: State, v: StateView | undefined): Lines[] {
  const lines: Lines[] = wrap(v?.name ?? '', 34).map((t) => ({ text: t, cls: 'name' }));
  lines.push({ text: kindOf(s), cls: 'kind' });
  if (!v) return lines;
  const parts = [OUTCOME_TEXT[v.outcome]];
  if (v.outcome !== 'not-entered' && v.durationMs !== null) parts.push(formatMs(v.durationMs));
  if (v.visits > 1) parts.push(`${v.visits} visits`);
  if (v.retries) parts.push(`${v.retries} ${v.retries === 1 ? 'retry' : 'retries'}`);
  else if (v.outcome !== 'not-entered') parts.push('no retries');
  lines.push({ text: parts.join(' · '), cls: 'outcome' });
  if (v.itemsFailedHere) lines.push({ text: `failed in ${v.itemsFailedHere} item(s)`, cls: 'error' });
  if (v.map) {
    const m = v.map;
    lines.push({
      text: `items ${m.items}${m.children !== m.items ? ` in ${m.children} batches` : ''}: ✓ ${m.succeeded} succeeded · ✗ ${m.failed} failed · ${m.pending} pending${m.aborted ? ` · ${m.aborted} aborted` : ''}`,
      cls: 'items',
    });
  }
  if (v.error && (v.outcome === 'failed' || v.outcome === 'caught'))
    lines.push(...wrap(v.error, 36).map((t) => ({ text: t, cls: 'error' })));
  return lines.flatMap((l) => (l.cls === 'items' ? wrap(l.text, 38).map((t) => ({ text: t, cls: l.cls })) : [l]));
}

interface Drawn {
  svg: string;
  width: number;
  height: number;
}

function drawGraph(def: Definition, view: ExecutionView, parent: string | null): Drawn {
  const byName = new Map(view.states.filter((s) => s.parent === parent).map((s) => [s.name, s]));
  const inner = new Map<string, Drawn>();
  const content = new Map<string, Lines[]>();
  const boxes = Object.entries(def.States).map(([name, s]) => {
    const v = byName.get(name);
    const lines = nodeLines(s, v);
    content.set(name, lines);
    const proc = processorOf(s);
    let w = NODE_W;
    let h = PAD * 2 + lines.length * LINE;
    if (proc) {
      const d = drawGraph(proc, view, name);
      inner.set(name, d);
      w = Math.max(w, d.width + 2 * PAD);
      h += d.height + 6;
    }
    return { name, w, h, type: s.Type };
  });
  const edges = edgesOf(def.States);
  const lay = layout(def.StartAt, boxes, edges);
  const parts: string[] = [];
  for (const r of lay.edges) {
    const e = r.edge;
    const taken = parent === null && view.transitions.has(`${e.from}\u0000${e.to}`);
    const cls = `edge ${e.kind}${taken ? ' taken' : ''}`;
    const marker = e.kind === 'catch' ? 'arrow-catch' : taken ? 'arrow-taken' : 'arrow';
    const d = r.shape === 'curve' ? curvePath(r.points) : orthoPath(r.points);
    const title = `${e.from} → ${e.to}${e.kind === 'catch' ? ` (catch ${e.label ?? ''})` : e.label ? ` (${e.label})` : ''}`;
    parts.push(
      `<path class="${cls}" d="${d}" marker-end="url(#${marker})" data-from="${esc(e.from)}" data-to="${esc(e.to)}" data-kind="${e.kind}"><title>${esc(title)}</title></path>`,
    );
    if (e.kind === 'choice' || e.kind === 'default') {
      // Near the end of the edge's first stretch, where the branches have spread apart; `$.a.b.mode` → `mode`.
      const short = esc((e.label ?? '').replace(/\$(?:\.[A-Za-z0-9_]+)*\.([A-Za-z0-9_]+)/g, '$1'));
      if (r.shape === 'ortho') {
        // A loop back up: the label runs along its lane.
        const a = r.points[1] as Pt;
        const b = r.points[2] as Pt;
        const [x, y] = [a.x - 4, (a.y + b.y) / 2];
        parts.push(
          `<text class="edge-label" text-anchor="middle" transform="rotate(-90 ${x.toFixed(1)} ${y.toFixed(1)})" x="${x.toFixed(1)}" y="${y.toFixed(1)}">${short}</text>`,
        );
      } else {
        const p0 = r.points[0] as Pt;
        const p1 = (r.points[1] ?? p0) as Pt;
        const [x, y] = [p0.x + (p1.x - p0.x) * 0.7 + 5, p0.y + (p1.y - p0.y) * 0.55];
        parts.push(`<text class="edge-label" x="${x.toFixed(1)}" y="${y.toFixed(1)}">${short}</text>`);
      }
    }
  }
  for (const [name, s] of Object.entries(def.States)) {
    const p = lay.nodes.get(name);
    if (!p) continue;
    const v = byName.get(name);
    const outcome = v?.outcome ?? 'not-entered';
    const lines = content.get(name) ?? [];
    const title = [
      name,
      kindOf(s),
      OUTCOME_TEXT[outcome],
      v?.durationMs !== null && v?.durationMs !== undefined ? `duration ${formatMs(v.durationMs)}` : '',
      `retries ${v?.retries ?? 0}`,
      v?.error ? `${v.error}: ${v.cause ?? ''}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    const attrs = [
      `class="state o-${outcome} t-${s.Type.toLowerCase()}"`,
      `data-state="${esc(name)}"`,
      `data-outcome="${outcome}"`,
      `data-retries="${v?.retries ?? 0}"`,
      parent ? `data-parent="${esc(parent)}"` : '',
      v?.map
        ? `data-items="${v.map.items}" data-succeeded="${v.map.succeeded}" data-failed="${v.map.failed}" data-pending="${v.map.pending}"`
        : '',
    ]
      .filter(Boolean)
      .join(' ');
    const text = lines
      .map((l, i) => `<text class="${l.cls}" x="${PAD}" y="${PAD + 12 + i * LINE}">${esc(l.text)}</text>`)
      .join('');
    const sub = inner.get(name);
    const subSvg = sub
      ? `<g class="processor" transform="translate(${PAD - MARGIN},${PAD + lines.length * LINE + 6 - MARGIN / 2})">${sub.svg}</g>`
      : '';
    parts.push(
      `<g ${attrs} transform="translate(${p.x.toFixed(1)},${p.y.toFixed(1)})"><title>${esc(title)}</title><rect width="${p.w}" height="${p.h}" rx="8"/>${text}${subSvg}</g>`,
    );
  }
  return { svg: parts.join('\n'), width: lay.width, height: lay.height };
}

function curvePath(pts: Pt[]): string {
  const f = (p: Pt) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`;
  let d = `M${f(pts[0] as Pt)}`;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1] as Pt;
    const b = pts[i] as Pt;
    if (Math.abs(a.x - b.x) < 0.5) {
      d += ` L${f(b)}`;
      continue;
    }
    const dy = Math.max(12, (b.y - a.y) / 2);
    d += ` C${f({ x: a.x, y: a.y + dy })} ${f({ x: b.x, y: b.y - dy })} ${f(b)}`;
  }
  return d;
}

function orthoPath(pts: Pt[]): string {
  return pts.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937; }
body { margin: 0; padding: 20px 24px 40px; background: #f8fafc; }
h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 28px 0 8px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; max-height: 16em; overflow: auto; }
.failed-items pre { min-width: 260px; max-width: 560px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 13px; color: #fff; vertical-align: middle; }
.badge.SUCCEEDED { background: #16a34a; } .badge.FAILED { background: #dc2626; } .badge.RUNNING { background: #2563eb; }
.badge.ABORTED, .badge.TIMED_OUT { background: #6b7280; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; font-size: 14px; }
dl.summary dt { color: #6b7280; } dl.summary dd { margin: 0; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 13px; margin: 12px 0; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 5px; vertical-align: -1px; border: 1.5px solid var(--s); background: var(--f); }
.graph { overflow: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px; }
svg text { font-size: 12px; fill: #374151; }
svg text.name { font-weight: 600; font-size: 12.5px; fill: #111827; }
svg text.kind { fill: #6b7280; font-size: 11px; }
svg text.error { fill: #b91c1c; }
svg text.items { fill: #1f2937; }
svg text.edge-label { font-size: 10.5px; fill: #4b5563; }
.state > rect { stroke-width: 1.8; }
.o-succeeded > rect { fill: #dcfce7; stroke: #16a34a; } .o-failed > rect { fill: #fee2e2; stroke: #dc2626; }
.o-caught > rect { fill: #ffedd5; stroke: #ea580c; } .o-running > rect { fill: #dbeafe; stroke: #2563eb; }
.o-not-entered > rect { fill: #f9fafb; stroke: #9ca3af; stroke-dasharray: 5 3; }
.o-not-entered > text { fill: #9ca3af; }
.t-map > rect { fill-opacity: 0.55; }
.edge { fill: none; stroke: #9ca3af; stroke-width: 1.4; }
.edge.taken { stroke: #374151; stroke-width: 2.2; }
.edge.catch { stroke: #ea580c; stroke-dasharray: 6 4; }
.edge.catch.taken { stroke: #c2410c; stroke-width: 2.2; }
table { border-collapse: collapse; font-size: 13px; background: #fff; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.o-succeeded { color: #15803d; } td.o-failed { color: #b91c1c; font-weight: 600; } td.o-caught { color: #c2410c; font-weight: 600; }
td.o-not-entered { color: #9ca3af; } td.o-running { color: #1d4ed8; }
.note { color: #6b7280; font-size: 13px; }
`;

/** The legend: text, fill, stroke (as classes: the page has no inline style attributes, for a strict CSP). */
const LEGEND: [string, string, string][] = [
  ['succeeded', '#dcfce7', '#16a34a'],
  ['failed', '#fee2e2', '#dc2626'],
  ['caught (error handled by a Catch)', '#ffedd5', '#ea580c'],
  ['not entered', '#f9fafb', '#9ca3af'],
  ['running', '#dbeafe', '#2563eb'],
  ['dashed edge: Catch', '#ffffff', '#ea580c'],
  ['dark edge: taken', '#374151', '#374151'],
];
const LEGEND_CSS = LEGEND.map(([, f, s], i) => `.legend .l${i}::before { --f: ${f}; --s: ${s}; }`).join('\n');

/** A Lambda error's cause is its JSON payload: show its type and message. */
function readableCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const c = JSON.parse(cause) as { errorType?: string; errorMessage?: string };
    if (c && typeof c.errorMessage === 'string') return `${c.errorType ? `${c.errorType}: ` : ''}${c.errorMessage}`;
  } catch {
    // not JSON: as it is
  }
  return cause;
}

function json(v: unknown, max = 4000): string {
  const s = JSON.stringify(v, null, 2) ?? 'undefined';
  return s.length > max ? `${s.slice(0, max)}\n… (${s.length - max} more characters)` : s;
}

const MAX_LISTED = 200;

function failedItemsSection(view: ExecutionView): string {
  const maps = view.states.filter((s) => s.map);
  if (!maps.length) return '';
  const out: string[] = ['<h2>Map runs</h2>'];
  out.push(
    '<table class="maps"><tr><th>state</th><th>label</th><th>status</th><th>items</th><th>child executions</th><th>succeeded</th><th>failed</th><th>aborted</th><th>pending</th><th>max concurrency</th><th>tolerated failure %</th></tr>',
  );
  for (const s of maps) {
    const m = s.map as MapView;
    out.push(
      `<tr><td>${esc(s.name)}</td><td>${esc(m.label)}</td><td>${esc(m.status)}</td><td class="num">${m.items}</td><td class="num">${m.children}</td><td class="num">${m.succeeded}</td><td class="num">${m.failed}</td><td class="num">${m.aborted}</td><td class="num">${m.pending}</td><td class="num">${m.maxConcurrency ?? ''}</td><td class="num">${m.toleratedFailurePercentage ?? ''}</td></tr>`,
    );
  }
  out.push('</table>');
  for (const s of maps) {
    const m = s.map as MapView;
    if (!m.failedItems.length && !m.abortedItems.length) continue;
    out.push(`<h2 id="failed-${esc(m.label)}">Failed items of “${esc(s.name)}” (${m.label})</h2>`);
    if (m.failedItems.length) {
      out.push(
        '<table class="failed-items"><tr><th>#</th><th>item</th><th>failed at</th><th>retries</th><th>error</th><th>cause</th><th>input</th></tr>',
      );
      for (const f of m.failedItems.slice(0, MAX_LISTED))
        out.push(
          `<tr data-item="${esc(f.name)}"><td class="num">${f.index >= 0 ? f.index : '—'}</td><td>${esc(f.name)}</td><td>${esc(f.failedAt ?? '')}</td><td class="num">${f.retries}</td><td>${esc(f.error ?? '')}</td><td><pre>${esc(readableCause(f.cause))}</pre></td><td><pre>${esc(json(f.input))}</pre></td></tr>`,
        );
      out.push('</table>');
      if (m.failedItems.length > MAX_LISTED)
        out.push(
          `<p class="note">… and ${m.failedItems.length - MAX_LISTED} more (see the map's FAILED manifest).</p>`,
        );
    }
    if (m.abortedItems.length)
      out.push(
        `<p class="note">${m.abortedItems.length} item(s) aborted when the map run stopped: ${m.abortedItems
          .slice(0, 50)
          .map((f) => esc(f.name))
          .join(', ')}${m.abortedItems.length > 50 ? ', …' : ''}</p>`,
      );
  }
  return out.join('\n');
}

function statesTable(view: ExecutionView): string {
  const rows = view.states.map(
    (s) =>
      `<tr data-state="${esc(s.name)}" data-outcome="${s.outcome}"><td>${s.parent ? `<span class="note">${esc(s.parent)} ›</span> ` : ''}${esc(s.name)}</td><td>${esc(s.type)}</td><td class="o-${s.outcome}">${OUTCOME_TEXT[s.outcome]}</td><td class="num">${s.parent ? '' : s.visits}</td><td class="num">${formatMs(s.durationMs)}</td><td class="num">${s.retries}</td><td>${s.map ? `${s.map.succeeded} / ${s.map.failed} / ${s.map.pending}` : s.itemsFailedHere ? `${s.itemsFailedHere} failed here` : ''}</td><td>${esc(s.error ?? '')}${s.cause ? `<pre>${esc(readableCause(s.cause))}</pre>` : ''}</td></tr>`,
  );
  return [
    '<h2>States</h2>',
    '<table class="states"><tr><th>state</th><th>type</th><th>outcome</th><th>visits</th><th>duration</th><th>retries</th><th>items ✓ / ✗ / pending</th><th>error</th></tr>',
    ...rows,
    '</table>',
    '<p class="note">Durations of the states inside a Map are per item and not kept by the local history; their retries are summed over the items.</p>',
  ].join('\n');
}

function loadSection(t: TransformReport | undefined): string {
  if (!t) return '';
  const out = [`<h2>Transform and load: ${esc(t.status)}</h2>`];
  if (t.status !== 'SUCCEEDED')
    out.push(
      `<p><b>${esc(t.error ?? '')}</b> ${esc(t.message ?? '')}</p>`,
      ...(t.failures ?? []).map((f) => `<p>${esc(f.table)}: ${esc(f.rule)}: ${esc(f.detail)}</p>`),
    );
  if (t.loaded) {
    out.push(
      '<table class="loaded"><tr><th>table</th><th>staged</th><th>inserted</th><th>updated</th><th>unchanged</th></tr>',
    );
    for (const [k, l] of Object.entries(t.loaded))
      out.push(
        `<tr><td>${esc(k)}</td><td class="num">${l.staged}</td><td class="num">${l.inserted}</td><td class="num">${l.updated}</td><td class="num">${l.unchanged}</td></tr>`,
      );
    out.push('</table>');
  }
  if (t.quarantined !== undefined) out.push(`<p class="note">${t.quarantined} record(s) quarantined.</p>`);
  return out.join('\n');
}

export interface RenderOptions {
  readonly transform?: TransformReport;
  /** Where the definition came from, for the footer. */
  readonly definitionSource?: string;
}

/** The page for one execution, from the definition and the execution's history (pure: no I/O). */
export function renderGraphHtml(def: Definition, history: ExecutionHistory, o: RenderOptions = {}): string {
  const view = analyseExecution(def, history);
  const drawn = drawGraph(def, view, null);
  const items = view.states.filter((s) => s.map);
  const sum = (k: 'succeeded' | 'failed' | 'pending' | 'aborted') => items.reduce((a, s) => a + (s.map?.[k] ?? 0), 0);
  const loaded = o.transform?.loaded ? Object.values(o.transform.loaded) : undefined;
  const summary: [string, string][] = [
    ['status', `<span class="badge ${esc(view.status)}">${esc(view.status)}</span>`],
    ['started', esc(view.startDate ?? '—')],
    ['stopped', esc(view.stopDate ?? '—')],
    ['duration', esc(formatMs(view.durationMs))],
    [
      'map items',
      `${sum('succeeded')} succeeded, ${sum('failed')} failed, ${sum('aborted')} aborted, ${sum('pending')} pending`,
    ],
  ];
  if (view.requests !== undefined) summary.push(['Wistia requests', String(view.requests)]);
  if (loaded)
    summary.push([
      'rows loaded',
      `${loaded.reduce((a, l) => a + l.inserted, 0)} inserted, ${loaded.reduce((a, l) => a + l.updated, 0)} updated`,
    ]);
  if (view.error) summary.push(['error', `<b>${esc(view.error)}</b>`]);
  if (view.cause) summary.push(['cause', `<pre>${esc(readableCause(view.cause))}</pre>`]);
  const w = Math.ceil(drawn.width);
  const h = Math.ceil(drawn.height);
  const marker = (id: string, color: string) =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(view.name)}: ${esc(view.status)} · wistia-pipeline</title>
<style>${CSS}${LEGEND_CSS}</style>
</head>
<body>
<header>
<h1>Execution <code>${esc(view.name)}</code> <span class="badge ${esc(view.status)}">${esc(view.status)}</span></h1>
<dl class="summary">${summary.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
</header>
<div class="legend">${LEGEND.map(([t], i) => `<span class="l${i}">${t}</span>`).join('')}</div>
${view.unknownStates.length ? `<p class="note">The history names states the definition no longer has: ${view.unknownStates.map(esc).join(', ')}.</p>` : ''}
<div class="graph">
<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="state machine of execution ${esc(view.name)}">
<defs>${marker('arrow', '#9ca3af')}${marker('arrow-taken', '#374151')}${marker('arrow-catch', '#ea580c')}</defs>
${drawn.svg}
</svg>
</div>
${failedItemsSection(view)}
${statesTable(view)}
${loadSection(o.transform)}
<p class="note">Definition: ${esc(o.definitionSource ?? 'statemachine/ingest.asl.json')}. Drawn by wistia-pipeline graph.</p>
</body>
</html>
`;
}

/** The definition the local runner executes (statemachine/ingest.asl.json, placeholders left as they are). */
export function localDefinition(): Definition {
  return JSON.parse(readDefinitionText()) as Definition;
}

/**
 * The execution graph of one local execution (`latest`: the most recent) as a self-contained HTML page.
 * An unknown execution throws UnknownExecutionError naming it, the data dir and the latest executions.
 */
export async function renderExecutionGraph(o: { dataDir: string; execution: string }): Promise<string> {
  const { history, transform } = await readExecution(o.dataDir, o.execution);
  return renderGraphHtml(localDefinition(), history, {
    ...(transform ? { transform } : {}),
    definitionSource: 'statemachine/ingest.asl.json',
  });
}
