// The planning core (functions/shared/pipeline/planning/): the plan's, the engagement planner's and the commit's
// decisions over plain data, case by case; no store, no client, no clock. A replay's: test/replay-planning.test.ts.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#shared/pipeline/input.ts';
import type { EngagementPlan, PlanOutput } from '#shared/pipeline/payloads.ts';
import {
  addMediaPage,
  chooseWindows,
  dailyPlan,
  mediaBounds,
  mediaListingAhead,
  runDay,
  runPlaces,
  startMediaScan,
  type MediaScan,
} from '#shared/pipeline/planning/plan.ts';
import {
  addWindow,
  chooseVisitors,
  engagementPlan,
  startActivity,
  withCarryOver,
} from '#shared/pipeline/planning/engagement.ts';
import {
  commitOutput,
  failedMedias,
  failedVisitors,
  isOwnWrite,
  mergeCarryOver,
  nextWatermarks,
  type CommitFacts,
} from '#shared/pipeline/planning/commit.ts';
import { addProjectPage, projectBounds, startProjectScan } from '#shared/pipeline/planning/projects.ts';
import type { Seen } from '#shared/pipeline/seen.ts';
import { config, lease, wm } from './helpers/planning.ts';

const media = (hashed_id: unknown, updated: unknown, created: unknown = '2026-01-01T00:00:00Z') => ({
  hashed_id,
  updated,
  created,
});

describe("the run's day", () => {
  it.each([
    ['`today` wins', { today: '2026-11-20', scheduledTime: '2026-11-25T10:00:00Z' }, '2026-11-20'],
    [
      'the schedule, in UTC (23:30 at -05:00 is the next day)',
      { scheduledTime: '2026-11-19T23:30:00-05:00' },
      '2026-11-20',
    ],
    ['the start at exactly midnight UTC is that day', { startedAt: '2026-11-20T00:00:00.000Z' }, '2026-11-20'],
    [
      'the start a millisecond before midnight is the day before',
      { startedAt: '2026-11-19T23:59:59.999Z' },
      '2026-11-19',
    ],
    ['null options are absent', { today: null, scheduledTime: null, startedAt: '2026-02-28T12:00:00Z' }, '2026-02-28'],
  ])('%s', (_name, given, day) => {
    expect(runDay({ startedAt: '2000-01-01T00:00:00Z', ...given })).toBe(day);
  });

  it('an unparseable start fails naming startedAt', () => {
    expect(() => runDay({ startedAt: 'yesterday' })).toThrow(
      new InvalidInputError('startedAt: "yesterday" is not a time'),
    );
  });
});

describe('medias changed since the watermark', () => {
  it.each([
    ['a first run lists everything', undefined, 60, { since: null, watermark: null }],
    [
      'the overlap reaches back across a day boundary',
      wm({ medias: { maxUpdated: '2026-11-20T00:00:00.000Z' } }),
      60,
      { since: '2026-11-19T23:00:00.000Z', watermark: '2026-11-20T00:00:00.000Z' },
    ],
    [
      'no overlap: since is the watermark',
      wm(),
      0,
      { since: '2026-11-19T12:00:00.000Z', watermark: '2026-11-19T12:00:00.000Z' },
    ],
    [
      'watermarks without medias (an empty account) list everything',
      wm({ medias: undefined }),
      60,
      { since: null, watermark: null },
    ],
  ])('%s', (_name, previous, overlap, bounds) => {
    expect(mediaBounds(previous, overlap)).toEqual(bounds);
  });

  const bounds = mediaBounds(wm({ medias: { maxUpdated: '2026-11-20T00:00:00.000Z' } }), 60);
  it.each<[string, unknown[], Partial<MediaScan>]>([
    [
      'an empty account: one empty page',
      [],
      { pages: 1, listed: 0, changed: [], maxUpdated: '2026-11-20T00:00:00.000Z', pastWatermark: false },
    ],
    [
      'updated after the watermark: changed, and the new watermark',
      [media('a', '2026-11-20T08:00:00+01:00')],
      {
        changed: [{ hashed_id: 'a', updated: '2026-11-20T07:00:00.000Z', created: '2026-01-01T00:00:00Z' }],
        maxUpdated: '2026-11-20T07:00:00.000Z',
      },
    ],
    [
      'updated exactly at the watermark: not changed, not past it',
      [media('a', '2026-11-20T00:00:00Z')],
      { changed: [], pastWatermark: false },
    ],
    [
      'in the overlap: landed, not changed, the listing goes on',
      [media('a', '2026-11-19T23:30:00Z')],
      { changed: [], pastWatermark: false },
    ],
    [
      'exactly at `since`: still in the overlap',
      [media('a', '2026-11-19T23:00:00Z')],
      { changed: [], pastWatermark: false },
    ],
    [
      'before `since`: the listing stops after this page',
      [media('a', '2026-11-19T22:59:59Z')],
      { changed: [], pastWatermark: true },
    ],
    [
      'a bad `updated` or a missing id is left for the transform, not the end of the listing',
      [media('a', 'soon'), media(null, '2026-11-21T00:00:00Z'), media('b', '2026-11-21T00:00:00Z', 7)],
      {
        listed: 3,
        changed: [{ hashed_id: 'b', updated: '2026-11-21T00:00:00.000Z', created: null }],
        pastWatermark: false,
      },
    ],
  ])('%s', (_name, records, expected) => {
    expect(addMediaPage(startMediaScan(bounds), records, bounds)).toMatchObject(expected);
  });

  it('exactly 100 medias on a page, then the next page: counts add up, the newest is the watermark', () => {
    const first = mediaBounds(undefined, 60);
    const page1 = Array.from({ length: 100 }, (_, i) =>
      media(`m${i}`, new Date(Date.UTC(2026, 10, 20) - i * 60_000).toISOString()),
    );
    const page2 = [media('old', '2020-01-01T00:00:00Z')];
    const scan = [page1, page2].reduce((s, p) => addMediaPage(s, p, first), startMediaScan(first));
    expect([scan.pages, scan.listed, scan.changed.length, scan.maxUpdated, scan.pastWatermark]).toEqual([
      2,
      101,
      101,
      '2026-11-20T00:00:00.000Z',
      false,
    ]);
  });
});

describe('the projects listing', () => {
  const bounds = projectBounds(wm({ projects: { maxUpdated: '2026-11-20T00:00:00.000Z' } }), 60);
  const project = (id: unknown, updated: unknown) => ({ id, hashedId: `h${String(id)}`, updated });

  it('stops where the media listing does: the watermark minus the overlap', () => {
    expect(bounds).toEqual({ since: '2026-11-19T23:00:00.000Z', watermark: '2026-11-20T00:00:00.000Z' });
    expect(projectBounds(undefined, 60)).toEqual({ since: null, watermark: null });
    expect(projectBounds(wm(), 60)).toEqual({ since: null, watermark: null }); // no projects watermark yet
  });

  it.each([
    ['an account without projects: one empty page', [], { pages: 1, listed: 0, changed: 0, pastWatermark: false }],
    [
      'newer than the watermark: changed, and the new watermark (in UTC)',
      [project(1, '2026-11-20T08:00:00+01:00'), project(2, '2026-11-20T05:00:00+00:00')],
      { changed: 2, maxUpdated: '2026-11-20T07:00:00.000Z', pastWatermark: false },
    ],
    [
      'in the overlap: landed, not changed',
      [project(1, '2026-11-19T23:30:00+00:00')],
      { changed: 0, maxUpdated: '2026-11-20T00:00:00.000Z', pastWatermark: false },
    ],
    [
      'before `since`: the listing stops after this page',
      [project(1, '2026-11-20T01:00:00Z'), project(2, '2026-11-19T22:59:59Z')],
      { listed: 2, changed: 1, maxUpdated: '2026-11-20T01:00:00.000Z', pastWatermark: true },
    ],
    [
      'a missing id or a bad `updated` never stops the listing (the transform quarantines it)',
      [project(null, '2026-11-21T00:00:00Z'), project(3, 'soon'), project(4, '2026-11-19T00:00:00Z')],
      { listed: 3, changed: 0, maxUpdated: '2026-11-20T00:00:00.000Z', pastWatermark: true },
    ],
  ])('%s', (_name, records, expected) => {
    expect(addProjectPage(startProjectScan(bounds), records, bounds)).toMatchObject(expected);
  });

  it('a first run lists every page: 100 on the first, the rest on the second', () => {
    const first = projectBounds(undefined, 60);
    const page1 = Array.from({ length: 100 }, (_, i) =>
      project(i, new Date(Date.UTC(2026, 10, 20) - i * 60_000).toISOString()),
    );
    const scan = [page1, [project(100, '2020-01-01T00:00:00Z')]].reduce(
      (s, p) => addProjectPage(s, p, first),
      startProjectScan(first),
    );
    expect(scan).toEqual({
      pages: 2,
      listed: 101,
      changed: 101,
      maxUpdated: '2026-11-20T00:00:00.000Z',
      pastWatermark: false,
      mediaCount: 0,
    });
  });

  it("sums the projects' media counts (v1 mediaCount, dated media_count; anything else counts 0)", () => {
    const first = projectBounds(undefined, 60);
    const at = '2026-11-20T00:00:00Z';
    const records = [
      { ...project(1, at), mediaCount: 120 },
      { ...project(2, at), media_count: 35 },
      { ...project(3, at), mediaCount: '9' },
      { ...project(4, at), mediaCount: -3 },
      project(5, at),
    ];
    expect(addProjectPage(startProjectScan(first), records, first).mediaCount).toBe(155);
  });
});

describe("the media listing's page-ahead (issue 16)", () => {
  const full = mediaBounds(undefined, 60);
  const daily = mediaBounds(wm({ medias: { maxUpdated: '2026-11-20T00:00:00.000Z' } }), 60);
  it.each([
    ['a full listing of 1,000 medias: through page 11, 3 at a time', full, 1000, false, { through: 11, window: 3 }],
    ['a full listing of 99 medias: through page 1', full, 99, false, { through: 1, window: 3 }],
    ['no media count known: one page at a time', full, 0, false, { through: 0, window: 1 }],
    ['projects listed only in part: their count is no estimate', full, 500, true, { through: 0, window: 1 }],
    [
      'an incremental listing (stops at the watermark): one page at a time',
      daily,
      1000,
      false,
      { through: 0, window: 1 },
    ],
  ])('%s', (_name, bounds, mediaCount, pastWatermark, expected) => {
    expect(mediaListingAhead(bounds, { mediaCount, pastWatermark })).toEqual(expected);
  });
});

describe('the event windows', () => {
  it.each([
    [
      'a first run: the backfill, 30-day windows ending today',
      undefined,
      '2026-11-20',
      'backfill',
      25,
      { start: '2024-11-21', end: '2024-11-30' },
    ],
    [
      'the day after the watermark: the day before it (late events), it, and today',
      wm(),
      '2026-11-20',
      'incremental',
      3,
      { start: '2026-11-18', end: '2026-11-18' },
    ],
    [
      'a watermark on a month boundary: the last day of the month before',
      wm({ events: { throughDay: '2026-12-01', maxReceivedAt: null } }),
      '2026-12-01',
      'incremental',
      2,
      { start: '2026-11-30', end: '2026-11-30' },
    ],
    [
      'a day before the watermark: no window',
      wm({ events: { throughDay: '2026-11-25', maxReceivedAt: null } }),
      '2026-11-20',
      'incremental',
      0,
      undefined,
    ],
  ])('%s', (_name, previous, today, mode, count, first) => {
    const r = chooseWindows(previous, today, config);
    expect([r.mode, r.windows.length, r.windows[0]]).toEqual([mode, count, first]);
    if (mode === 'backfill') expect(r.windows.at(-1)).toEqual({ start: '2026-10-22', end: '2026-11-20' });
  });

  it("a daily plan's range starts at its first window; with no windows, today", () => {
    const places = runPlaces('r1', 'bucket');
    const plan = (windows: { start: string; end: string }[]) =>
      dailyPlan({
        runId: 'r1',
        startedAt: '2026-11-20T06:00:00Z',
        today: '2026-11-20',
        fullRefresh: false,
        watermarks: { value: undefined, etag: null },
        mode: 'backfill',
        windows,
        medias: startMediaScan({ since: null, watermark: null }),
        projects: startProjectScan({ since: null, watermark: null }),
        requests: 1,
        places,
        lease,
        config,
      });
    const empty = plan([]);
    expect([empty.output.range, empty.output.windows.count, empty.output.events.maxConcurrency]).toEqual([
      { start: '2026-11-20', end: '2026-11-20' },
      0,
      1,
    ]);
    const two = plan([
      { start: '2026-11-19', end: '2026-11-19' },
      { start: '2026-11-20', end: '2026-11-20' },
    ]);
    expect([
      two.output.range.start,
      two.output.events,
      two.manifest.windows.items.length,
      two.manifest.previousWatermarks,
    ]).toEqual(['2026-11-19', { maxConcurrency: 2, requestsPerMinute: 300, toleratedFailurePercentage: 0 }, 2, null]);
    expect(two.output.resultPrefixes.events).toBe('runs/r1/map-results/events');
  });
});

const seen = (medias: Record<string, string>, visitors: Record<string, string>, events = 1): Seen => ({
  medias: Object.fromEntries(Object.entries(medias).map(([k, at]) => [k, [1, at]])),
  visitors,
  events,
  unusable: 0,
});

describe('what the events map saw since the last run', () => {
  const since = '2026-11-19T20:00:00.000Z';
  it.each([
    ['an empty account: nothing, the watermark kept', since, [], [], [], since],
    [
      'at exactly the watermark: not new; after it: new',
      since,
      [seen({ a: since, b: '2026-11-19T20:00:00.001Z' }, { v1: since, v2: '2026-11-20T00:00:00.000Z' })],
      ['b'],
      ['v2'],
      '2026-11-19T20:00:00.001Z', // the newest play's (a visitor's time does not move it)
    ],
    [
      'a first run: everything is new',
      null,
      [seen({ a: '2020-01-01T00:00:00.000Z' }, { v: '2020-01-01T00:00:00.000Z' })],
      ['a'],
      ['v'],
      '2020-01-01T00:00:00.000Z',
    ],
    [
      'the same media and visitor in two windows count once',
      since,
      [
        seen({ a: '2026-11-20T01:00:00.000Z' }, { v: '2026-11-20T01:00:00.000Z' }),
        seen({ a: '2026-11-20T02:00:00.000Z' }, { v: '2026-11-20T03:00:00.000Z' }),
      ],
      ['a'],
      ['v'],
      '2026-11-20T02:00:00.000Z',
    ],
  ])('%s', (_name, from, windows, medias, visitors, maxReceivedAt) => {
    const acc = windows.reduce((a, s) => addWindow(a, { pages: 2, seen: s }), startActivity(from));
    expect([[...acc.medias].sort(), [...acc.visitors].sort(), acc.maxReceivedAt, acc.pages, acc.records]).toEqual([
      medias,
      visitors,
      maxReceivedAt,
      2 * windows.length,
      windows.length,
    ]);
  });

  it('carry-over and changed medias merge with the activity without duplicates', () => {
    const acc = withCarryOver(
      addWindow(startActivity(since, ['changed', 'both']), {
        pages: 1,
        seen: seen(
          { both: '2026-11-20T01:00:00.000Z', active: '2026-11-20T01:00:00.000Z' },
          { v1: '2026-11-20T01:00:00.000Z' },
        ),
      }),
      { medias: ['active', 'carried', 'carried'], visitors: ['v1', 'v2'] },
    );
    expect([[...acc.medias].sort(), [...acc.visitors].sort()]).toEqual([
      ['active', 'both', 'carried', 'changed'],
      ['v1', 'v2'],
    ]);
    expect([...withCarryOver(startActivity(null), undefined).medias]).toEqual([]);
  });
});

describe('visitors: look up by key or scan them all', () => {
  it.each([
    ['no visitor active: none', 0, 500, { mode: 'none', estimatedTotal: 500, scanRequests: 6, lookupRequests: 0 }],
    [
      'an empty account: none, one scan page',
      0,
      undefined,
      { mode: 'none', estimatedTotal: 0, scanRequests: 1, lookupRequests: 0 },
    ],
    [
      'one visitor, nothing known: a lookup (1 request either way)',
      1,
      undefined,
      { mode: 'lookup', estimatedTotal: 1, scanRequests: 1, lookupRequests: 1 },
    ],
    [
      'exactly 100 visitors, nothing known: a scan (2 pages < 100 lookups)',
      100,
      undefined,
      { mode: 'scan', estimatedTotal: 100, scanRequests: 2, lookupRequests: 100 },
    ],
    [
      'exactly 100 of 9,950: a lookup (100 <= 100 pages)',
      100,
      9_950,
      { mode: 'lookup', estimatedTotal: 9_950, scanRequests: 100, lookupRequests: 100 },
    ],
    [
      '101 of 9,950: a scan (100 pages < 101 lookups)',
      101,
      9_950,
      { mode: 'scan', estimatedTotal: 9_950, scanRequests: 100, lookupRequests: 101 },
    ],
    [
      'more active than the estimate: the estimate grows',
      700,
      500,
      { mode: 'scan', estimatedTotal: 700, scanRequests: 8, lookupRequests: 700 },
    ],
  ])('%s', (_name, visitors, previous, choice) => {
    expect(chooseVisitors(visitors, previous)).toEqual(choice);
  });
});

describe('the engagement and visitor items', () => {
  const keys = { engagement: 'runs/r/items/engagement.json', visitors: 'runs/r/items/visitors.json' };
  const events = { windows: 1, pages: 1, records: 0, maxReceivedAt: null };
  const planFor = (medias: string[], visitors: string[], c = chooseVisitors(visitors.length, undefined)) =>
    engagementPlan({
      medias: new Set(medias),
      visitors: new Set(visitors),
      choice: c,
      events,
      bucket: 'b',
      keys,
      config,
    });

  it('an empty account: no items, the maps are skipped (counts 0), one child each at most', () => {
    const r = planFor([], []);
    expect([
      r.plan.engagement.count,
      r.plan.visitors.count,
      r.plan.visitors.mode,
      r.engagementItems,
      r.visitorItems,
    ]).toEqual([0, 0, 'none', [], []]);
    expect([r.plan.engagement.maxConcurrency, r.plan.visitors.maxConcurrency]).toEqual([1, 1]);
  });

  it.each([
    ['exactly 100 keys: one batch', 100, 1, 600],
    ['101 keys: two batches, each half the budget', 101, 2, 300],
  ])('%s', (_name, n, maxConcurrency, rpm) => {
    const visitors = Array.from({ length: n }, (_, i) => `v${String(i).padStart(3, '0')}`);
    const r = planFor([], visitors, { mode: 'lookup', estimatedTotal: 1e6, scanRequests: 1e4, lookupRequests: n });
    expect([r.plan.visitors.maxConcurrency, r.plan.visitors.requestsPerMinute, r.visitorItems.length]).toEqual([
      maxConcurrency,
      rpm,
      n,
    ]);
  });

  it('a scan: one child with the whole budget, and no keys listed', () => {
    const r = planFor(['b', 'a'], ['v2', 'v1'], {
      mode: 'scan',
      estimatedTotal: 10,
      scanRequests: 1,
      lookupRequests: 2,
    });
    expect([r.plan.visitors.maxConcurrency, r.plan.visitors.requestsPerMinute, r.visitorItems]).toEqual([1, 600, []]);
    expect(r.engagementItems).toEqual([{ hashed_id: 'a' }, { hashed_id: 'b' }]); // sorted
  });
});

describe('the commit', () => {
  const plan: Pick<PlanOutput, 'today' | 'ingestDate' | 'medias' | 'projects' | 'watermarkPolicy'> = {
    today: '2026-11-20',
    ingestDate: '2026-11-20',
    medias: { pages: 1, listed: 1, changed: 1, changedKey: 'k', maxUpdated: '2026-11-20T01:00:00.000Z' },
    projects: { pages: 1, listed: 8, changed: 1, maxUpdated: '2026-11-19T23:00:00.000Z' },
    watermarkPolicy: { mode: 'advance' },
  };
  const ep = {
    events: { windows: 2, pages: 2, records: 5, maxReceivedAt: '2026-11-20T05:00:00.000Z' },
    visitors: { estimatedTotal: 800 } as EngagementPlan['visitors'],
  };
  const facts = (over: Partial<CommitFacts> = {}): CommitFacts => ({
    runId: 'r2',
    plan,
    engagementPlan: ep,
    failed: { medias: [], visitors: [] },
    current: wm(),
    now: new Date('2026-11-20T07:00:00.000Z'),
    ...over,
  });

  it('the failed items of the maps, from their inputs', () => {
    expect(failedMedias([{ media: { hashed_id: 'b' } }, { media: {} }, null, { media: { hashed_id: 'a' } }])).toEqual([
      'b',
      'a',
    ]);
    expect(failedVisitors([{ BatchInput: {}, Items: ['v2', 'v1'] }, { Items: 'x' }, { Items: [3, 'v3'] }])).toEqual([
      'v2',
      'v1',
      'v3',
    ]);
    expect([failedMedias([]), failedVisitors([])]).toEqual([[], []]);
  });

  it.each([
    ['a first run (no watermarks)', undefined, { throughDay: '2026-11-20', maxReceivedAt: '2026-11-20T05:00:00.000Z' }],
    ['the next day', wm(), { throughDay: '2026-11-20', maxReceivedAt: '2026-11-20T05:00:00.000Z' }],
    [
      'a run for a day before the watermark: the day never moves back, nor the newest event',
      wm({ events: { throughDay: '2026-11-25', maxReceivedAt: '2026-11-25T00:00:00.000Z' } }),
      { throughDay: '2026-11-25', maxReceivedAt: '2026-11-25T00:00:00.000Z' },
    ],
    [
      'an empty account: no event ever',
      wm({ events: { throughDay: '2026-11-19', maxReceivedAt: null } }),
      { throughDay: '2026-11-20', maxReceivedAt: '2026-11-20T05:00:00.000Z' },
    ],
  ])('events watermark: %s', (_name, current, events) => {
    expect(nextWatermarks(facts({ current })).events).toEqual(events);
  });

  it('a run: new watermarks with its failed items (sorted) carried over and itself as the last run', () => {
    const w = nextWatermarks(facts({ failed: { medias: ['m2', 'm1'], visitors: ['v9'] }, scannedVisitors: 1234 }));
    expect(w).toEqual({
      version: 1,
      medias: { maxUpdated: '2026-11-20T01:00:00.000Z' },
      projects: { maxUpdated: '2026-11-19T23:00:00.000Z' },
      events: { throughDay: '2026-11-20', maxReceivedAt: '2026-11-20T05:00:00.000Z' },
      visitors: { estimatedTotal: 1234 },
      carryOver: { medias: ['m1', 'm2'], visitors: ['v9'] },
      lastRun: { runId: 'r2', committedAt: '2026-11-20T07:00:00.000Z', ingestDate: '2026-11-20' },
    });
    // the previous carry-over is replaced: what this run fetched of it succeeded, or is among its failures
    expect(nextWatermarks(facts({ current: wm({ carryOver: { medias: ['old'], visitors: [] } }) })).carryOver).toEqual({
      medias: [],
      visitors: [],
    });
    expect(
      nextWatermarks(facts({ plan: { ...plan, medias: { ...plan.medias, maxUpdated: null } } })).medias,
    ).toBeUndefined();
    expect(
      nextWatermarks(facts({ plan: { ...plan, projects: { ...plan.projects, maxUpdated: null } } })).projects,
    ).toBeUndefined();
  });

  it.each([
    ['fetched comes off, failed again stays', ['a', 'b', 'c'], ['a', 'b'], ['b'], ['b', 'c']],
    ['duplicates merge: a failure already carried counts once', ['a', 'a', 'b'], [], ['b', 'b'], ['a', 'b']],
    ['nothing carried: only what failed again', undefined, ['x'], ['y'], ['y']],
    ['an empty replay changes nothing', ['c', 'a'], [], [], ['a', 'c']],
  ])('carry-over merge: %s', (_name, list, replayed, again, out) => {
    expect(mergeCarryOver(list, new Set(replayed), again)).toEqual(out);
  });

  it.each([
    ['no watermarks', undefined, false],
    ['a run: the stored write names it', wm({ lastRun: { runId: 'r2', committedAt: 'x', ingestDate: 'y' } }), true],
    ["a run: another run's write", wm(), false],
  ])('own write: %s', (_name, stored, own) => {
    expect(isOwnWrite(stored, wm(), 'r2', { mode: 'advance' })).toBe(own);
  });

  it("the commit's output: counts and references", () => {
    expect(
      commitOutput(
        'r2',
        wm({ carryOver: { medias: ['a'], visitors: ['b', 'c'] } }),
        { key: 'k', etag: 'e' },
        'released',
      ),
    ).toEqual({
      runId: 'r2',
      throughDay: '2026-11-19',
      carriedOver: { medias: 1, visitors: 2 },
      watermarks: { key: 'k', etag: 'e' },
      lease: 'released',
    });
    expect(commitOutput('r', { version: 1 }, { key: 'k', etag: 'e' }, 'absent')).toMatchObject({
      throughDay: null,
      carriedOver: { medias: 0, visitors: 0 },
    });
  });
});
