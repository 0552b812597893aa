// A week of production locally, end to end (ingest -> Spark -> PostgreSQL), against one full refresh of the
// same account on day 7: the same warehouse, re-runs that change no row, no duplicate key, nothing lost.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDays, type DayResult } from '#local/cli/run.ts';
import { localStore } from '#local/runner/run.ts';
import { localGlue, TransformWorker } from '#local/transform.ts';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { tempDir } from './helpers/pipeline.ts';
import { STAR, starSnapshot } from './helpers/star.ts';
import { sim as startSim } from './helpers/sim.ts';

const account = { seed: 21, medias: 25, historyDays: 40, eventsPerMediaPerDay: 0.6 };

let weekSim: WistiaSimulator;
let refreshSim: WistiaSimulator;
const weekDir = tempDir('wp-week-');
const refreshDir = tempDir('wp-refresh-');
let week: DayResult[];
let refresh: DayResult[];
/** One Spark JVM for the week, the full refresh and the re-runs. */
const worker = new TransformWorker();
const quiet = () => undefined;

beforeAll(async () => {
  weekSim = await startSim(account);
  week = await runDays({
    dataDir: weekDir,
    days: 7,
    sim: weekSim,
    apiBaseUrl: weekSim.baseUrl,
    token: async () => 'test-token-5f2b9c1e7a',
    accountRequestsPerMinute: 60_000,
    out: quiet,
    worker,
  });
  // The same account, its clock on day 7, pulled once into an empty data dir: a full refresh.
  refreshSim = await startSim(account);
  refreshSim.advance(6);
  refresh = await runDays({
    dataDir: refreshDir,
    days: 1,
    sim: refreshSim,
    apiBaseUrl: refreshSim.baseUrl,
    token: async () => 'test-token-5f2b9c1e7a',
    accountRequestsPerMinute: 60_000,
    out: quiet,
    worker,
  });
}, 900_000);

afterAll(async () => {
  await worker.close();
  await weekSim?.close();
  await refreshSim?.close();
  rmSync(weekDir, { recursive: true, force: true });
  rmSync(refreshDir, { recursive: true, force: true });
});

describe('a week of production', () => {
  it('runs seven daily executions, each ingesting, transforming and loading', () => {
    expect(week.map((d) => [d.day, d.record.status, d.transform?.status])).toEqual(
      ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26'].map((d) => [
        d,
        'SUCCEEDED',
        'SUCCEEDED',
      ]),
    );
    expect(refresh.map((d) => [d.day, d.record.status, d.transform?.status])).toEqual([
      ['2026-11-26', 'SUCCEEDED', 'SUCCEEDED'],
    ]);
    const inserted = (d: DayResult) => Object.values(d.transform?.loaded ?? {}).reduce((a, x) => a + x.inserted, 0);
    expect(inserted(week[0] as DayResult)).toBeGreaterThan(100);
    for (const d of week.slice(1)) expect(inserted(d)).toBeGreaterThan(0); // each day brings new events
  });

  it('ends with the warehouse a single full refresh on day 7 builds, table by table, row by row', async () => {
    const a = await starSnapshot(weekDir);
    const b = await starSnapshot(refreshDir);
    for (const t of Object.keys(STAR)) {
      expect(a[t]?.length, t).toBeGreaterThan(0);
      expect([t, a[t]]).toEqual([t, b[t]]);
    }
  });

  it('holds every event the simulator has for the covered days, each once', async () => {
    const w = weekSim.world;
    const expected = new Set<string>();
    for (let e = w.lowerBound(w.retentionStartMs()); e < w.visibleEvents(); e++) expected.add(w.eventKey(e));
    const wh = await new LocalWarehouse(weekDir).start();
    try {
      const loaded = await wh.query<{ event_key: string }>('SELECT event_key FROM analytics.fct_viewing_event');
      const quarantined = await wh.query<{ natural_key: string }>(
        "SELECT natural_key FROM analytics.quarantine WHERE entity = 'events'",
      );
      const have = new Set([...loaded.map((r) => r.event_key), ...quarantined.map((r) => r.natural_key)]);
      expect(have).toEqual(expected);
      for (const [t, keys] of Object.entries(STAR)) {
        const dups = await wh.query(
          `SELECT ${keys.join(', ')}, COUNT(*) FROM analytics.${t} GROUP BY ${keys.join(', ')} HAVING COUNT(*) > 1`,
        );
        expect([t, dups]).toEqual([t, []]);
      }
      // every fact's media and visitor is in its dimension
      const orphans = await wh.query(
        'SELECT COUNT(*) AS n FROM analytics.fct_viewing_event f WHERE NOT EXISTS (SELECT 1 FROM analytics.dim_media m WHERE m.media_id = f.media_id) OR NOT EXISTS (SELECT 1 FROM analytics.dim_visitor v WHERE v.visitor_key = f.visitor_key)',
      );
      expect(orphans).toEqual([{ n: 0 }]);
      // every media's project is in dim_project (the foreign key holds), the account's 8 listed, none inferred
      const projects = await wh.query(
        'SELECT COUNT(*) AS n, SUM(CASE WHEN is_inferred THEN 1 ELSE 0 END) AS inferred FROM analytics.dim_project',
      );
      expect(projects).toEqual([{ n: w.renderProjects().length, inferred: 0 }]);
      const homeless = await wh.query(
        'SELECT COUNT(*) AS n FROM analytics.dim_media m WHERE m.project_id IS NULL OR NOT EXISTS (SELECT 1 FROM analytics.dim_project p WHERE p.project_id = m.project_id)',
      );
      expect(homeless).toEqual([{ n: 0 }]);
    } finally {
      await wh.stop();
    }
  });

  it('re-running any day changes no row', async () => {
    const before = await starSnapshot(weekDir);
    const wh = await new LocalWarehouse(weekDir).start();
    try {
      const glue = localGlue({ warehouse: wh, worker, companyHosts: 'example.com' });
      for (const d of [week[2], week[6]] as DayResult[]) {
        const run = await glue(
          { '--run_id': d.record.name, '--ingest_date': d.day, '--bucket': 'local' },
          { store: localStore(weekDir), dataDir: weekDir },
        );
        expect(run.JobRunState).toBe('SUCCEEDED');
        const audit = await wh.query<{ table_name: string; inserted: number; updated: number }>(
          'SELECT table_name, inserted, updated FROM analytics.load_audit WHERE _run_id = $1 ORDER BY table_name',
          [d.record.name],
        );
        expect(audit.every((r) => r.inserted === 0 && r.updated === 0)).toBe(true);
        expect(audit).toHaveLength(9);
      }
    } finally {
      await wh.stop();
    }
    expect(await starSnapshot(weekDir)).toEqual(before);
  });
});
