// `wistia-pipeline status`: the executions of a data dir (most recent first), its watermarks and the warehouse's
// row counts, checked against the seeded account's own files and COUNT(*) run here.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT } from '#local/cli/main.ts';
import { DDL, LocalWarehouse } from '#local/warehouse/postgres.ts';
import type { StatusReport } from '#local/ops/status.ts';
import type { ExecutionRecord } from '#local/runner/run.ts';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { run, tempDir } from './helpers/pipeline.ts';
import { seededCopy, SEEDED, type Seeded } from './helpers/seeded.ts';
import { sim as startSim } from './helpers/sim.ts';
import { cli } from './helpers/cli.ts';

afterEach(() => vi.restoreAllMocks());
const readJson = <T>(...p: string[]) => JSON.parse(readFileSync(join(...p), 'utf8')) as T;

/** Items of an execution's map runs as their result files count them (SUCCEEDED_0 / FAILED_0). */
function resultFileItems(dataDir: string, execution: string): { succeeded: number; failed: number } {
  const root = join(dataDir, 'store', 'runs', execution, 'map-results');
  const n = { succeeded: 0, failed: 0 };
  for (const map of readdirSync(root))
    for (const mapRun of readdirSync(join(root, map)))
      for (const f of readdirSync(join(root, map, mapRun))) {
        const list =
          f.startsWith('SUCCEEDED_') || f.startsWith('FAILED_') ? readJson<unknown[]>(root, map, mapRun, f) : [];
        if (f.startsWith('SUCCEEDED_')) n.succeeded += list.length;
        if (f.startsWith('FAILED_')) n.failed += list.length;
      }
  return n;
}

describe('status of the seeded account', () => {
  let seeded: Seeded;
  let wh: LocalWarehouse;
  let report: StatusReport;
  let code: number;
  let text: string;

  beforeAll(async () => {
    seeded = await seededCopy('wp-status-');
    wh = await new LocalWarehouse(seeded.dataDir).start(); // status joins this server
    const r = await cli(['status', '--data-dir', seeded.dataDir, '--json']);
    code = r.code;
    report = JSON.parse(r.out) as StatusReport;
    text = (await cli(['status', '--data-dir', seeded.dataDir])).out;
  }, 900_000);
  afterAll(async () => {
    await wh?.stop();
    rmSync(seeded.dataDir, { recursive: true, force: true });
  });

  it('lists every execution, the most recent first, with its status, items and requests', () => {
    expect(code).toBe(EXIT.ok);
    expect(report.totalExecutions).toBe(SEEDED.days);
    expect(report.executions.map((x) => [x.id, x.status])).toEqual(
      [...seeded.days].reverse().map((d) => [d.execution, d.status]),
    );
    for (const x of report.executions) {
      const rec = readJson<ExecutionRecord>(seeded.dataDir, 'store', 'runs', x.id, 'execution.json');
      expect([x.startedAt, x.stoppedAt, x.requests]).toEqual([rec.startDate, rec.stopDate, rec.requests]);
      const items = resultFileItems(seeded.dataDir, x.id);
      expect(items.succeeded).toBeGreaterThan(0);
      expect([x.itemsSucceeded, x.itemsFailed, x.itemsPending]).toEqual([items.succeeded, items.failed, 0]);
      expect(x.error).toBeNull();
    }
    // the first day loads the backfill
    expect(report.executions[report.executions.length - 1]?.rowsInserted).toBeGreaterThan(0);
  });

  it('rows loaded per execution are what the load audited for that run', async () => {
    const audit = await wh.query<{ run_id: string; inserted: number; updated: number }>(
      'SELECT _run_id AS run_id, SUM(inserted)::bigint AS inserted, SUM(updated)::bigint AS updated FROM analytics.load_audit GROUP BY _run_id',
    );
    const byRun = new Map(audit.map((a) => [a.run_id, a]));
    for (const x of report.executions) {
      const a = byRun.get(x.id);
      expect([x.id, x.rowsInserted, x.rowsUpdated, x.rowsLoaded]).toEqual([
        x.id,
        Number(a?.inserted),
        Number(a?.updated),
        Number(a?.inserted) + Number(a?.updated),
      ]);
    }
  });

  it("shows each execution's run metrics: the Lambdas' EMF figures and the transform's, counted independently", () => {
    for (const x of report.executions) {
      const rec = readJson<ExecutionRecord>(seeded.dataDir, 'store', 'runs', x.id, 'execution.json');
      const tf = readJson<{ bronze: Record<string, { served: number; quarantined: number }>; elapsed_seconds: number }>(
        seeded.dataDir,
        'store',
        'runs',
        x.id,
        'transform.json',
      );
      // the requests the client counted (record.requests, not the metrics) and the bronze objects on disk
      const bronzeObjects = readdirSync(join(seeded.dataDir, 'store', 'bronze'), { recursive: true }).filter(
        (f) => String(f).includes(`run=${x.id}/`) && String(f).endsWith('.json'),
      ).length;
      const served = Object.values(tf.bronze).reduce((a, b) => a + b.served, 0);
      const quarantined = Object.values(tf.bronze).reduce((a, b) => a + b.quarantined, 0);
      expect(x.metrics).toMatchObject({
        requests: rec.requests,
        retries: rec.retries ?? 0,
        rateLimited: 0,
        bronzePages: bronzeObjects,
        recordsQuarantined: quarantined,
        quarantineShare: served > 0 ? quarantined / served : null,
      });
      expect(x.metrics!.transformSeconds).toBeCloseTo(tf.elapsed_seconds, 0);
      expect(text).toContain('Run metrics');
      expect(text).toMatch(new RegExp(`${x.id}\\s+${rec.requests}\\s`));
    }
  });

  it('shows the watermarks the last run committed', () => {
    const stored = readJson(seeded.dataDir, 'store', 'state', 'watermarks.json');
    const last = seeded.days[seeded.days.length - 1]?.execution as string;
    expect(report.watermarks).toEqual(stored);
    expect(report.watermarks).toEqual(readJson(seeded.dataDir, 'store', 'runs', last, 'committed.json'));
    expect(report.watermarks?.lastRun?.runId).toBe(last);
    expect(text).toContain(`events through       ${report.watermarks?.events?.throughDay}`);
  });

  it("counts each analytics table's rows as COUNT(*) does", async () => {
    // the load's stage tables (stg_*, empty between loads) are scratch space, not shown
    const tables = [...readFileSync(DDL, 'utf8').matchAll(/CREATE TABLE IF NOT EXISTS analytics\.(\w+)/g)]
      .map((m) => m[1] as string)
      .filter((t) => !t.startsWith('stg_'));
    expect(tables.length).toBeGreaterThanOrEqual(9);
    const counts: Record<string, number> = {};
    for (const t of tables)
      counts[t] = Number((await wh.query<{ n: number }>(`SELECT COUNT(*) AS n FROM analytics.${t}`))[0]?.n);
    expect(report.warehouse.state).toBe('ok');
    expect(report.tables).toEqual(counts);
    expect(counts.fct_viewing_event).toBeGreaterThan(0);
    for (const [t, n] of Object.entries(counts)) expect(text).toMatch(new RegExp(`^  ${t} +${n}$`, 'm'));
  });

  it('prints a table of the executions, the most recent first, with a header', () => {
    const ids = seeded.days.map((d) => d.execution);
    const at = ids.map((id) => text.indexOf(id));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => b - a)).toEqual(at); // most recent first
    expect(text).toMatch(/execution +status +started +ended +duration +items ok +failed/);
    expect(text).toContain(`Executions (most recent first, ${SEEDED.days} of ${SEEDED.days}):`);
  });

  it('--limit 1 lists only the latest, and says how many there are', async () => {
    const r = await cli(['status', '--data-dir', seeded.dataDir, '--json', '--limit', '1', '--no-warehouse']);
    const one = JSON.parse(r.out) as StatusReport;
    expect(one.executions.map((x) => x.id)).toEqual([seeded.days[seeded.days.length - 1]?.execution]);
    expect([one.totalExecutions, one.tables, one.warehouse.state]).toEqual([SEEDED.days, null, 'skipped']);
  });
});

describe('status of runs without a warehouse, with a failed item', () => {
  let sim: WistiaSimulator;
  let dir: string;
  let record: ExecutionRecord;
  beforeAll(async () => {
    sim = await startSim({ medias: 30, historyDays: 60 });
    dir = tempDir('wp-status-run-');
    const victim = sim.world.visibleMedias()[2]?.hashedId as string;
    sim.configure({ failMedias: { [victim]: 500 } });
    record = await run(sim, dir, { clientOptions: { backoffBaseMs: 2, backoffMaxMs: 5, maxAttempts: 1 } });
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the failed item, and says there is no warehouse yet instead of failing', async () => {
    const r = await cli(['status', '--data-dir', dir, '--json']);
    expect(r.code).toBe(EXIT.ok);
    const s = JSON.parse(r.out) as StatusReport;
    const items = resultFileItems(dir, record.name);
    expect(items.failed).toBe(1);
    expect(s.executions.map((x) => [x.id, x.status, x.itemsSucceeded, x.itemsFailed, x.requests])).toEqual([
      [record.name, 'SUCCEEDED', items.succeeded, 1, record.requests],
    ]);
    // no transform ran (no Spark in this test): no rows loaded
    expect([s.executions[0]?.rowsLoaded, s.executions[0]?.transform]).toEqual([null, null]);
    expect(s.tables).toBeNull();
    expect(s.warehouse).toEqual({
      state: 'none',
      dir: join(dir, 'warehouse', 'pg'),
      message: `no warehouse yet in ${join(dir, 'warehouse', 'pg')}: the first run that reaches the load creates it`,
    });
    expect(s.watermarks?.carryOver?.medias).toHaveLength(1);
    const t = await cli(['status', '--data-dir', dir]);
    expect(t.out).toContain(`  none: no warehouse yet in ${join(dir, 'warehouse', 'pg')}`);
  });
});

describe('status usage', () => {
  it('--help prints the usage; a missing data dir or a bad --limit exits 2 saying what was wrong', async () => {
    const h = await cli(['status', '--help']);
    expect([h.code, h.out]).toEqual([
      EXIT.ok,
      expect.stringContaining('Usage: wistia-pipeline status [--data-dir DIR]'),
    ]);
    const dir = tempDir('wp-status-');
    try {
      const missing = join(dir, 'nope');
      const m = await cli(['status', '--data-dir', missing]);
      expect([m.code, m.err]).toEqual([EXIT.usage, expect.stringContaining(`no data dir at ${missing}`)]);
      const l = await cli(['status', '--data-dir', dir, '--limit', 'many']);
      expect([l.code, l.err]).toEqual([EXIT.usage, expect.stringContaining('--limit: expected an integer >= 1')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an empty data dir: no executions, no watermarks, exit 0', async () => {
    const dir = tempDir('wp-status-');
    try {
      const r = await cli(['status', '--data-dir', dir, '--json']);
      const s = JSON.parse(r.out) as StatusReport;
      expect([r.code, s.executions, s.totalExecutions, s.watermarks, s.warehouse.state]).toEqual([
        EXIT.ok,
        [],
        0,
        null,
        'none',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
