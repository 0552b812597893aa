// The replay planner (functions/shared/pipeline/planning/replay.ts), case by case over plain data: what a replay of
// execution X plans from X's record (its plan, its maps' results, whether it committed, the watermarks now), as
// the fields every run's plan has: the windows, what the engagement planner starts from, the commit's watermark
// policy. Then the engagement planner and the commit over those fields, as for any run. No store, no clock.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#shared/pipeline/input.ts';
import type { EngagementPlan, PlanOutput, WatermarkPolicy } from '#shared/pipeline/payloads.ts';
import { isOwnWrite, nextWatermarks, type CommitFacts } from '#shared/pipeline/planning/commit.ts';
import {
  engagementItems,
  engagementPlan,
  startActivity,
  type PlannedItems,
} from '#shared/pipeline/planning/engagement.ts';
import {
  chooseWindows,
  dailyPlan,
  planRun,
  runPlaces,
  startMediaScan,
  type PlanManifest,
} from '#shared/pipeline/planning/plan.ts';
import { startProjectScan } from '#shared/pipeline/planning/projects.ts';
import {
  checkReplayable,
  planReplay,
  replayItems,
  windowKey,
  type MapRecord,
  type OriginalEngagement,
  type ReplayRecord,
} from '#shared/pipeline/planning/replay.ts';
import type { Watermarks } from '#shared/pipeline/watermarks.ts';
import { config, lease, wm } from './helpers/planning.ts';

const windows = [
  { start: '2026-11-18', end: '2026-11-18' },
  { start: '2026-11-19', end: '2026-11-19' },
  { start: '2026-11-20', end: '2026-11-20' },
];

/** X: the daily run "orig" of 2026-11-20, planned from watermarks at ETag "w1", three windows. */
const original = (over: Partial<PlanManifest> = {}): PlanManifest => {
  const d = dailyPlan({
    runId: 'orig',
    startedAt: '2026-11-20T06:00:00Z',
    today: '2026-11-20',
    fullRefresh: false,
    watermarks: { value: wm(), etag: '"w1"' },
    mode: 'incremental',
    windows,
    medias: { pages: 3, listed: 250, changed: [], maxUpdated: '2026-11-20T01:00:00.000Z', pastWatermark: true },
    projects: {
      pages: 1,
      listed: 8,
      changed: 2,
      maxUpdated: '2026-11-19T22:00:00.000Z',
      pastWatermark: true,
      mediaCount: 0,
    },
    requests: 4,
    places: runPlaces('orig', 'bucket'),
    lease,
    config,
  });
  return { ...d.manifest, ...over };
};

/** What a map's ResultWriter says succeeded, as the items' inputs. */
const done = {
  windows: (...ws: typeof windows): MapRecord => ({ succeeded: ws.map((window) => ({ input: { window } })) }),
  medias: (...ids: string[]): MapRecord => ({
    succeeded: ids.map((hashed_id) => ({ input: { media: { hashed_id } } })),
  }),
  batches: (...batches: string[][]): MapRecord => ({
    succeeded: batches.map((Items) => ({ input: { BatchInput: { runId: 'orig' }, Items } })),
  }),
};

const originalPlan = (mode: EngagementPlan['visitors']['mode']): EngagementPlan =>
  engagementPlan({
    medias: new Set(['a', 'b', 'c']),
    visitors: new Set(['v1', 'v2']),
    choice: { mode, estimatedTotal: 900, scanRequests: 10, lookupRequests: 2 },
    events: { windows: 1, pages: 1, records: 1, maxReceivedAt: null },
    bucket: 'b',
    keys: { engagement: 'runs/orig/items/engagement.json', visitors: 'runs/orig/items/visitors.json' },
    config,
  }).plan;

/** X planned engagement for a, b, c (and, for a lookup, visitors v1, v2); `mediasDone` and `batchesDone` succeeded. */
const engagement = (
  mode: EngagementPlan['visitors']['mode'],
  mediasDone: string[],
  batchesDone: string[][] = [],
): OriginalEngagement => ({
  plan: originalPlan(mode),
  medias: ['a', 'b', 'c'],
  mediaResults: done.medias(...mediasDone),
  ...(mode === 'lookup' ? { visitors: ['v1', 'v2'], visitorResults: done.batches(...batchesDone) } : {}),
});

/** The watermarks now: unchanged since X planned ("w1"), unless X or a later run committed. */
const record = (over: Partial<ReplayRecord> = {}): ReplayRecord => ({
  of: 'orig',
  original: original(),
  committed: false,
  watermarks: { value: wm(), etag: '"w1"' },
  events: done.windows(...windows),
  engagement: engagement('lookup', ['a']),
  ...over,
});

const replay = (r: ReplayRecord) =>
  planReplay({
    runId: 'again',
    startedAt: '2026-11-21T06:00:00Z',
    record: r,
    places: runPlaces('again', 'bucket'),
    lease,
    config,
  });

const committedWm = wm({
  lastRun: { runId: 'orig', committedAt: '2026-11-20T07:00:00.000Z', ingestDate: '2026-11-20' },
  carryOver: { medias: ['b', 'c'], visitors: ['v2'] },
});

describe('the replay planner: what a replay of X plans, as the fields of any plan', () => {
  const advance: WatermarkPolicy = { mode: 'advance' };
  it.each<
    [
      string,
      ReplayRecord,
      {
        windows: string[];
        items: PlannedItems | undefined;
        policy: WatermarkPolicy;
        etag: string | null;
      },
    ]
  >([
    [
      'X failed in its engagement map (beyond tolerance): its items that did not succeed; the watermarks X would have',
      record(),
      {
        windows: [],
        items: {
          medias: ['b', 'c'],
          visitors: ['v1', 'v2'],
          choice: { mode: 'lookup', estimatedTotal: 900, scanRequests: 10, lookupRequests: 2 },
        },
        policy: advance,
        etag: '"w1"',
      },
    ],
    [
      'X committed (within tolerance), a later run since: only the carry-over, on the watermarks as they stand',
      record({
        committed: true,
        watermarks: { value: committedWm, etag: '"w9"' },
        engagement: engagement('scan', ['a']),
      }),
      {
        windows: [],
        // the scan finished (X committed): not again
        items: {
          medias: ['b', 'c'],
          visitors: [],
          choice: { mode: 'none', estimatedTotal: 900, scanRequests: 10, lookupRequests: 0 },
        },
        policy: { mode: 'carry-over', advancedBy: 'orig' },
        etag: '"w9"',
      },
    ],
    [
      'X never reached engagement planning (its events map failed): the windows that failed; the activity decides',
      record({ events: done.windows(windows[0]!), engagement: undefined }),
      { windows: [windowKey(windows[1]!), windowKey(windows[2]!)], items: undefined, policy: advance, etag: '"w1"' },
    ],
    [
      'X never started its events map: every window again',
      record({ events: undefined, engagement: undefined }),
      { windows: windows.map(windowKey), items: undefined, policy: advance, etag: '"w1"' },
    ],
    [
      'nothing left to do (X committed, everything succeeded in the end): empty maps, an unchanged carry-over',
      record({
        committed: true,
        watermarks: { value: committedWm, etag: '"w2"' },
        engagement: engagement('lookup', ['a', 'b', 'c'], [['v2'], ['v1']]),
      }),
      {
        windows: [],
        items: {
          medias: [],
          visitors: [],
          choice: { mode: 'none', estimatedTotal: 900, scanRequests: 10, lookupRequests: 0 },
        },
        policy: { mode: 'carry-over', advancedBy: 'orig' },
        etag: '"w2"',
      },
    ],
  ])('%s', (_name, r, want) => {
    const { output, manifest } = replay(r);
    expect({
      windows: manifest.windows.items.map(windowKey),
      items: manifest.engagementInputs.items,
      policy: output.watermarkPolicy,
      etag: output.watermarksEtag,
    }).toEqual(want);
    // whatever it replays: X's day, range, medias and bronze, X's succeeded windows counted as its own
    expect([output.windows.count, output.events.maxConcurrency]).toEqual([
      want.windows.length,
      Math.max(1, want.windows.length),
    ]);
    expect(output).toMatchObject({
      mode: 'replay',
      today: '2026-11-20',
      range: { start: '2026-11-18', end: '2026-11-20' },
      medias: { pages: 0, listed: 0, changedKey: 'runs/orig/medias-changed.json' },
      // the original's projects are read again from its bronze: no listing, the same watermark to advance to
      projects: { pages: 0, listed: 0, changed: 2, maxUpdated: '2026-11-19T22:00:00.000Z' },
      bronzeRuns: 'orig,again',
      replay: { of: 'orig', committed: r.committed },
      requests: 0,
      resultPrefixes: { events: 'runs/again/map-results/events' },
    });
    expect(manifest.engagementInputs.eventResults).toEqual(['runs/orig/map-results/events']);
    expect(manifest.previousWatermarks).toEqual(wm());
  });

  it.each([
    [
      'a replay of a replay: refused, naming the one to replay',
      record({ original: original({ replay: { of: 'first', committed: false } }) }),
      'replay: "orig" is itself a replay of "first": replay that one',
    ],
    [
      'X did not commit and a later run did: nothing left to replay',
      record({
        watermarks: { value: wm({ lastRun: { runId: 'later', committedAt: 'x', ingestDate: 'y' } }), etag: '"w9"' },
      }),
      'replay: a later run committed after "orig" failed (its last run is later): that run covered "orig"\'s days, there is nothing left to replay',
    ],
  ])('%s', (_name, r, message) => {
    expect(() => replay(r)).toThrow(new InvalidInputError(message));
  });

  it('a day and a replay through planRun: the same plan shape, the day lists its changed medias', () => {
    const run = { runId: 'r', startedAt: '2026-11-21T06:00:00Z', today: '2026-11-21', lease, config };
    const changed = [{ hashed_id: 'm1', updated: '2026-11-21T01:00:00.000Z', created: null }];
    const day = planRun({
      ...run,
      places: runPlaces('r', 'bucket'),
      inputs: {
        day: {
          fullRefresh: false,
          watermarks: { value: wm(), etag: '"w1"' },
          medias: { ...startMediaScan({ since: null, watermark: null }), changed },
          projects: startProjectScan({ since: null, watermark: null }),
          requests: 2,
        },
      },
    });
    const again = planRun({ ...run, places: runPlaces('r', 'bucket'), inputs: { replay: record() } });
    expect([day.output.mode, day.output.watermarkPolicy, day.manifest.engagementInputs, day.changed]).toEqual([
      'incremental',
      { mode: 'advance' },
      { eventResults: [] },
      changed,
    ]);
    expect(day.manifest.windows.items).toEqual(chooseWindows(wm(), '2026-11-21', config).windows);
    expect([again.output.mode, again.changed, Object.keys(again.output).sort()]).toEqual([
      'replay',
      undefined,
      [...Object.keys(day.output), 'replay'].sort(),
    ]);
    // a full refresh plans its windows from no watermarks: the backfill's
    const full = planRun({
      ...run,
      places: runPlaces('r', 'bucket'),
      inputs: {
        day: {
          fullRefresh: true,
          watermarks: { value: wm(), etag: '"w1"' },
          medias: startMediaScan({ since: null, watermark: null }),
          projects: startProjectScan({ since: null, watermark: null }),
          requests: 1,
        },
      },
    });
    expect([full.output.mode, full.manifest.fullRefresh]).toEqual(['backfill', true]);
  });
});

describe('the windows a replay fetches: the ones that did not succeed', () => {
  it.each([
    ['none succeeded: all three', [], 3],
    ['one succeeded: the other two', [windows[1]!], 2],
    ['all succeeded: none (the events map is skipped)', windows, 0],
    ['a window no one planned changes nothing', [{ start: '2026-01-01', end: '2026-01-01' }], 3],
  ])('%s', (_name, succeeded, count) => {
    const r = replay(record({ events: done.windows(...succeeded) }));
    expect([r.output.windows.count, r.manifest.windows.items.length, r.output.events.maxConcurrency]).toEqual([
      count,
      count,
      Math.max(1, count),
    ]);
  });

  it('an item input of another shape is no window', () => {
    const r = replay(record({ events: { succeeded: [{ input: null }, { input: { window: { start: 3 } } }] } }));
    expect(r.output.windows.count).toBe(3);
  });
});

describe('whether X can be replayed', () => {
  it.each([
    ['uncommitted, the watermarks unchanged: replayable', false, '"w1"', true],
    ['uncommitted, a later run committed: nothing left to replay', false, '"w9"', false],
    ['committed, a later run committed too: replayable (only the carry-over changes)', true, '"w9"', true],
  ])('%s', (_name, committed, etag, ok) => {
    const check = () =>
      checkReplayable('orig', original(), {
        committed,
        watermarks: { value: wm({ lastRun: { runId: 'later', committedAt: 'x', ingestDate: 'y' } }), etag },
      });
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(/a later run committed after "orig" failed \(its last run is later\)/);
  });

  it('a replay of a replay, without the watermarks', () => {
    expect(() => checkReplayable('orig', original({ replay: { of: 'first', committed: false } }))).toThrow(
      InvalidInputError,
    );
  });
});

describe("a replay's engagement and visitors: the original's items minus what succeeded", () => {
  it.each([
    ['lookup, one batch fetched', 'lookup', ['a'], ['v1'], false, ['b', 'c'], ['v2'], 'lookup'],
    ['lookup, every key fetched: none', 'lookup', ['a', 'b', 'c'], ['v1', 'v2'], false, [], [], 'none'],
    ['a scan that did not finish: scanned again', 'scan', [], [], false, ['a', 'b', 'c'], [], 'scan'],
    ['a scan of a committed run: it finished', 'scan', [], [], true, ['a', 'b', 'c'], [], 'none'],
    ['none stays none', 'none', ['b'], [], false, ['a', 'c'], [], 'none'],
  ] as const)('%s', (_name, mode, doneMedias, fetched, committed, medias, visitors, nextMode) => {
    const r = replayItems({
      originalPlan: originalPlan(mode),
      originalMedias: ['a', 'b', 'c'],
      doneMedias: new Set(doneMedias),
      originalVisitors: mode === 'lookup' ? ['v1', 'v2'] : undefined,
      fetchedVisitors: new Set(fetched),
      committed,
    });
    expect([[...r.medias].sort(), [...r.visitors].sort(), r.choice]).toEqual([
      medias,
      visitors,
      { mode: nextMode, estimatedTotal: 900, scanRequests: 10, lookupRequests: visitors.length },
    ]);
  });

  it('the engagement planner takes the items the plan decided, whatever the events saw', () => {
    const planned = replay(record()).manifest.engagementInputs.items;
    const activity = startActivity(null, ['x']);
    const carried = wm({ carryOver: { medias: ['y'], visitors: ['vy'] } });
    const r = engagementItems(planned, activity, carried);
    expect([[...r.medias], [...r.visitors], r.choice.mode]).toEqual([['b', 'c'], ['v1', 'v2'], 'lookup']);
    // without them (a day, or X never planned engagement): the activity and the carry-over
    const own = engagementItems(undefined, startActivity(null, ['x']), carried);
    expect([[...own.medias].sort(), [...own.visitors], own.choice.mode]).toEqual([['x', 'y'], ['vy'], 'lookup']);
  });
});

describe("the commit under a replay's watermark policy", () => {
  const facts = (over: Partial<CommitFacts>): CommitFacts => ({
    runId: 'again',
    plan: {
      today: '2026-11-20',
      ingestDate: '2026-11-20',
      medias: { pages: 0, listed: 0, changed: 1, changedKey: 'k', maxUpdated: '2026-11-20T01:00:00.000Z' },
      projects: { pages: 0, listed: 0, changed: 0, maxUpdated: null },
      watermarkPolicy: { mode: 'advance' },
    },
    engagementPlan: {
      events: { windows: 0, pages: 2, records: 5, maxReceivedAt: '2026-11-20T05:00:00.000Z' },
      visitors: { estimatedTotal: 800 } as EngagementPlan['visitors'],
    },
    failed: { medias: [], visitors: [] },
    current: wm(),
    now: new Date('2026-11-21T07:00:00.000Z'),
    ...over,
  });
  const settle = (plan: Pick<PlanOutput, 'watermarkPolicy'>) => ({ ...facts({}).plan, ...plan });

  it('X committed: only the carry-over changes (what the replay fetched comes off, what failed again stays)', () => {
    const current = wm({ carryOver: { medias: ['a', 'b', 'c'], visitors: ['v1', 'v2'] } });
    const w = nextWatermarks(
      facts({
        plan: settle(replay(record({ committed: true })).output),
        current,
        failed: { medias: ['c', 'b'], visitors: [] },
        planned: { medias: new Set(['a', 'b', 'c']), visitors: new Set(['v1']) },
      }),
    );
    expect(w).toEqual({ ...current, carryOver: { medias: ['b', 'c'], visitors: ['v2'] } });
    expect(() =>
      nextWatermarks(facts({ plan: settle(replay(record({ committed: true })).output), current: undefined })),
    ).toThrow(new InvalidInputError('replay of "orig": the watermarks are gone'));
  });

  it('X did not commit: the replay commits what X would have, naming itself', () => {
    const w = nextWatermarks(facts({ plan: settle(replay(record()).output), current: undefined }));
    expect([w.lastRun?.runId, w.events?.throughDay, w.carryOver]).toEqual([
      'again',
      '2026-11-20',
      { medias: [], visitors: [] },
    ]);
  });

  it.each<[string, Watermarks | undefined, WatermarkPolicy, boolean]>([
    ['a carry-over write: the same watermarks', wm(), { mode: 'carry-over', advancedBy: 'orig' }, true],
    [
      'a carry-over write: different watermarks',
      wm({ carryOver: { medias: ['z'], visitors: [] } }),
      { mode: 'carry-over', advancedBy: 'orig' },
      false,
    ],
    ['a carry-over write: no watermarks', undefined, { mode: 'carry-over', advancedBy: 'orig' }, false],
    [
      'an advancing write names the run (a replay of an uncommitted run too)',
      wm({ lastRun: { runId: 'r2', committedAt: 'x', ingestDate: 'y' } }),
      { mode: 'advance' },
      true,
    ],
  ])('own write: %s', (_name, stored, policy, own) => {
    expect(isOwnWrite(stored, wm(), 'r2', policy)).toBe(own);
  });
});
