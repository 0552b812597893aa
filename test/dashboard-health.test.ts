// The dashboard's pipeline health section over a run history with something to show: one real run against a
// simulator that answers some requests 429 and serves some defective records (real HTTP, the Lambdas' code, real
// Spark, real PostgreSQL), one real run refused by Wistia (a wrong token: FAILED before the transform), and the
// first run's record as an older runner wrote it (no metrics, no Lambda usage; a transform report without
// `metrics`), two days before. Every figure is checked against the simulator's counters, the run's files and
// `status --cost`, in the JSON and in headless Chromium.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { total, type MetricPoint } from '#shared/metrics.ts';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { startDashboard, type RunningDashboard } from '#local/dashboard/server.ts';
import { PostgresWarehouseClient } from '#local/dashboard/warehouse.ts';
import { startSimulator, type WistiaSimulator } from '#local/simulator/server.ts';
import { TransformWorker } from '#local/transform.ts';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
import { tempDir } from './helpers/pipeline.ts';
import { ROOT } from './helpers/sim.ts';
import { postmasterOf, runDay, stopProcess, type DayRun } from './helpers/reliability.ts';
import { drawnDays, expectedRow, healthRows, healthTruth, type RunTruth } from './helpers/health.ts';
import { openPage } from './helpers/browser.ts';

const SCREENSHOT = join(ROOT, 'test-results', 'dashboard-health.png');
const TOKEN = 'health-token-3c9e1a';
const OLD = 'daily-2026-11-18-olderrunner';

const dataDir = tempDir('wp-health-');
const runs = join(dataDir, 'store', 'runs');
let sim: WistiaSimulator;
let worker: TransformWorker;
let ok: DayRun;
let refused: DayRun;
/** What the simulator answered during the first run. */
let served: { requests: number; rateLimited: number };
let dash: RunningDashboard;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  worker = new TransformWorker();
  sim = await startSimulator({
    seed: 14,
    medias: 10,
    today: '2026-11-20',
    historyDays: 3,
    eventsPerMediaPerDay: 2,
    token: TOKEN,
    rateLimitPerMinute: 0,
    faults: { rate: 0.15, kinds: ['429'], burstMs: 1 },
    misbehave: { rate: 0.3, seed: 14 },
  });
  ok = await runDay({ dataDir, sim, token: TOKEN, worker, quarantineThreshold: 0.9 });
  const c = sim.getCounters();
  served = { requests: c.total, rateLimited: c.byStatus['429'] ?? 0 };
  sim.configure({ faults: { rate: 0 } });
  refused = await runDay({ dataDir, sim, token: 'not-the-token', worker });

  // the first run as a runner before issue 14 recorded it, two days earlier (its start and its simulated day)
  const name = ok.record.name;
  mkdirSync(join(runs, OLD));
  const shift = (iso: string) => new Date(Date.parse(iso) - 2 * 86_400_000).toISOString();
  const { metrics: _m, lambdaUsage: _l, ...older } = ok.record;
  writeFileSync(
    join(runs, OLD, 'execution.json'),
    JSON.stringify({
      ...older,
      name: OLD,
      startDate: shift(older.startDate),
      stopDate: shift(older.stopDate),
      input: {
        ...(older.input as object),
        today: shift(`${String((older.input as { today: string }).today)}T00:00:00Z`).slice(0, 10),
      },
    }),
  );
  const { metrics: _t, ...report } = JSON.parse(readFileSync(join(runs, name, 'transform.json'), 'utf8')) as {
    metrics?: unknown;
  };
  writeFileSync(join(runs, OLD, 'transform.json'), JSON.stringify(report));
  // its history as runners wrote it before history.jsonl: one history.json, {execution, events, mapRuns}
  const events = readFileSync(join(runs, name, 'history.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
  const { mapRuns, ...execution } = ok.record;
  writeFileSync(join(runs, OLD, 'history.json'), JSON.stringify({ execution, events, mapRuns }));

  const wh = await new LocalWarehouse(dataDir).start(); // joins the server the runs started
  dash = await startDashboard({
    warehouse: new PostgresWarehouseClient(wh),
    runs: new FileObjectStore(join(dataDir, 'store'), 'local'),
    dataDir,
    port: 0,
  });
  ({ browser, page } = await openPage(problems));
  await page.goto(dash.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  await page.locator('section[aria-labelledby="health-title"]').screenshot({ path: SCREENSHOT });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  await worker?.close();
  await sim?.close();
  const pg = postmasterOf(dataDir);
  if (pg) await stopProcess(pg, 'SIGINT');
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

const byName = (truth: RunTruth[], name: string) => {
  const t = truth.find((r) => r.execution === name);
  if (!t) throw new Error(`no run ${name} in ${truth.map((r) => r.execution).join(', ')}`);
  return t;
};

describe('pipeline health: the runs', () => {
  it('were what the section must show: 429s and quarantined records, a refused run, an older record', () => {
    expect([ok.record.status, ok.transform?.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(served.rateLimited).toBeGreaterThan(0);
    expect(ok.transform?.quarantined).toBeGreaterThan(0);
    expect([refused.record.status, refused.transform]).toEqual(['FAILED', undefined]);
    expect(refused.record.requests).toBeGreaterThan(0);
  });
});

describe('GET /api/health', () => {
  it("answers each run's requests, 429s, retries, quarantine share, transform time and cost as counted", async () => {
    const truth = await healthTruth(dataDir);
    const res = await fetch(new URL('/api/health', dash.url));
    expect(res.status).toBe(200);
    const health = (await res.json()) as {
      statuses: string[];
      days: { day: string; counts: Record<string, number>; total: number }[];
      runs: (Omit<RunTruth, 'startDate'> & { hasMetrics: boolean; recordsQuarantined: number | null })[];
    };
    expect(health.runs.map((r) => r.execution)).toEqual(truth.runs.map((r) => r.execution));
    expect(health.runs.map((r) => r.execution)).toEqual([refused.record.name, ok.record.name, OLD]);
    for (const t of truth.runs)
      expect(health.runs.find((r) => r.execution === t.execution)).toMatchObject({
        status: t.status,
        requests: t.requests,
        rateLimited: t.rateLimited,
        retries: t.retries,
        quarantineShare: t.quarantineShare,
        transformSeconds: t.transformSeconds,
        costUsd: t.costUsd,
      });

    // the first run: what the simulator answered, what the transform quarantined
    const first = health.runs[1]!;
    expect([first.requests, first.rateLimited]).toEqual([served.requests, served.rateLimited]);
    expect(first.retries).toBeGreaterThanOrEqual(served.rateLimited); // each 429 was retried
    const quarantined = total(ok.transform?.metrics as MetricPoint[], 'RecordsQuarantined');
    expect(first.recordsQuarantined).toBe(quarantined);
    expect(first.quarantineShare).toBe(quarantined / total(ok.transform?.metrics as MetricPoint[], 'RecordsRead'));
    expect(first.quarantineShare).toBeGreaterThan(0);
    expect(first.quarantineShare).toBeLessThan(1);
    expect(first.costUsd).toBeGreaterThan(0);

    // the refused run: its requests, no transform; the older record: no metrics, so no figures but the report's
    expect(health.runs[0]).toMatchObject({ hasMetrics: true, quarantineShare: null, transformSeconds: null });
    expect(health.runs[2]).toMatchObject({
      hasMetrics: false,
      requests: null,
      rateLimited: null,
      retries: null,
      costUsd: null,
      quarantineShare: first.quarantineShare,
      transformSeconds: first.transformSeconds,
    });

    // runs per day by status: every day from the first run's to the last's, the empty one too
    expect(health.statuses).toEqual(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
    const days = Object.keys(truth.days).sort();
    expect(health.days.map((d) => d.day)).toEqual(
      Array.from({ length: health.days.length }, (_, i) =>
        new Date(Date.parse(`${days[0]}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10),
      ),
    );
    expect(health.days.at(-1)?.day).toBe(days.at(-1));
    expect(health.days.length).toBeGreaterThanOrEqual(3);
    for (const d of health.days) {
      const want = truth.days[d.day] ?? {};
      expect([d.day, d.counts]).toEqual([d.day, { SUCCEEDED: 0, FAILED: 0, TIMED_OUT: 0, ABORTED: 0, ...want }]);
      expect(d.total).toBe(Object.values(want).reduce((a, n) => a + n, 0));
    }
    expect(health.days.reduce((a, d) => a + d.total, 0)).toBe(3);
  });
});

describe('pipeline health in headless Chromium', () => {
  it("shows each run's figures, and — where a run has none", async () => {
    const truth = await healthTruth(dataDir);
    const rows = await healthRows(page);
    expect(rows).toEqual(truth.runs.map(expectedRow));
    // spelled out for the older record and the refused run: a dash, never 0
    const old = rows.find((r) => r.execution === OLD)!;
    expect(['requests', 'rateLimited', 'retries', 'costUsd'].map((f) => old.cells[f]?.text)).toEqual([
      '—',
      '—',
      '—',
      '—',
    ]);
    const failed = rows.find((r) => r.execution === refused.record.name)!;
    expect([failed.status, failed.cells.quarantineShare?.text, failed.cells.transformSeconds?.text]).toEqual([
      'FAILED',
      '—',
      '—',
    ]);
    expect(byName(truth.runs, ok.record.name).rateLimited).toBe(served.rateLimited);
  });

  it('draws the runs of each day by status, and the requests and 429s of each run', async () => {
    const truth = await healthTruth(dataDir);
    const drawn = await drawnDays(page);
    expect(Object.fromEntries(Object.entries(drawn).filter(([, c]) => Object.keys(c).length))).toEqual(truth.days);
    expect(Object.keys(drawn).length).toBeGreaterThanOrEqual(3); // the day without runs has its (empty) column
    const line = (series: string) =>
      page.$eval(`[data-chart="requests"] path.mark[data-series="${series}"]`, (e) => ({
        points: Number(e.getAttribute('data-points')),
        sum: Number(e.getAttribute('data-sum')),
      }));
    const withMetrics = truth.runs.filter((r) => r.requests !== null);
    expect(await line('requests')).toEqual({
      points: withMetrics.length,
      sum: withMetrics.reduce((a, r) => a + (r.requests ?? 0), 0),
    });
    expect(await line('429s')).toEqual({ points: withMetrics.length, sum: served.rateLimited });
  });

  it('had no console error and no failed request, and kept a screenshot of the section', () => {
    expect(problems).toEqual([]);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });
});
