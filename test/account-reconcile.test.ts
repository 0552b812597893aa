// Issue 17, end to end through the state machine, Spark and PostgreSQL: the account's days (fct_account_daily)
// and the medias' lifetime snapshots (fct_media_snapshot) land as the simulator serves them, and the quality gate
// reconciles the account's daily plays with its medias': equal, no finding; the account lagging its medias
// (Wistia's figures disagreeing at the edge), a finding in the run's report and in `status` naming the day and
// both figures, and the run still succeeds.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TransformWorker } from '#local/transform.ts';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
import { parseDay } from '#local/simulator/world.ts';
import { runDay, todayOf } from './helpers/reliability.ts';
import { tempDir } from './helpers/pipeline.ts';
import { cli } from './helpers/cli.ts';
import { sim as startSim, TOKEN } from './helpers/sim.ts';

const worker = new TransformWorker();
const dir = tempDir('wp-account-');
afterAll(async () => {
  await worker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the account's days and the medias' snapshots, reconciled", () => {
  it('lands both tables; equal plays give no finding, a lagging account a finding with the day and both figures', async () => {
    const sim = await startSim({ seed: 5, medias: 12, historyDays: 20, eventsPerMediaPerDay: 4, nowHourUtc: 12 });
    try {
      const first = await runDay({ dataDir: dir, sim, token: TOKEN, worker });
      expect([first.record.status, first.transform?.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(first.transform?.findings).toEqual([]);
      const wh = await new LocalWarehouse(dir).start();
      try {
        const w = sim.world;
        const days = await wh.query<{ d: string; loads: number; plays: number }>(
          `SELECT CAST(date_key AS VARCHAR(10)) AS d, load_count AS loads, play_count AS plays
           FROM analytics.fct_account_daily ORDER BY date_key`,
        );
        const served = w.accountByDate(parseDay(String(days[0]?.d)), w.today);
        expect(days.map((r) => [r.d, Number(r.loads), Number(r.plays)])).toEqual(
          served.map((r) => [r.date, r.load_count, r.play_count]),
        );
        const snaps = await wh.query<{ media_id: string; snapshot_date: string; plays: number; visitors: number }>(
          `SELECT media_id, CAST(snapshot_date AS VARCHAR(10)) AS snapshot_date, play_count AS plays, visitors
           FROM analytics.fct_media_snapshot ORDER BY media_id`,
        );
        const medias = [...w.visibleMedias()].sort((a, b) => (a.hashedId < b.hashedId ? -1 : 1));
        expect(snaps.map((s) => [s.media_id, s.snapshot_date, Number(s.plays), Number(s.visitors)])).toEqual(
          medias.map((m) => {
            const s = w.mediaStats(m);
            return [m.hashedId, todayOf(sim), s.play_count, s.visitors];
          }),
        );
      } finally {
        await wh.stop();
      }

      // the next day, the account's aggregate six hours behind its medias'
      sim.advance(1);
      sim.configure({ accountLagMinutes: 360 });
      const w = sim.world;
      const lagged = w.visibleEvents() - w.upperBound(w.nowMs - 360 * 60_000);
      expect(lagged).toBeGreaterThanOrEqual(2);
      const second = await runDay({ dataDir: dir, sim, token: TOKEN, worker });
      expect([second.record.status, second.transform?.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const today = todayOf(sim);
      const medias = w.accountByDate(w.today, w.today)[0]?.play_count as number;
      expect(second.transform?.findings).toEqual([
        {
          table: 'fct_account_daily',
          rule: "account plays = sum of its medias' plays (within 0.01 or 1 play)",
          day: today,
          account_plays: medias - lagged,
          media_plays: medias,
          detail: `${today}: the account counts ${medias - lagged} plays, its medias ${medias} (-${lagged})`,
        },
      ]);
      const status = await cli(['status', '--data-dir', dir, '--no-warehouse']);
      expect(status.code).toBe(0);
      expect(status.out).toContain(
        `fct_account_daily: ${today}: the account counts ${medias - lagged} plays, its medias ${medias} (-${lagged})`,
      );
    } finally {
      await sim.close();
    }
  }, 900_000);
});
