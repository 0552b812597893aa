// The bench's own figures stay consistent (not a timed test): on a tiny account without a rate limit, the
// requests it reports are the simulator's count and the runs' own count, the minimum is the formula computed
// here independently from the simulator's world, every run landed everything, and the report judges targets.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type IngestScenario, type ScenarioResult } from '#local/bench/ingest.ts';
import { runOverlapScenario, worstRollingMinute } from '#local/bench/overlap.ts';
import type { BenchReport } from '#local/bench/report.ts';
import { markdown, printable } from '#local/bench/render.ts';
import { evaluateTargets } from '#local/bench/targets.ts';
import { DAY_MS, World } from '#local/simulator/world.ts';
import { main } from '#local/cli/main.ts';

const SCENARIO: IngestScenario = {
  seed: 3,
  medias: 20,
  today: '2026-11-20',
  historyDays: 200,
  eventsPerMediaPerDay: 0.6,
  rateLimitPerMinute: 0,
  budgetPerMinute: 60_000,
  latencyMs: 0,
  changedShare: 0.1,
  naive: true,
  incremental: true,
};

/** The same account as the bench's simulator (the world is deterministic), for the truth. */
const world = () =>
  new World({
    seed: SCENARIO.seed,
    medias: SCENARIO.medias,
    today: SCENARIO.today,
    historyDays: SCENARIO.historyDays,
    eventsPerMediaPerDay: SCENARIO.eventsPerMediaPerDay,
    activeMediaShare: SCENARIO.changedShare,
    newMediasPerDay: 0,
  });
const pages = (n: number) => Math.floor(n / 100) + 1;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Events per day of the retention, counted one by one (not by the binary searches the bench uses). */
function eventsByDay(w: World): Map<string, number> {
  const out = new Map<string, number>();
  for (let e = 0; e < w.visibleEvents(); e++) {
    const t = w.evTime.at(e);
    if (t < w.retentionStartMs()) continue;
    out.set(dayOf(t), (out.get(dayOf(t)) ?? 0) + 1);
  }
  return out;
}

/** A results file around one scenario of SCENARIO's account, started 2026-01-01 00:00. */
function reportOf(
  scenario: ScenarioResult,
  o: { command: string; finishedAt: string; load: number; profile: string },
): BenchReport {
  return {
    version: 1,
    command: o.command,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: o.finishedAt,
    machine: { cpu: 'x', cores: 2, memoryGb: 1, os: 'y', node: 'v22', java: 'j', python: 'p', loadAtStart: [o.load] },
    settings: {
      profile: o.profile,
      seed: 3,
      today: SCENARIO.today,
      historyDays: 200,
      eventsPerMediaPerDay: 0.6,
      latencyMs: 0,
      changedShare: 0.1,
      budgetShare: 0.95,
      limit: 600,
      scaledLimit: 60_000,
      sizes: [20],
      limitedMax: 20,
      transformSizes: [],
    },
    scenarios: [scenario],
    transform: [],
    targets: [],
    errors: [],
  };
}

/** The scenario's figures (the first describe runs it; the overlap test renders its report around them). */
let measured: ScenarioResult | undefined;

describe('bench figures on a 20-media account', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    r = await runScenario(SCENARIO);
    measured = r;
  }, 600_000);

  it('counts the full pull the way the simulator and the pipeline do, and its minimum is the formula', () => {
    const w = world();
    const byDay = eventsByDay(w);
    // the first run's windows: 30 days each, ending today, back over the two years the API keeps
    let eventPages = 0;
    for (let end = Date.parse(`${SCENARIO.today}T00:00:00Z`), k = 0; k < 25; k++, end -= 30 * DAY_MS) {
      let n = 0;
      for (let d = 0; d < 30; d++) n += byDay.get(dayOf(end - d * DAY_MS)) ?? 0;
      eventPages += pages(n);
    }
    const medias = w.visibleMedias().length;
    const visitors = w.visibleVisitors();
    const events = [...byDay.values()].reduce((a, b) => a + b, 0);
    const projects = w.renderProjects().length; // every project is listed on a first run
    // + 1: the account's stats by date; 3 per media: stats by date, engagement, lifetime stats
    const minimum = pages(medias) + 1 + eventPages + 3 * medias + Math.min(visitors, pages(visitors)) + pages(projects);

    const p = r.pipeline;
    expect(p.status).toBe('SUCCEEDED');
    expect(r.account).toEqual({ medias, events, visitors });
    expect(p.minimum?.total).toBe(minimum);
    expect(p.requests).toBe(p.clientRequests);
    expect(p.requests).toBe(Object.values(p.byStatus).reduce((a, b) => a + b, 0));
    expect(p.ratio).toBeCloseTo(p.requests / minimum, 10);
    expect(p.ratio).toBeGreaterThanOrEqual(1);
    expect(p.rateLimited).toBe(0);
    expect(p.failedItems).toBe(0);
    expect(p.utilization).toBeNull();
    expect(p.landed).toEqual({ medias, events, media_stats: medias, media_engagement: medias, visitors, projects });
    expect(p.complete).toBe(true);
    expect(p.acceptedPerMinute).toBeCloseTo(p.requests / (p.wallSeconds / 60), 6);
    expect(p.peakRssMb).toBeGreaterThan(30);
    expect(p.peakRssMb).toBeLessThan(4096);
    // the live heap (after a full GC) is part of the RSS
    expect(p.peakLiveHeapMb).toBeGreaterThan(1);
    expect(p.peakLiveHeapMb).toBeLessThan(p.peakRssMb);
    // where the requests went: every endpoint, in the order the run first asked it, adding up to the total
    const phases = p.phases ?? [];
    expect(phases.map((x) => [x.phase, x.routes, x.requests])).toEqual([
      // the projects first: on a full listing their media counts size the media listing's page-ahead
      ['projects listing (plan)', ['/projects'], pages(projects)],
      ['medias listing (plan)', ['/medias'], pages(medias)],
      ['account stats by date (plan)', ['/stats/account/by_date'], 1],
      ['event windows (map)', ['/stats/events'], eventPages],
      [
        'stats by date + engagement (map)',
        ['/stats/medias/:id', '/stats/medias/:id/by_date', '/stats/medias/:id/engagement'],
        3 * medias,
      ],
      ...(visitors > 0 ? [['visitor scan', ['/stats/visitors'], pages(visitors)]] : []),
    ]);
    expect(phases[0]?.fromSeconds).toBe(0);
    for (const x of phases) expect(x.toSeconds).toBeGreaterThanOrEqual(x.fromSeconds);
    expect(Math.max(...phases.map((x) => x.toSeconds))).toBeCloseTo(p.requestSpanSeconds ?? NaN, 1);
    expect(p.requestSpanSeconds).toBeLessThanOrEqual(p.wallSeconds);
    expect(p.spanUtilization).toBeNull(); // no limit here
  });

  it('the incremental day fetches the medias that changed, and its minimum is the formula', () => {
    const w = world();
    const before = { now: w.nowMs, events: w.visibleEvents() };
    w.advance(1);
    const changed = new Set<number>();
    const visitors = new Set<number>();
    for (let e = before.events; e < w.visibleEvents(); e++) {
      changed.add(w.evMedia.at(e));
      visitors.add(w.evVisitor.at(e));
    }
    for (const m of w.visibleMedias()) if (w.mediaUpdatedMs(m) > before.now) changed.add(m.index);
    // 10% of 20 medias changed, and nothing else
    expect(changed.size).toBe(2);
    const byDay = eventsByDay(w);
    const windows = ['2026-11-19', '2026-11-20', '2026-11-21'];
    const updated = w.visibleMedias().filter((m) => w.mediaUpdatedMs(m) > before.now).length;
    const minimum =
      pages(updated) +
      1 +
      windows.reduce((a, d) => a + pages(byDay.get(d) ?? 0), 0) +
      3 * changed.size +
      Math.min(visitors.size, pages(w.visibleVisitors())) +
      // the projects a new media moved since the previous run (a project's `updated` is its newest media's creation)
      pages(
        new Set(
          w
            .visibleMedias()
            .filter((m) => m.createdMs > before.now)
            .map((m) => m.project),
        ).size,
      );

    const i = r.incremental;
    expect(i?.status).toBe('SUCCEEDED');
    expect(i?.changedMedias).toBe(2);
    expect(i?.minimum?.total).toBe(minimum);
    expect(i?.requests).toBe(i?.clientRequests);
    expect(i?.ratio).toBeGreaterThanOrEqual(1);
    expect(i?.landed).toEqual({ media_stats: 2, media_engagement: 2 });
    expect(i?.vsFull.requests).toBeCloseTo((i?.requests ?? 0) / r.pipeline.requests, 10);
    expect(i?.vsFull.requests).toBeLessThan(0.2);
  });

  it('the naive extractor fetched the same data one request at a time, counted by the simulator', () => {
    const n = r.naive;
    expect(n?.status).toBe('SUCCEEDED');
    expect(n?.requests).toBe(n?.clientRequests);
    // the same records, but for the projects, which the naive extractor does not list
    const { projects, ...sameEntities } = r.pipeline.landed;
    expect(projects).toBe(world().renderProjects().length);
    expect(n?.landed).toEqual(sameEntities);
    expect(n?.complete).toBe(true);
    // medias pages + 2 per media + one listing of every event + one visitor scan
    const { medias, events, visitors } = r.account;
    expect(n?.requests).toBe(pages(medias) + 2 * medias + pages(events) + pages(visitors));
    expect(n?.wallVsPipeline).toBeCloseTo((n?.wallSeconds ?? 0) / r.pipeline.wallSeconds, 10);
  });

  it('judges the targets from the figures and renders them', () => {
    const report = reportOf(r, { command: 'test', finishedAt: '2026-01-01T00:01:00.000Z', load: 0, profile: 'test' });
    const t = Object.fromEntries(evaluateTargets(report).map((x) => [x.name, x]));
    // no run at the 600/min limit here: not measured rather than met
    expect(t['Rate limit sustained']?.met).toBeNull();
    expect(t['Requests near the minimum']?.met).toBe((r.pipeline.ratio ?? Infinity) <= 1.02);
    expect(t['Two executions at once']?.met).toBeNull();
    expect(t['Steady at the limit']?.met).toBe(true);
    expect(t['Incremental day']?.met).toBe((r.incremental?.vsFull.requests ?? 1) <= 0.05);
    expect(t['Peak memory flat']?.met).toBeNull();
    expect(t['Faster than a naive extractor']?.met).toBe((r.naive?.wallVsPipeline ?? 0) > 1);
    const md = markdown({ ...report, targets: evaluateTargets(report) }, 'bench-results/x.json');
    expect(md).toContain(`| 20 | no limit | full pull | SUCCEEDED | ${r.pipeline.requests} |`);
    expect(md).toContain('| Requests near the minimum |');
    // the phases table is for full pulls at the real limit: none here
    expect(md).not.toContain("Where a full pull's requests went");
    const limited = { ...r, rateLimitPerMinute: 600 };
    const md600 = markdown({ ...report, scenarios: [limited], targets: evaluateTargets(report) }, 'x.json');
    const first = r.pipeline.phases?.[0];
    expect(md600).toContain(
      `| 20 | projects listing (plan) | \`/projects\` | ${first?.requests} | 0.0 | ${first?.toSeconds.toFixed(1)} | ${Math.round(first?.perMinute ?? 0).toLocaleString('en-US')} |`,
    );
  });

  it('renders one run with the transform figures of another, saying so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-render-'));
    try {
      const base = reportOf(r, {
        command: 'npx wistia-pipeline bench',
        finishedAt: '2026-01-01T01:00:00.000Z',
        load: 9,
        profile: 'full',
      });
      const measure = {
        target: 10_000,
        events: 10_123,
        medias: 109,
        visitors: 4_000,
        bronzeObjects: 369,
        status: 'SUCCEEDED',
        jobSeconds: 61.5,
        sparkSeconds: 50.25,
        loadSeconds: 2.5,
        rowsLoaded: 22_000,
        eventsPerSecond: 10_123 / 61.5,
        sparkEventsPerSecond: 10_123 / 50.25,
        loadRowsPerSecond: 22_000 / 2.5,
        driverMemory: '8g',
        driverPeakRssMb: 2345.6,
      };
      const a = join(dir, 'a.json');
      const b = join(dir, 'b.json');
      const md = join(dir, 'BENCH.md');
      writeFileSync(a, JSON.stringify(base));
      writeFileSync(
        b,
        JSON.stringify({
          ...base,
          command: 'npx wistia-pipeline bench --skip-ingest',
          startedAt: '2026-01-02T03:04:00.000Z',
          finishedAt: '2026-01-02T03:30:00.000Z',
          machine: { ...base.machine, loadAtStart: [1.5] },
          scenarios: [],
          transform: [measure],
        }),
      );
      const out = process.stdout.write.bind(process.stdout);
      process.stdout.write = (() => true) as typeof process.stdout.write;
      try {
        expect(await main(['bench', '--render', a, '--transform-from', b, '--markdown', md])).toBe(0);
        expect(await main(['bench', '--render', a, '--transform-from', a, '--markdown', md])).toBe(2);
      } finally {
        process.stdout.write = out;
      }
      const text = readFileSync(md, 'utf8');
      expect(text).toContain('One run of `npx wistia-pipeline bench`, 2026-01-01 00:00 to 2026-01-01 01:00 UTC');
      expect(text).toContain(
        'The transform and load section comes from another run, `npx wistia-pipeline bench --skip-ingest`, 2026-01-02 03:04 to 2026-01-02 03:30 UTC (load average at its start 1.5;',
      );
      expect(text).toContain('(driver memory 8g)');
      expect(text).toMatch(/\| 10,123 \|[^\n]*\| 61\.5 \|[^\n]*\| 8,800 \| 2,346 \| – \|/);
      expect(text).toContain(`| 20 | no limit | full pull | SUCCEEDED | ${r.pipeline.requests} |`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the overlap scenario (issue 16): a full pull and a daily run at once on one budget', () => {
  it('reports each execution, both together, the worst rolling minute and the 429s, and renders them', async () => {
    const o = await runOverlapScenario(SCENARIO);
    expect(o.executions.map((e) => [e.label, e.status, e.complete])).toEqual([
      ['full pull', 'SUCCEEDED', true],
      ['daily run', 'SUCCEEDED', true],
    ]);
    const [full, daily] = o.executions;
    // both spent requests, the simulator counted exactly theirs, and the daily run is the smaller one
    expect(daily!.requests).toBeGreaterThan(0);
    expect(full!.requests).toBeGreaterThan(daily!.requests);
    expect(o.requests).toBe(full!.requests + daily!.requests);
    expect(o.rateLimited).toBe(0);
    // no limit here and a tiny account: every request fell in one minute
    expect(o.worstRollingMinute).toBe(o.requests);
    const report = {
      ...reportOf(measured!, { command: 'x', finishedAt: '2026-01-01T01:00:00.000Z', load: 1, profile: 'quick' }),
      overlap: o,
    };
    expect(printable(report)).toContain('both together');
    expect(markdown(report, 'x.json')).toMatch(
      /### Two executions at once on one account budget[\s\S]*\| both together \| SUCCEEDED \|/,
    );
  }, 240_000);

  it.each([
    { name: 'none', at: [], worst: 0 },
    { name: 'a minute apart: two windows', at: [0, 60_000], worst: 1 },
    { name: 'just under a minute: one window', at: [0, 59_999], worst: 2 },
    { name: 'unsorted', at: [120_000, 0, 30_000, 90_000, 100_000], worst: 3 },
  ])('worstRollingMinute: $name', ({ at, worst }) => expect(worstRollingMinute(at)).toBe(worst));
});

describe('bench options', () => {
  it('rejects bad input naming what was wrong, before running anything', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['bench', '--profile', 'huge'])).toBe(2);
      expect(await main(['bench', '--sizes', '100,ten'])).toBe(2);
      expect(await main(['bench', '--render', '/nonexistent/results.json'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(err.join('')).toContain('--profile: expected full or quick, got "huge"');
    expect(err.join('')).toContain('--sizes: expected positive integers separated by commas, got "ten" in "100,ten"');
    expect(err.join('')).toContain('--render: cannot read /nonexistent/results.json');
  });

  it('the simulator refuses an activeMediaShare outside (0, 1]', () => {
    const opts = { seed: 1, medias: 5, today: '2026-11-20', historyDays: 10 };
    expect(() => new World({ ...opts, activeMediaShare: 0 })).toThrow(
      'activeMediaShare: expected a share in (0, 1], got 0',
    );
    expect(() => new World({ ...opts, activeMediaShare: 1.5 })).toThrow('got 1.5');
  });
});
