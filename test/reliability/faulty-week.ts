// The reliability suite's week of faults (test/reliability.test.ts): 7 days with 10% injected faults of every kind
// and 3% bad records, the runner SIGKILLed mid-ingest and started again, a token revoked mid-run, the warehouse
// failing mid-publish, ending equal to a fault-free week of the same account.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, type WistiaSimulator } from '#local/simulator/server.ts';
import { DEFECTS, defectOf } from '#local/simulator/misbehave.ts';
import { readWatermarks } from '#shared/pipeline/watermarks.ts';
import { addDays } from '#shared/pipeline/windows.ts';
import { readHistory } from '#local/ops/history.ts';
import { localStore } from '../helpers/pipeline.ts';
import {
  alive,
  checksums,
  descendants,
  dump,
  postmasterOf,
  runDay,
  stopProcess,
  todayOf,
  waitFor,
  type DayRun,
  type Proc,
  truthEvents,
  withWarehouse,
} from '../helpers/reliability.ts';
import { ruleOf } from '../helpers/bad-input.ts';
import {
  P,
  TOKEN,
  ROTATED,
  FIRST_DAY,
  dirs,
  leftovers,
  worker,
  simulator,
  watermarkBytes,
  succeeded,
  MISBEHAVE,
  WEEK_THRESHOLD,
  cliRun,
} from './context.ts';

export function describeFaultyWeek(): void {
  describe(`a week of faults (${P.name} profile: ${P.medias} medias, ${P.days} days, 10% faults of every kind, 3% bad records)`, () => {
    let sim: WistiaSimulator;
    /** What happened, execution by execution (the CLI's too), for the figures. */
    const days: { day: string; what: string; name: string }[] = [];
    const dir = dirs.faulty;

    /**
     * The fault-free reference: the same account, the same days, one clean run a day (not one full refresh on the
     * last day: events keep the media name they were fetched with, so a rename mid-week tells the two apart). It
     * runs beside the faulty week, sharing the Spark worker while the faulty runs ingest, retry and get killed.
     */
    let reference: Promise<{ day: string; status: unknown[] }[]>;

    beforeAll(async () => {
      sim = await simulator({
        faults: { rate: 0.1, kinds: FAULT_KINDS, slowMs: 3000, burstMs: 50 },
        misbehave: MISBEHAVE,
      });
      const ref = await simulator({ misbehave: MISBEHAVE });
      reference = (async () => {
        const out: { day: string; status: unknown[] }[] = [];
        for (let d = 1; d <= P.days; d++) {
          if (d > 1) ref.advance(1);
          const r = await runDay({
            dataDir: dirs.reference,
            sim: ref,
            token: TOKEN,
            worker,
            quarantineThreshold: WEEK_THRESHOLD,
          });
          out.push({ day: todayOf(ref), status: succeeded(r) });
        }
        expect(ref.getCounters().faults).toEqual({});
        return out;
      })();
      reference.catch(() => undefined); // awaited (and reported) by the last test
    });

    async function day(what: string, token = TOKEN): Promise<DayRun> {
      const run = await runDay({ dataDir: dir, sim, token, worker, quarantineThreshold: WEEK_THRESHOLD });
      days.push({ day: todayOf(sim), what, name: run.record.name });
      return run;
    }

    it(
      `days 1-${P.killDay - 1} run through the faults`,
      async () => {
        for (let d = 1; d < P.killDay; d++) {
          if (d > 1) sim.advance(1);
          const r = await day('ran');
          expect([todayOf(sim), ...succeeded(r)]).toEqual([todayOf(sim), 'SUCCEEDED', undefined, 'SUCCEEDED']);
        }
      },
      1_800_000 * P.timeScale,
    );

    let killed: { name: string; survivors: Proc[] };

    it(
      `day ${P.killDay}: a runner SIGKILLed mid-ingest moves no watermark and publishes nothing`,
      async () => {
        sim.advance(1);
        const today = todayOf(sim);
        // The runner starts the warehouse itself (as on a fresh machine): what it leaves behind when killed is real.
        await stopProcess(postmasterOf(dir) as Proc, 'SIGINT');
        const before = { watermarks: watermarkBytes(dir) };
        sim.configure({ latencyMs: 100 }); // a day's ingest takes a second or two: time to catch it in the middle
        const cli = cliRun(dir, sim, TOKEN);
        const eventsDir = join(dir, 'store', 'bronze', 'events', `ingest_date=${today}`);
        let ended = false;
        void cli.exited.then(() => (ended = true));
        const runDir = await waitFor(
          "the day's first event pages",
          () => {
            if (ended) throw new Error(`the runner ended before the day's bronze landed:\n${cli.output().stderr}`);
            return existsSync(eventsDir) ? readdirSync(eventsDir).find((d) => d.startsWith('run=')) : undefined;
          },
          300_000,
        );
        const tree = descendants(cli.proc.pid as number);
        cli.proc.kill('SIGKILL');
        expect((await cli.exited).signal).toBe('SIGKILL');
        sim.configure({ latencyMs: 0 });
        const name = runDir.slice('run='.length);
        const survivors = tree.filter(alive);
        leftovers.push(...survivors);
        killed = { name, survivors };
        days.push({ day: today, what: `CLI SIGKILLed mid-ingest (${survivors.length} processes left running)`, name });

        // It was killed mid-run: planned and landing bronze, never finished, never committed.
        const runs = join(dir, 'store', 'runs', name);
        expect(existsSync(join(runs, 'manifest.json'))).toBe(true);
        expect(existsSync(join(runs, 'execution.json'))).toBe(false);
        expect(existsSync(join(runs, 'committed.json'))).toBe(false);
        expect(watermarkBytes(dir).equals(before.watermarks)).toBe(true);
        // What it left: the warehouse server it started (its processes), nothing else.
        expect(survivors.length).toBeGreaterThan(0);
        for (const p of survivors) expect(p.cmdline).toMatch(/postgres/);
        expect(postmasterOf(dir)?.pid).toBe(survivors.find((p) => p.cmdline.includes(dir))?.pid);
        // Nothing of that day was published.
        const audit = await withWarehouse(dir, (wh) =>
          wh.query('SELECT COUNT(*)::int AS n FROM analytics.load_audit WHERE _run_id LIKE $1', [`daily-${today}-%`]),
        );
        expect(audit).toEqual([{ n: 0 }]);
      },
      300_000 * P.timeScale,
    );

    it(
      `day ${P.killDay} again: a new runner completes the day beside what the killed one left`,
      async () => {
        const cli = cliRun(dir, sim, TOKEN);
        const exit = await cli.exited;
        const { stdout, stderr } = cli.output();
        expect([exit.code, stderr.includes('failed') ? stderr : '']).toEqual([0, '']);
        const m = new RegExp(`✔ (daily-${todayOf(sim)}-\\S+) SUCCEEDED`).exec(stdout);
        expect(m?.[1]).toBeDefined();
        expect(m?.[1]).not.toBe(killed.name);
        const wm = (await readWatermarks(localStore(dir))).value;
        expect([wm?.events?.throughDay, wm?.lastRun?.runId]).toEqual([todayOf(sim), m?.[1]]);
        days.push({ day: todayOf(sim), what: 'CLI started again', name: String(m?.[1]) });
        // The killed run's partial bronze stays where it landed and was not loaded.
        const loaded = await withWarehouse(dir, (wh) =>
          wh.query('SELECT DISTINCT _run_id FROM analytics.load_audit WHERE _run_id = $1', [killed.name]),
        );
        expect(loaded).toEqual([]);
      },
      600_000 * P.timeScale,
    );

    it(
      `day ${P.revokeDay}: a token revoked mid-run fails the run within seconds, naming the cause, moving nothing`,
      async () => {
        for (let d = P.killDay + 1; d < P.revokeDay; d++) {
          sim.advance(1);
          expect(succeeded(await day('ran'))).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
        }
        sim.advance(1);
        const today = todayOf(sim);
        const before = { watermarks: watermarkBytes(dir), warehouse: await withWarehouse(dir, dump) };
        const unauthorized = sim.getCounters().byStatus['401'] ?? 0;
        // The account's token is rotated after a few requests of the run: the runner's token is revoked.
        const revokedAt = sim.configureAfter(6, { token: ROTATED });
        const cli = cliRun(dir, sim, TOKEN);
        const exit = await cli.exited;
        const endedAt = Date.now();
        const { stdout } = cli.output();
        days.push({
          day: today,
          what: 'CLI, token revoked mid-run',
          name: /✘ (daily-\S+) FAILED/.exec(stdout)?.[1] ?? '',
        });
        expect(exit.code).toBe(1);
        expect(stdout).toMatch(new RegExp(`✘ daily-${today}-\\S+ FAILED`));
        expect(stdout).toMatch(
          /WistiaAuthError: GET \S+: 401 Invalid credentials\. \(check the Wistia API token and its permissions\)/,
        );
        // Fast: a 401 is never retried, by the client or the state machine: each refused request was asked once.
        const at = await revokedAt;
        expect(endedAt - at).toBeLessThan(20_000);
        const refused = sim.requestLog().filter((e) => e.atMs >= at && e.status === '401');
        expect(refused.length).toBe((sim.getCounters().byStatus['401'] ?? 0) - unauthorized);
        expect(refused.length).toBeGreaterThan(0);
        expect(refused.length).toBe(new Set(refused.map((e) => e.path)).size);
        // Mid-run: bronze had landed; nothing moved.
        const name = /✘ (daily-\S+) FAILED/.exec(stdout)?.[1] as string;
        expect(existsSync(join(dir, 'store', 'bronze', 'events', `ingest_date=${today}`, `run=${name}`))).toBe(true);
        expect(watermarkBytes(dir).equals(before.watermarks)).toBe(true);
        expect(await withWarehouse(dir, dump)).toEqual(before.warehouse);
      },
      300_000 * P.timeScale,
    );

    it(
      `day ${P.revokeDay} again with the new token completes`,
      async () => {
        const r = await day('re-run with the rotated token', ROTATED);
        expect(succeeded(r)).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
      },
      300_000 * P.timeScale,
    );

    it(
      `day ${P.publishFailDay}: the warehouse failing in the middle of the publish rolls the whole load back`,
      async () => {
        for (let d = P.revokeDay + 1; d <= P.publishFailDay; d++) {
          sim.advance(1);
          if (d < P.publishFailDay)
            expect(succeeded(await day('ran', ROTATED))).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
        }
        const before = { watermarks: watermarkBytes(dir), warehouse: await withWarehouse(dir, dump) };
        // The publish writes dim_date, dim_media, dim_visitor and fct_viewing_event, then fails at its audit row.
        await withWarehouse(dir, async (wh) => {
          await wh.query(
            `CREATE OR REPLACE FUNCTION public.reliability_fail_publish() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.table_name = 'fct_viewing_event' THEN
             RAISE EXCEPTION 'injected: the warehouse failed in the middle of the publish';
           END IF;
           RETURN NEW;
         END $$`,
          );
          await wh.query(
            'CREATE TRIGGER reliability_fail_publish BEFORE INSERT ON analytics.load_audit FOR EACH ROW EXECUTE FUNCTION public.reliability_fail_publish()',
          );
        });
        const failed = await day('the warehouse failed mid-publish: FAILED', ROTATED);
        await withWarehouse(dir, async (wh) => {
          await wh.query('DROP TRIGGER reliability_fail_publish ON analytics.load_audit');
          await wh.query('DROP FUNCTION public.reliability_fail_publish()');
        });
        expect([failed.record.status, failed.transform?.status]).toEqual(['FAILED', 'FAILED']);
        expect(failed.transform?.message).toContain('injected: the warehouse failed in the middle of the publish');
        expect(failed.record.cause).toContain('injected: the warehouse failed in the middle of the publish');
        expect(watermarkBytes(dir).equals(before.watermarks)).toBe(true);
        expect(await withWarehouse(dir, dump)).toEqual(before.warehouse);

        const again = await day('re-run', ROTATED);
        expect(succeeded(again)).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
        // the rolled-back load had rows to write into the tables before the failure
        const l = again.transform?.loaded ?? {};
        for (const t of ['dim_media', 'dim_visitor', 'fct_viewing_event'])
          expect([t, (l[t]?.inserted ?? 0) + (l[t]?.updated ?? 0)]).not.toEqual([t, 0]);
      },
      600_000 * P.timeScale,
    );

    it(
      `day ${P.publishFailDay + 1}${P.days > P.publishFailDay + 1 ? `-${P.days}` : ''} run`,
      async () => {
        for (let d = P.publishFailDay + 1; d <= P.days; d++) {
          sim.advance(1);
          expect(succeeded(await day('ran', ROTATED))).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
        }
        expect(todayOf(sim)).toBe(days.at(-1)?.day);
      },
      1_800_000 * P.timeScale,
    );

    it(
      'ends equal to a fault-free run of the same account: every table, every usable event once, the bad records quarantined alike',
      async () => {
        expect(await reference).toEqual(
          Array.from({ length: P.days }, (_, i) => ({
            day: addDays(FIRST_DAY, i),
            status: ['SUCCEEDED', undefined, 'SUCCEEDED'],
          })),
        );

        const faulty = await withWarehouse(dir, checksums);
        const clean = await withWarehouse(dirs.reference, checksums);
        for (const [t, c] of Object.entries(clean)) expect([t, c.rows > 0]).toEqual([t, true]);
        expect(faulty).toEqual(clean);

        const truth = truthEvents(sim);
        expect(new Set(truth).size).toBe(truth.length);
        // what the bad records must have become: an event whose defect makes it unusable is quarantined, every other
        // one is loaded once (a coerced one with its value)
        const unusable = new Set(truth.filter((k) => defectOf(MISBEHAVE, 'events', k)?.outcome === 'quarantined'));
        const usable = truth.filter((k) => !unusable.has(k));
        expect(unusable.size).toBeGreaterThan(0);
        const rules = new Set(Object.values(DEFECTS).flatMap((ds) => ds.flatMap((d) => (d.rule ? [d.rule] : []))));
        const quarantine = (d: string) =>
          withWarehouse(d, (wh) =>
            wh.query<{ entity: string; natural_key: string | null; reason: string }>(
              'SELECT DISTINCT entity, natural_key, reason FROM analytics.quarantine ORDER BY 1, 2, 3',
            ),
          );
        const q = await quarantine(dir);
        await withWarehouse(dir, async (wh) => {
          const loaded = await wh.query<{ event_key: string }>('SELECT event_key FROM analytics.fct_viewing_event');
          expect(loaded.length).toBe(usable.length); // no duplicate
          expect(new Set(loaded.map((x) => x.event_key))).toEqual(new Set(usable)); // none lost
          // faults never land as bad records: only the served defects are quarantined, each for its own reason
          for (const r of q)
            expect([r.entity, [...rules].some((rule) => ruleOf(r.reason) === rule)]).toEqual([r.entity, true]);
          const events = q.filter((r) => r.entity === 'events' && r.natural_key !== null).map((r) => r.natural_key);
          expect(new Set(events)).toEqual(
            new Set([...unusable].filter((k) => defectOf(MISBEHAVE, 'events', k)?.field !== 'event_key')),
          );
          // every run's accounting holds per entity: served = loaded + quarantined + deduplicated + skipped
          const audit = await wh.query<Record<string, number | string>>(
            'SELECT _run_id, entity, served::int, loaded::int, quarantined::int, deduplicated::int, skipped::int FROM analytics.record_audit',
          );
          const loads = await wh.query<{ r: string }>('SELECT DISTINCT _run_id AS r FROM analytics.load_audit');
          // eight entities for each load published: medias, events, media_stats, media_engagement, visitors, projects,
          // account_stats, media_lifetime
          expect(audit.length).toBe(8 * loads.length);
          for (const a of audit)
            expect([
              a._run_id,
              a.entity,
              Number(a.loaded) + Number(a.quarantined) + Number(a.deduplicated) + Number(a.skipped),
            ]).toEqual([a._run_id, a.entity, Number(a.served)]);
          const inTable = await wh.query<{ _run_id: string; entity: string; n: number }>(
            'SELECT _run_id, entity, COUNT(*)::int AS n FROM analytics.quarantine GROUP BY 1, 2',
          );
          for (const t of inTable)
            expect([t._run_id, t.entity, t.n]).toEqual([
              t._run_id,
              t.entity,
              audit.find((a) => a._run_id === t._run_id && a.entity === t.entity)?.quarantined,
            ]);
        });
        expect(q).toEqual(await quarantine(dirs.reference));
        expect(Object.keys(sim.misbehaviour().events ?? {}).length).toBeGreaterThan(1); // every kind: bad-records.test.ts
        const drift = (d: string) =>
          withWarehouse(d, (wh) =>
            wh.query('SELECT DISTINCT entity, field, kind FROM analytics.schema_drift ORDER BY 1, 2, 3'),
          );
        expect(await drift(dir)).toEqual(await drift(dirs.reference));

        // Figures for the closing note: faults by kind, retries, the final checksums.
        const c = sim.getCounters();
        for (const k of FAULT_KINDS) expect([k, (c.faults[k] ?? 0) > 0]).toEqual([k, true]);
        // retries, from each execution's history (the killed one left a partial one, ABORTED, without figures)
        expect(readdirSync(join(dir, 'store', 'runs')).sort()).toEqual(days.map((d) => d.name).sort());
        let clientRetries = 0;
        let stateRetries = 0;
        const lines: string[] = [];
        for (const d of days) {
          type History = {
            execution: { status: string; error?: string; requests?: number; retries?: number };
            events: { type: string }[];
          };
          const h: History | undefined = await readHistory(localStore(dir), d.name); // the killed one: ABORTED
          const state =
            h?.events.filter((e) => e.type === 'StateRetried' || e.type === 'ChildStateRetried').length ?? 0;
          clientRetries += h?.execution.retries ?? 0;
          stateRetries += state;
          // the killed run's history ends where it was killed: no requests or retries figures (it never finished)
          const figures =
            h?.execution.requests === undefined
              ? 'no request figures (killed)'
              : `${String(h.execution.requests).padStart(5)} requests ${String(h.execution.retries ?? 0).padStart(4)} client retries`;
          lines.push(
            `  ${d.day}  ${d.what.padEnd(44)} ${h ? `${h.execution.status.padEnd(9)} ${figures} ${state} state retries${h.execution.error ? `  ${h.execution.error}` : ''}` : 'no execution record (killed)'}`,
          );
        }
        expect(clientRetries).toBeGreaterThan(0);
        console.log(
          [
            `reliability (${P.name} profile): ${P.medias} medias, ${P.days} days, ${days.length} executions`,
            ...lines,
            `  requests ${c.total}; statuses ${JSON.stringify(c.byStatus)}`,
            `  faults injected by kind ${JSON.stringify(c.faults)} (total ${Object.values(c.faults).reduce((a, b) => a + b, 0)})`,
            `  retries: ${clientRetries} by the client, ${stateRetries} by the state machine (from the execution histories)`,
            '  final checksums (rows, md5 of the business columns), equal to the fault-free run:',
            ...Object.entries(faulty).map(([t, x]) => `    ${t.padEnd(24)} ${String(x.rows).padStart(7)}  ${x.md5}`),
          ].join('\n'),
        );
      },
      1_800_000 * P.timeScale,
    );
  });
}
