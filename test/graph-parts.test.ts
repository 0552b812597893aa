// The execution graph's parts on their own: the analysis of a hand-built history (what happened in each state and
// map, as data), and the elkjs layout of the real definition (every state a box, Map states holding their
// ItemProcessor's states, nothing overlapping). No pipeline run, no HTML.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  analyseExecution,
  layoutDefinition,
  type GraphLayout,
  localDefinition,
  type PlacedGraph,
  type PlacedNode,
  type StateView,
} from '#local/ops/graph.ts';
import type { ExecutionHistory } from '#local/ops/status.ts';
import type { Definition, State } from '#local/runner/asl.ts';
import type { HistoryEvent } from '#local/runner/run.ts';
import type { MapRunRecord } from '#local/runner/distributed-map.ts';

// ---------------------------------------------------------------------------------------------------------
// Analysis

/** A small machine with every kind of outcome: a Task with Retry and Catch, a loop, a Map with two item states. */
const DEF: Definition = {
  StartAt: 'Start',
  States: {
    Start: { Type: 'Pass', Next: 'Call' },
    Call: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Next: 'Items',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
    },
    Items: {
      Type: 'Map',
      Label: 'Things',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Fetch',
        States: {
          Fetch: { Type: 'Task', Resource: 'arn:x', Next: 'Save' },
          Save: { Type: 'Task', Resource: 'arn:y', End: true },
        },
      },
      Next: 'Again?',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
    },
    'Again?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.again', BooleanEquals: true, Next: 'Start' }],
      Default: 'Done',
    },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', Error: 'Boom', Cause: 'it broke' },
  },
};

const T0 = Date.parse('2026-11-20T06:00:00Z');
/** An event `ms` after T0. */
const at = (ms: number, type: string, state?: string, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  timestamp: new Date(T0 + ms).toISOString(),
  type,
  ...(state ? { state } : {}),
  ...extra,
});
/** Entered at `from`, exited at `to`. */
const through = (state: string, from: number, to: number) => [
  at(from, 'StateEntered', state),
  at(to, 'StateExited', state),
];

function mapRun(o: Partial<MapRunRecord> & Pick<MapRunRecord, 'counts'>): MapRunRecord {
  return {
    state: 'Items',
    label: 'Things',
    mapRunArn: 'arn:aws:states:local:000000000000:mapRun:m/Things:1',
    items: o.counts.succeeded + o.counts.failed + o.counts.aborted + o.counts.pending,
    children: o.counts.succeeded + o.counts.failed + o.counts.aborted + o.counts.pending,
    maxConcurrency: 4,
    toleratedFailurePercentage: 10,
    toleratedFailureCount: null,
    status: 'SUCCEEDED',
    failedItems: [],
    startDate: new Date(T0).toISOString(),
    stopDate: new Date(T0 + 1000).toISOString(),
    ...o,
  };
}

function history(
  status: string,
  events: HistoryEvent[],
  mapRuns: MapRunRecord[] = [],
  stopMs = 10_000,
): ExecutionHistory {
  return {
    execution: {
      name: 'exec',
      status,
      startDate: new Date(T0).toISOString(),
      ...(status === 'RUNNING' ? {} : { stopDate: new Date(T0 + stopMs).toISOString() }),
    },
    events,
    mapRuns,
  };
}

/** What the view says of one state: [outcome, visits, durationMs, retries, error]. */
const row = (v: StateView | undefined) => v && [v.outcome, v.visits, v.durationMs, v.retries, v.error];
const stateOf = (h: ExecutionHistory, name: string, parent: string | null = null) =>
  analyseExecution(DEF, h).states.find((s) => s.name === name && s.parent === parent);

describe('the analysis of a history: each state as the history tells it', () => {
  const cases: [string, ExecutionHistory, string, ReturnType<typeof row>][] = [
    [
      'entered and exited: succeeded, timed',
      history('SUCCEEDED', through('Start', 0, 250)),
      'Start',
      ['succeeded', 1, 250, 0, undefined],
    ],
    [
      'never entered: not entered, no duration',
      history('SUCCEEDED', through('Start', 0, 250)),
      'Call',
      ['not-entered', 0, null, 0, undefined],
    ],
    [
      'failed, retried, then exited: succeeded with its retry, the whole time counted',
      history('SUCCEEDED', [
        at(0, 'StateEntered', 'Call'),
        at(100, 'StateFailed', 'Call', { error: 'Transient', cause: '503' }),
        at(300, 'StateRetried', 'Call', { attempt: 1 }),
        at(500, 'StateExited', 'Call'),
      ]),
      'Call',
      ['succeeded', 1, 500, 1, 'Transient'],
    ],
    [
      'failed then caught: caught, with the error',
      history('FAILED', [
        at(0, 'StateEntered', 'Call'),
        at(100, 'StateFailed', 'Call', { error: 'Glue.Oops', cause: 'no' }),
        at(110, 'StateCaught', 'Call'),
        at(120, 'StateExited', 'Call'),
        at(130, 'StateEntered', 'Failed'),
      ]),
      'Call',
      ['caught', 1, 120, 0, 'Glue.Oops'],
    ],
    [
      'a Fail state entered and never left in a failed execution: failed, timed to the stop',
      history('FAILED', [at(9_000, 'StateEntered', 'Failed')], [], 10_000),
      'Failed',
      ['failed', 1, 1000, 0, undefined],
    ],
    [
      'failed and not caught: failed, timed to the failure',
      history('FAILED', [at(0, 'StateEntered', 'Call'), at(400, 'StateFailed', 'Call', { error: 'Boom', cause: 'x' })]),
      'Call',
      ['failed', 1, 400, 0, 'Boom'],
    ],
    [
      'entered twice through the loop: two visits, their times summed',
      history('SUCCEEDED', [
        ...through('Start', 0, 100),
        ...through('Again?', 200, 210),
        ...through('Start', 300, 450),
      ]),
      'Start',
      ['succeeded', 2, 250, 0, undefined],
    ],
    [
      'open in a running execution: running',
      history('RUNNING', [...through('Start', 0, 100), at(100, 'StateEntered', 'Call')]),
      'Call',
      ['running', 1, expect.any(Number), 0, undefined],
    ],
  ];
  it.each(cases)('%s', (_, h, state, expected) => {
    expect(row(stateOf(h, state))).toEqual(expected);
  });

  it('lists every state of the definition, the item states right after their Map, and the transitions taken', () => {
    const h = history('SUCCEEDED', [
      ...through('Start', 0, 1),
      ...through('Call', 1, 2),
      ...through('Items', 2, 3),
      at(4, 'StateEntered', 'Gone'),
    ]);
    const v = analyseExecution(DEF, h);
    expect(v.states.map((s) => [s.parent, s.name])).toEqual([
      [null, 'Start'],
      [null, 'Call'],
      [null, 'Items'],
      ['Items', 'Fetch'],
      ['Items', 'Save'],
      [null, 'Again?'],
      [null, 'Done'],
      [null, 'Failed'],
    ]);
    expect([...v.transitions].map((t) => t.split('\u0000'))).toEqual([
      ['Start', 'Call'],
      ['Call', 'Items'],
      ['Items', 'Gone'],
    ]);
    expect(v.unknownStates).toEqual(['Gone']);
  });
});

describe('the analysis of a Map state: its runs summed, its failed items and where they failed', () => {
  const failed = (index: number, error: string) => ({
    index,
    name: `Things-${index}`,
    input: { id: index },
    error,
    cause: `cause ${index}`,
  });
  const entered = [
    ...through('Start', 0, 1),
    ...through('Call', 1, 2),
    at(2, 'StateEntered', 'Items'),
    at(900, 'StateFailed', 'Items', { error: 'States.ExceedToleratedFailureThreshold' }),
    at(901, 'StateCaught', 'Items'),
    at(902, 'StateExited', 'Items'),
  ];
  const h = history(
    'FAILED',
    [
      ...entered,
      at(10, 'ChildStateFailed', 'Fetch', { child: 'Things-1', error: 'Transient' }),
      at(11, 'ChildStateRetried', 'Fetch', { child: 'Things-1' }),
      at(12, 'ChildStateFailed', 'Save', { child: 'Things-1', error: 'Disk' }),
      at(13, 'ChildStateRetried', 'Fetch', { child: 'Things-2' }),
      at(14, 'ChildStateRetried', 'Fetch', { child: 'Things-2' }),
      at(15, 'ChildStateFailed', 'Fetch', { child: 'Things-2', error: 'Transient' }),
      at(16, 'ChildStateRetried', 'Fetch', { child: 'Other-1' }), // another map's item: not counted
    ],
    [
      mapRun({ counts: { succeeded: 3, failed: 0, aborted: 0, pending: 0 } }),
      mapRun({
        status: 'FAILED',
        counts: { succeeded: 2, failed: 2, aborted: 1, pending: 4 },
        failedItems: [failed(1, 'Disk'), failed(2, 'Transient'), failed(3, 'States.Aborted')],
      }),
    ],
  );
  const v = analyseExecution(DEF, h);
  const map = v.states.find((s) => s.name === 'Items')?.map;

  it('sums the counts of its runs; the status and settings are the last run’s', () => {
    expect(
      map && [map.runs, map.items, map.children, map.succeeded, map.failed, map.aborted, map.pending, map.status],
    ).toEqual([2, 12, 12, 5, 2, 1, 4, 'FAILED']);
    expect([map?.maxConcurrency, map?.toleratedFailurePercentage, map?.label]).toEqual([4, 10, 'Things']);
  });

  it.each([
    ['Things-1', 'Save', 1, 'Disk'],
    ['Things-2', 'Fetch', 2, 'Transient'],
  ])(
    'the failed item %s: failed at %s after %i retries, with its error, cause and input',
    (name, failedAt, retries, error) => {
      const f = map?.failedItems.find((x) => x.name === name);
      expect(f && [f.failedAt, f.retries, f.error, f.cause, f.input]).toEqual([
        failedAt,
        retries,
        error,
        `cause ${f?.index}`,
        { id: f?.index },
      ]);
    },
  );

  it('keeps the aborted items apart from the failed ones', () => {
    expect(map?.failedItems.map((f) => f.name)).toEqual(['Things-1', 'Things-2']);
    expect(map?.abortedItems.map((f) => f.name)).toEqual(['Things-3']);
  });

  it.each([
    // state, outcome, retries summed over the items, items failed here, the last error there
    ['Fetch', 'failed', 3, 1, 'Transient'],
    ['Save', 'failed', 0, 1, 'Disk'],
  ])('its item state %s: %s, %i retries, failed in %i item(s)', (name, outcome, retries, failedHere, error) => {
    const s = v.states.find((x) => x.name === name && x.parent === 'Items');
    expect(s && [s.outcome, s.retries, s.itemsFailedHere, s.error]).toEqual([outcome, retries, failedHere, error]);
  });

  it('the Map itself: caught; its item states succeeded where items went through, not entered if it never ran', () => {
    expect(row(v.states.find((s) => s.name === 'Items'))).toEqual([
      'caught',
      1,
      900,
      0,
      'States.ExceedToleratedFailureThreshold',
    ]);
    const ok = history('SUCCEEDED', through('Items', 0, 5), [
      mapRun({ counts: { succeeded: 3, failed: 0, aborted: 0, pending: 0 } }),
    ]);
    expect(
      analyseExecution(DEF, ok)
        .states.filter((s) => s.parent === 'Items')
        .map((s) => [s.name, s.outcome, s.itemsFailedHere]),
    ).toEqual([
      ['Fetch', 'succeeded', 0],
      ['Save', 'succeeded', 0],
    ]);
    const never = history('SUCCEEDED', through('Start', 0, 5));
    const nv = analyseExecution(DEF, never);
    expect(nv.states.filter((s) => s.parent === 'Items').map((s) => [s.name, s.outcome])).toEqual([
      ['Fetch', 'not-entered'],
      ['Save', 'not-entered'],
    ]);
    expect(nv.states.find((s) => s.name === 'Items')?.map).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Layout

/** Every state of a definition: [parent map or null, name], ItemProcessor states included. */
function allStates(d: Definition, parent: string | null = null): [string | null, string][] {
  return Object.entries(d.States).flatMap(([name, s]: [string, State]) => {
    const proc = s.ItemProcessor as unknown as Definition | undefined;
    return [[parent, name] as [string | null, string], ...(proc ? allStates(proc, name) : [])];
  });
}

/** Every placed node with its parent's name, in absolute coordinates. */
function flatten(
  g: PlacedGraph,
  parent: PlacedNode | null = null,
  dx = 0,
  dy = 0,
): { node: PlacedNode; parent: PlacedNode | null; x: number; y: number }[] {
  return g.nodes.flatMap((n) => [
    { node: n, parent, x: dx + n.x, y: dy + n.y },
    ...(n.inner ? flatten(n.inner, n, dx + n.x, dy + n.y) : []),
  ]);
}

const apart = (a: { x: number; y: number; node: PlacedNode }, b: { x: number; y: number; node: PlacedNode }) =>
  a.x + a.node.width <= b.x || b.x + b.node.width <= a.x || a.y + a.node.height <= b.y || b.y + b.node.height <= a.y;

describe('the layout of the definition (elkjs, layered)', () => {
  const def = localDefinition();
  const HEADER = 64;
  /** The width asked for: different from state to state. */
  const widthOf = (name: string) => 200 + (name.length % 5) * 10;
  let lay: GraphLayout;
  let placed: ReturnType<typeof flatten>;
  beforeAll(async () => {
    lay = await layoutDefinition(def, {
      node: (name, s) => ({ width: widthOf(name), height: s.Type === 'Map' ? HEADER : 50 }),
      label: (e) =>
        e.kind === 'choice' || e.kind === 'default' ? { text: e.label ?? '', width: 50, height: 12 } : undefined,
    });
    placed = flatten(lay);
  });

  it('places every state of the definition once, the ItemProcessor states inside their Map', () => {
    expect(placed.map((p) => [p.parent?.name ?? null, p.node.name]).sort()).toEqual(allStates(def).sort());
  });

  it('gives each box the size asked for; a Map box grows to hold its states below its header', () => {
    for (const { node, parent } of placed) {
      const s = parent
        ? (def.States[parent.name]?.ItemProcessor as unknown as Definition).States[node.name]
        : def.States[node.name];
      if (node.inner) {
        expect(node.width).toBeGreaterThanOrEqual(widthOf(node.name));
        for (const c of node.inner.nodes)
          expect(c.y, `${c.name} under the header of ${node.name}`).toBeGreaterThanOrEqual(HEADER);
      } else expect([node.width, node.height]).toEqual([widthOf(node.name), s?.Type === 'Map' ? HEADER : 50]);
    }
  });

  it("keeps each Map's states within its box, and the top level within the drawing", () => {
    for (const p of placed) {
      const box = p.parent
        ? { x: 0, y: 0, width: p.parent.width, height: p.parent.height }
        : { x: 0, y: 0, width: lay.width, height: lay.height };
      expect(p.node.x, p.node.name).toBeGreaterThanOrEqual(box.x);
      expect(p.node.y, p.node.name).toBeGreaterThanOrEqual(box.y);
      expect(p.node.x + p.node.width, p.node.name).toBeLessThanOrEqual(box.width);
      expect(p.node.y + p.node.height, p.node.name).toBeLessThanOrEqual(box.height);
    }
  });

  it('overlaps no two boxes, except a Map and the states it holds', () => {
    for (const a of placed)
      for (const b of placed) {
        if (a === b || a.parent === b.node || b.parent === a.node) continue;
        expect(apart(a, b), `${a.node.name} overlaps ${b.node.name}`).toBe(true);
      }
  });

  it('routes every transition from its source to its target; each Next leads down the page', () => {
    const edges = (g: PlacedGraph): PlacedGraph['edges'] => [
      ...g.edges,
      ...g.nodes.flatMap((n) => (n.inner ? edges(n.inner) : [])),
    ];
    const all = edges(lay);
    const byName = new Map(placed.map((p) => [`${p.parent?.name ?? ''}/${p.node.name}`, p]));
    const find = (name: string) => [...byName.values()].find((p) => p.node.name === name);
    expect(all.length).toBeGreaterThan(30);
    for (const r of all) {
      expect(r.points.length, `${r.edge.from} → ${r.edge.to}`).toBeGreaterThanOrEqual(2);
      if (r.edge.kind === 'next')
        expect((find(r.edge.to)?.y ?? 0) > (find(r.edge.from)?.y ?? 0), `${r.edge.from} → ${r.edge.to}`).toBe(true);
    }
    // the choices' and defaults' labels have their places
    expect(
      all.filter((r) => r.edge.kind === 'choice' || r.edge.kind === 'default').every((r) => r.label !== undefined),
    ).toBe(true);
  });
});
