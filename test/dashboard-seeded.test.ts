// The dashboard over the seeded account (test/helpers/seeded.ts): the same JSON from Redshift (a Data API over
// the real PostgreSQL) as from PostgreSQL, /api/health, bad requests, and the page itself in headless Chromium:
// every chart drawn with the warehouse's numbers, the curve's picker, the run history and its graphs, the
// pipeline health of the seeded runs (test/dashboard-health.test.ts covers 429s, quarantine, failures, old records).
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type Field,
} from '@aws-sdk/client-redshift-data';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { startDashboard, type RunningDashboard } from '#local/dashboard/server.ts';
import {
  PostgresWarehouseClient,
  RedshiftDataWarehouseClient,
  toPositional,
  type DataApi,
} from '#local/dashboard/warehouse.ts';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
import { seededCopy, type Seeded } from './helpers/seeded.ts';
import { drawnDays, expectedRow, healthRows, healthTruth } from './helpers/health.ts';
import { ROOT } from './helpers/sim.ts';
import { openPage } from './helpers/browser.ts';

const SCREENSHOT = join(ROOT, 'test-results', 'dashboard.png');

type Row = Record<string, unknown>;

/** Distinct viewing sessions in the bronze events pages: the truth the warehouse's fact table must hold. */
function bronzeEventKeys(dataDir: string): Set<string> {
  const keys = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith('page-') && e.name.endsWith('.json'))
        for (const r of (JSON.parse(readFileSync(p, 'utf8')) as { records: { event_key: string }[] }).records)
          keys.add(r.event_key);
    }
  };
  walk(join(dataDir, 'store', 'bronze', 'events'));
  return keys;
}

/** A Redshift Data API stand-in backed by the real PostgreSQL: the typed cells Redshift would send. */
function dataApiOverPostgres(dsn: string): DataApi {
  const results = new Map<string, { columns: { name: string; typeName: string }[]; records: Field[][] }>();
  const typeNames: Record<number, string> = { 20: 'int8', 23: 'int4', 701: 'float8', 1700: 'numeric', 16: 'bool' };
  return {
    async send(command) {
      if (command instanceof ExecuteStatementCommand) {
        const { Sql = '', Parameters = [] } = command.input;
        const { text, values } = toPositional(Sql, Object.fromEntries(Parameters.map((p) => [p.name, p.value])));
        const c = new pg.Client({ connectionString: dsn, types: { getTypeParser: () => (v: string) => v } });
        await c.connect();
        try {
          const r = await c.query({ text, values, rowMode: 'array' });
          const columns = r.fields.map((f) => ({ name: f.name, typeName: typeNames[f.dataTypeID] ?? 'varchar' }));
          const records = (r.rows as (string | null)[][]).map((row) =>
            row.map((v, i): Field => {
              const t = columns[i]?.typeName;
              if (v === null) return { isNull: true };
              if (t === 'int8' || t === 'int4') return { longValue: Number(v) };
              if (t === 'float8') return { doubleValue: Number(v) };
              if (t === 'bool') return { booleanValue: v === 't' };
              return { stringValue: v };
            }),
          );
          const id = `stmt-${results.size + 1}`;
          results.set(id, { columns, records });
          return { Id: id };
        } finally {
          await c.end();
        }
      }
      if (command instanceof DescribeStatementCommand)
        return { Status: 'FINISHED', HasResultSet: results.has(command.input.Id ?? '') };
      if (command instanceof GetStatementResultCommand) {
        const r = results.get(command.input.Id ?? '')!;
        const from = Number(command.input.NextToken ?? 0); // pages of 7 rows, to exercise NextToken
        return {
          ColumnMetadata: r.columns,
          Records: r.records.slice(from, from + 7),
          ...(from + 7 < r.records.length ? { NextToken: String(from + 7) } : {}),
        };
      }
      throw new Error(`unexpected command ${command.constructor.name}`);
    },
  };
}

describe('dashboard over the seeded account', () => {
  let seeded: Seeded;
  let wh: LocalWarehouse;
  let dash: RunningDashboard;
  const sql = (text: string, params: unknown[] = []) => wh.query(text, params);
  const get = async (path: string) => {
    const r = await fetch(new URL(path, dash.url));
    return { status: r.status, headers: r.headers, body: (await r.json()) as unknown };
  };

  beforeAll(async () => {
    seeded = await seededCopy('wp-dashboard-');
    wh = await new LocalWarehouse(seeded.dataDir).start();
    dash = await startDashboard({
      warehouse: new PostgresWarehouseClient(wh),
      runs: new FileObjectStore(join(seeded.dataDir, 'store'), 'local'),
      dataDir: seeded.dataDir,
      port: 0,
    });
  }, 900_000);

  afterAll(async () => {
    await dash?.close();
    await wh?.stop();
    if (seeded) rmSync(seeded.dataDir, { recursive: true, force: true });
  });

  it('answers the same JSON from Redshift through the Data API as from PostgreSQL, query for query', async () => {
    const redshift = new RedshiftDataWarehouseClient({
      client: dataApiOverPostgres(wh.dsn),
      workgroup: 'wistia-analytics',
      database: 'analytics',
      pollMs: 1,
    });
    const overRedshift = await startDashboard({ warehouse: redshift, port: 0 });
    try {
      const media = ((await get('/api/medias')).body as Row[])[0]?.media_id as string;
      for (const path of [
        '/api/kpis',
        '/api/daily',
        '/api/top-media?by=plays',
        '/api/top-media?by=hours',
        '/api/medias',
        `/api/curve?media=${media}`,
        '/api/channels',
        '/api/campaigns',
        '/api/lifetime',
        '/api/countries',
        '/api/devices',
        '/api/account-trend',
      ]) {
        const local = await get(path);
        const aws = await fetch(new URL(path, overRedshift.url)).then(async (r) => [r.status, await r.json()]);
        expect(local.status, path).toBe(200);
        expect(aws, path).toEqual([200, local.body]);
      }
    } finally {
      await overRedshift.close();
    }
  });

  it("answers /api/health with each seeded run's figures as its records and `status --cost` give them", async () => {
    const truth = await healthTruth(seeded.dataDir);
    const { status, body } = await get('/api/health');
    const health = body as { days: { day: string; counts: Record<string, number> }[]; runs: Row[] };
    expect(status).toBe(200);
    expect(truth.runs.map((r) => r.execution)).toEqual([...seeded.days].reverse().map((d) => d.execution));
    expect(health.runs.map((r) => r.execution)).toEqual(truth.runs.map((r) => r.execution));
    for (const [i, t] of truth.runs.entries()) {
      expect(health.runs[i]).toMatchObject({
        status: t.status,
        requests: t.requests,
        rateLimited: t.rateLimited,
        retries: t.retries,
        quarantineShare: t.quarantineShare,
        transformSeconds: t.transformSeconds,
        costUsd: t.costUsd,
      });
      expect(t.requests).toBeGreaterThan(0);
      expect(t.transformSeconds).toBeGreaterThan(0);
      expect(t.costUsd).toBeGreaterThan(0);
    }
    const nonZero = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).filter(([, n]) => n > 0));
    expect(Object.fromEntries(health.days.map((d) => [d.day, nonZero(d.counts)]))).toEqual(truth.days);
  });

  it("rejects bad requests with a clear error and serves only the page's own files", async () => {
    expect(await get('/api/curve?media=../../etc')).toMatchObject({
      status: 400,
      body: { error: 'media: expected a Wistia hashed id (letters and digits), got "../../etc"' },
    });
    expect(await get('/api/curve?media=nosuchmedia1')).toMatchObject({
      status: 404,
      body: { error: 'no engagement curve for media "nosuchmedia1"' },
    });
    expect(await get('/api/top-media?by=views')).toMatchObject({
      status: 400,
      body: { error: 'by: expected plays or hours, got "views"' },
    });
    expect(await get('/runs/daily-1999-01-01-nope/graph')).toMatchObject({
      status: 404,
      body: { error: 'no execution "daily-1999-01-01-nope"' },
    });
    expect((await get('/../package.json')).status).toBe(404);
    const post = await fetch(new URL('/api/kpis', dash.url), { method: 'POST' });
    expect(post.status).toBe(405);
    const page = await fetch(dash.url);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  describe('in headless Chromium', () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      ({ browser, page } = await openPage(problems));
      await page.goto(dash.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      mkdirSync(join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
    });

    const marks = (chart: string) =>
      page.$$eval(`[data-chart="${chart}"] rect.mark`, (els) =>
        els.map((e) => ({ label: e.getAttribute('data-label'), value: Number(e.getAttribute('data-value')) })),
      );
    const line = (chart: string, series: string) =>
      page.$eval(`[data-chart="${chart}"] path.mark[data-series="${series}"]`, (e) => ({
        points: Number(e.getAttribute('data-points')),
        sum: Number(e.getAttribute('data-sum')),
        d: e.getAttribute('d') ?? '',
      }));

    it('shows the KPIs the warehouse and the bronze events hold', async () => {
      const [truth] = await sql(
        `SELECT SUM(play_count) AS plays, SUM(load_count) AS loads, SUM(hours_watched) AS hours FROM analytics.fct_media_engagement`,
      );
      const kpi = (k: string) => page.$eval(`[data-kpi="${k}"]`, (e) => [e.textContent, e.getAttribute('data-value')]);
      expect(Number(truth?.plays)).toBeGreaterThan(0);
      expect(await kpi('plays')).toEqual([Number(truth?.plays).toLocaleString('en-US'), String(truth?.plays)]);
      expect(await kpi('loads')).toEqual([Number(truth?.loads).toLocaleString('en-US'), String(truth?.loads)]);
      expect(await kpi('play_rate')).toEqual([
        `${((Number(truth?.plays) / Number(truth?.loads)) * 100).toFixed(1)} %`,
        expect.any(String),
      ]);
      const hours = await kpi('hours_watched');
      expect(Number(hours[1])).toBeCloseTo(Number(truth?.hours), 9);
      // every viewing session in the bronze pages, none quarantined, is one row of the fact table
      const [{ n: quarantined } = { n: -1 }] = await sql(
        `SELECT COUNT(*) AS n FROM analytics.quarantine WHERE entity = 'events'`,
      );
      expect(quarantined).toBe(0);
      const sessions = bronzeEventKeys(seeded.dataDir).size;
      expect(sessions).toBeGreaterThan(0);
      expect(await kpi('sessions')).toEqual([sessions.toLocaleString('en-US'), String(sessions)]);
      const [{ n: visitors } = { n: -1 }] = await sql('SELECT COUNT(*) AS n FROM analytics.dim_visitor');
      expect((await kpi('visitors'))[1]).toBe(String(visitors));
    });

    it('draws plays, loads and play rate for every day from the first to the last', async () => {
      const [span] = await sql(
        `SELECT MAX(snapshot_date) - MIN(snapshot_date) + 1 AS days, SUM(play_count) AS plays, SUM(load_count) AS loads,
                COUNT(DISTINCT CASE WHEN load_count > 0 THEN snapshot_date END) AS days_with_loads
         FROM analytics.fct_media_engagement`,
      );
      const plays = await line('daily', 'plays');
      const loads = await line('daily', 'loads');
      expect(plays.points).toBe(span?.days); // gap days drawn as zero
      expect(plays.sum).toBe(span?.plays);
      expect(loads.sum).toBe(span?.loads);
      expect(plays.d.split('L')).toHaveLength(Number(span?.days));
      const rate = await line('play-rate', 'play rate');
      expect(rate.points).toBe(span?.days_with_loads);
    });

    it("draws the account's daily plays and their 7-day average from its first load (issue 17)", async () => {
      const days = await sql(
        `SELECT date_key, play_count FROM analytics.fct_account_daily
         WHERE date_key >= (SELECT MIN(date_key) FROM analytics.fct_account_daily WHERE load_count > 0)
         ORDER BY date_key`,
      );
      const plays = days.map((r) => Number(r.play_count));
      expect(plays.length).toBeGreaterThan(50);
      const drawn = await line('account-trend', 'plays');
      expect([drawn.points, drawn.sum]).toEqual([plays.length, plays.reduce((a, b) => a + b, 0)]);
      // the account's plays are its medias': every viewing event the warehouse holds
      const [events] = await sql('SELECT COUNT(*) AS n FROM analytics.fct_viewing_event');
      expect(drawn.sum).toBe(Number(events?.n));
      const avg = plays.map((_, i) => {
        const w = plays.slice(Math.max(0, i - 6), i + 1);
        return w.reduce((a, b) => a + b, 0) / w.length;
      });
      const trend = await line('account-trend', '7-day average');
      expect(trend.points).toBe(plays.length);
      expect(trend.sum).toBeCloseTo(
        avg.reduce((a, b) => a + b, 0),
        6,
      );
    });

    it('ranks the top media by plays and by hours watched', async () => {
      const byPlays = await sql(
        `SELECT m.name, t.plays FROM (SELECT media_id, SUM(play_count) AS plays FROM analytics.fct_media_engagement GROUP BY media_id) t
         JOIN analytics.dim_media m USING (media_id) WHERE t.plays > 0 ORDER BY t.plays DESC, t.media_id LIMIT 10`,
      );
      expect(byPlays.length).toBe(10);
      expect(await marks('top-plays')).toEqual(byPlays.map((r) => ({ label: r.name, value: r.plays })));
      const byHours = await sql(
        `SELECT m.name, t.hours FROM (SELECT media_id, SUM(hours_watched) AS hours FROM analytics.fct_media_engagement GROUP BY media_id) t
         JOIN analytics.dim_media m USING (media_id) WHERE t.hours > 0 ORDER BY t.hours DESC, t.media_id LIMIT 10`,
      );
      const drawn = await marks('top-hours');
      expect(drawn.map((d) => d.label)).toEqual(byHours.map((r) => r.name));
      drawn.forEach((d, i) => expect(d.value).toBeCloseTo(Number(byHours[i]?.hours), 9));
    });

    it('splits viewing sessions by channel: Facebook, YouTube, website, other', async () => {
      const truth = await sql(`SELECT channel, COUNT(*) AS n FROM analytics.fct_viewing_event GROUP BY channel`);
      const want = Object.fromEntries(['facebook', 'youtube', 'website', 'other'].map((c) => [c, 0]));
      for (const r of truth) want[String(r.channel)] = Number(r.n);
      const drawn = await marks('channels');
      expect(Object.fromEntries(drawn.map((d) => [d.label, d.value]))).toEqual(want);
      expect(drawn.filter((d) => d.value > 0).length).toBeGreaterThanOrEqual(3);
    });

    it("lists each media's latest lifetime snapshot, most lifetime plays first, with the plays gained since", async () => {
      // straight from the fact (the saved query's figures are held to the bronze in test/saved-queries.test.ts)
      const truth = await sql(
        `SELECT s.media_id, s.play_count, s.snapshot_date,
                s.play_count - (SELECT p.play_count FROM analytics.fct_media_snapshot p
                                WHERE p.media_id = s.media_id AND p.snapshot_date < s.snapshot_date
                                ORDER BY p.snapshot_date DESC LIMIT 1) AS gained
         FROM analytics.fct_media_snapshot s
         WHERE s.snapshot_date = (SELECT MAX(snapshot_date) FROM analytics.fct_media_snapshot x WHERE x.media_id = s.media_id)`,
      );
      const rows = await page.$$eval('#lifetime tbody tr', (trs) =>
        trs.map((tr) => [
          tr.getAttribute('data-media'),
          ...[...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        ]),
      );
      expect(truth.length).toBeGreaterThan(10);
      expect(rows.length).toBe(truth.length);
      const n = (cell: string | null | undefined) => Number((cell ?? '').replace(/,/g, ''));
      const want = new Map(truth.map((r) => [String(r.media_id), r]));
      for (const r of rows) {
        const t = want.get(String(r[0]));
        expect([r[0], r[2], n(r[3])]).toEqual([
          t?.media_id,
          String(t?.snapshot_date).slice(0, 10),
          Number(t?.play_count),
        ]);
        expect(r[8]).toBe(t?.gained === null ? '–' : Number(t?.gained).toLocaleString('en-US'));
      }
      const plays = rows.map((r) => n(r[3]));
      expect(plays).toEqual([...plays].sort((a, b) => b - a));
    });

    it('lists campaign performance by week: a row per week and project, its plays by channel', async () => {
      // the plays per week and project straight from the facts (the saved query's own figures are held to the
      // simulator's truth in test/saved-queries.test.ts)
      const truth = await sql(
        `SELECT CAST(DATE_TRUNC('week', e.event_date) AS DATE) AS week, p.name, COUNT(*) AS plays,
                SUM(CASE WHEN e.channel = 'facebook' THEN 1 ELSE 0 END) AS facebook
         FROM analytics.fct_viewing_event e
         JOIN analytics.dim_media m ON m.media_id = e.media_id
         JOIN analytics.dim_project p ON p.project_id = m.project_id
         GROUP BY 1, 2`,
      );
      const want = new Map(truth.map((r) => [`${String(r.week).slice(0, 10)}|${String(r.name)}`, r]));
      const rows = await page.$$eval('#campaigns tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
      expect(rows.length).toBeGreaterThan(8);
      const n = (cell: string | undefined) => Number((cell ?? '').replace(/,/g, ''));
      const withPlays = rows.filter((r) => n(r[2]) > 0);
      expect(withPlays.length).toBe(want.size);
      for (const r of withPlays) {
        const t = want.get(`${r[0]}|${r[1]}`);
        expect([r[0], r[1], n(r[2]), n(r[7])]).toEqual([r[0], r[1], Number(t?.plays), Number(t?.facebook)]);
      }
      const weeks = rows.map((r) => r[0] ?? '');
      expect(weeks).toEqual([...weeks].sort().reverse()); // newest week first
    });

    it('counts viewers by country and by device', async () => {
      const countries = await sql(
        `SELECT country, COUNT(DISTINCT visitor_key) AS n FROM analytics.fct_viewing_event GROUP BY country ORDER BY n DESC, country`,
      );
      const drawn = await marks('countries');
      expect(drawn.length).toBe(Math.min(15, countries.length));
      expect(drawn.map((d) => d.value)).toEqual(countries.slice(0, 15).map((r) => r.n));
      expect(drawn.map((d) => d.label)).toContain('United States (US)');
      const devices = await sql(
        `SELECT v.platform, v.is_mobile, COUNT(DISTINCT e.visitor_key) AS n FROM analytics.fct_viewing_event e
         JOIN analytics.dim_visitor v USING (visitor_key) GROUP BY 1, 2`,
      );
      const want = Object.fromEntries(
        devices.map((r) => [`${String(r.platform)} · ${r.is_mobile ? 'mobile' : 'desktop'}`, r.n]),
      );
      expect(Object.fromEntries((await marks('devices')).map((d) => [d.label, d.value]))).toEqual(want);
    });

    it('draws the engagement curve of the chosen media and redraws it for another', async () => {
      const curves = await sql(
        `SELECT c.media_id, c.engagement_data FROM analytics.media_engagement_curve c
         LEFT JOIN (SELECT media_id, SUM(play_count) AS p FROM analytics.fct_media_engagement GROUP BY media_id) t
           ON t.media_id = c.media_id
         LEFT JOIN analytics.dim_media m ON m.media_id = c.media_id
         ORDER BY COALESCE(t.p, 0) DESC, COALESCE(m.name, c.media_id), c.media_id`,
      );
      const cells = (r: Row | undefined) => JSON.parse(String(r?.engagement_data)) as number[];
      const first = curves[0];
      expect(await page.$eval('#chart-curve', (e) => e.getAttribute('data-media'))).toBe(first?.media_id);
      const drawn = await line('curve', 'viewers');
      expect(drawn.points).toBe(cells(first).length);
      expect(drawn.sum).toBe(cells(first).reduce((a, b) => a + b, 0));
      expect(await page.$$eval('#media-picker option', (o) => o.length)).toBe(curves.length);

      const other = curves.find((r) => r !== first && cells(r).length !== cells(first).length && cells(r).length > 1);
      expect(other).toBeDefined();
      await page.selectOption('#media-picker', String(other?.media_id));
      await page.waitForSelector(`#chart-curve[data-media="${String(other?.media_id)}"]`);
      const redrawn = await line('curve', 'viewers');
      expect(redrawn.points).toBe(cells(other).length);
      expect(redrawn.sum).toBe(cells(other).reduce((a, b) => a + b, 0));
      expect(redrawn.d).not.toBe(drawn.d);
    });

    it('lists the seeded runs, newest first, each linking its execution graph', async () => {
      const rows = await page.$$eval('#runs tbody tr', (trs) =>
        trs.map((tr) => ({
          execution: tr.getAttribute('data-execution'),
          cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
          href: tr.querySelector('a')?.getAttribute('href'),
        })),
      );
      expect(rows.map((r) => r.execution)).toEqual([...seeded.days].reverse().map((d) => d.execution));
      for (const [i, r] of rows.entries()) {
        const day = seeded.days[seeded.days.length - 1 - i]!;
        const rec = JSON.parse(
          readFileSync(join(seeded.dataDir, 'store', 'runs', day.execution, 'execution.json'), 'utf8'),
        ) as { requests: number; mapRuns: { counts: { succeeded: number } }[] };
        expect(r.cells[1]).toBe(day.day);
        expect(r.cells[2]).toBe('SUCCEEDED');
        expect(r.cells[5]).toBe(rec.requests.toLocaleString('en-US'));
        expect(Number(r.cells[6])).toBe(rec.mapRuns.reduce((a, m) => a + m.counts.succeeded, 0));
        expect(r.cells[7]).toBe('0');
        expect(r.href).toBe(`/runs/${day.execution}/graph`);
      }
      const execution = seeded.days[0]!.execution;
      const graph = await browser.newPage();
      try {
        const res = await graph.goto(new URL(`/runs/${execution}/graph`, dash.url).toString());
        expect(res?.status()).toBe(200);
        expect(res?.headers()['content-type']).toContain('text/html');
        expect(await graph.content()).toContain(execution);
      } finally {
        await graph.close();
      }
    });

    it("shows each seeded run's requests, 429s, quarantine share, transform time and cost, and runs per day", async () => {
      const truth = await healthTruth(seeded.dataDir);
      expect(await healthRows(page)).toEqual(truth.runs.map(expectedRow));
      expect(await drawnDays(page)).toEqual(truth.days);
    });

    it('had no console error and no failed request, and kept a screenshot', () => {
      expect(problems).toEqual([]);
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    });
  });
});
