// Replay of failed map items (`wistia-pipeline replay`): a media that fails permanently and later heals.
// Within tolerance the run succeeds and carries the media over; beyond it the run fails and commits nothing.
// Either way, replaying the execution against the healed API fetches only the failed items, then transforms,
// loads and commits, and the warehouse ends exactly as in a run where nothing failed.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStore, runPipeline, type ExecutionRecord } from '#local/runner/run.ts';
import { localGlue, TransformWorker } from '#local/transform.ts';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
import type { BodyRewrite, WistiaSimulator } from '#local/simulator/server.ts';
import { readWatermarks, type Watermarks } from '#shared/pipeline/watermarks.ts';
import { LEASE_KEY } from '#shared/pipeline/keys.ts';
import { getJson } from '#shared/store/store.ts';
import { readHistory } from '#local/ops/history.ts';
import { replayLocal, unfinishedItems } from '#local/cli/replay.ts';
import { main } from '#local/cli/main.ts';
import { tempDir } from './helpers/pipeline.ts';
import { STAR, starSnapshot } from './helpers/star.ts';
import { pick } from './helpers/bad-input.ts';
import { sim as startSim, TOKEN } from './helpers/sim.ts';

const ACCOUNT = { seed: 11, medias: 30, historyDays: 30, eventsPerMediaPerDay: 0.5 };
const FAST = {
  retryDelayScale: 0.001,
  clientOptions: { backoffBaseMs: 2, backoffMaxMs: 5, maxAttempts: 2, timeoutMs: 5000 },
};

const worker = new TransformWorker();
const dirs: string[] = [];
const sims: WistiaSimulator[] = [];

async function day(sim: WistiaSimulator, dataDir: string): Promise<ExecutionRecord> {
  const warehouse = await new LocalWarehouse(dataDir).start();
  try {
    return await runPipeline({
      dataDir,
      apiBaseUrl: sim.baseUrl,
      token: async () => TOKEN,
      input: { today: String((sim.state() as { today: string }).today) },
      config: { accountRequestsPerMinute: 60_000 },
      glue: localGlue({ warehouse, worker, quarantineThreshold: THRESHOLD }),
      ...FAST,
    });
  } finally {
    await warehouse.stop();
  }
}

async function account(failing: number): Promise<{ sim: WistiaSimulator; dir: string; victims: string[] }> {
  const sim = await startSim(ACCOUNT);
  sims.push(sim);
  const dir = tempDir('wp-replay-');
  dirs.push(dir);
  const victims = sim.world
    .visibleMedias()
    .slice(0, failing)
    .map((m) => m.hashedId);
  // Some events are out of range in every account (quarantined): a replay reads the bronze of the run it replays,
  // so it meets those records again and must not load their quarantine rows twice.
  sim.configure({ failMedias: Object.fromEntries(victims.map((v) => [v, 500])), rewrite: outOfRange });
  return { sim, dir, victims };
}

/** A tenth of the events is out of range on purpose: above the default 5 % share the quality gate allows. */
const THRESHOLD = 0.25;
const outOfRange: BodyRewrite = (req, body) => {
  if (req.route !== '/stats/events') return body;
  for (const e of body as Record<string, unknown>[]) if (pick(String(e.event_key), 10) === 0) e.percent_viewed = 1.5;
  return body;
};

/** The quarantine as both warehouses' analysts see it (its bronze keys name runs, which differ by design). */
async function quarantine(dir: string): Promise<unknown[]> {
  const wh = await new LocalWarehouse(dir).start();
  try {
    return await wh.query(
      'SELECT entity, natural_key, reason, COUNT(*)::int AS n FROM analytics.quarantine GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
    );
  } finally {
    await wh.stop();
  }
}

const stable = (w: Watermarks | undefined) => (w ? { ...w, lastRun: undefined } : w);

let clean: {
  dir: string;
  record: ExecutionRecord;
  snap: Record<string, unknown[]>;
  quarantine: unknown[];
  wm: Watermarks | undefined;
};

beforeAll(async () => {
  const { sim, dir } = await account(0);
  const record = await day(sim, dir);
  clean = {
    dir,
    record,
    snap: await starSnapshot(dir),
    quarantine: await quarantine(dir),
    wm: (await readWatermarks(localStore(dir))).value,
  };
}, 900_000);

afterAll(async () => {
  await worker.close();
  for (const s of sims) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('replay of failed map items', () => {
  it('the fault-free run is the reference: it succeeded and loaded every table', () => {
    expect([clean.record.status, unfinishedItems(clean.record)]).toEqual(['SUCCEEDED', 0]);
    for (const t of Object.keys(STAR)) expect(clean.snap[t]?.length, t).toBeGreaterThan(0);
    expect(clean.quarantine.length).toBeGreaterThan(0); // the out-of-range events, once each
    expect(clean.quarantine.every((q) => (q as { n: number }).n === 1)).toBe(true);
  });

  it('within tolerance: the run succeeds and carries the media over; the replay fills it in and clears the carry-over', async () => {
    const { sim, dir, victims } = await account(1);
    const first = await day(sim, dir);
    expect([first.status, unfinishedItems(first)]).toEqual(['SUCCEEDED', 1]);
    const store = localStore(dir);
    expect((await readWatermarks(store)).value?.carryOver?.medias).toEqual(victims);
    const before = await starSnapshot(dir);
    // the failed media has no engagement curve and no daily engagement rows yet
    expect(before.media_engagement_curve?.length).toBe((clean.snap.media_engagement_curve?.length ?? 0) - 1);
    expect(before.fct_media_engagement?.length).toBeLessThan(clean.snap.fct_media_engagement?.length ?? 0);

    sim.configure({ failMedias: {} }); // the API heals
    sim.resetCounters();
    const r = await replayLocal({
      dataDir: dir,
      execution: first.name,
      worker, // the file's Spark worker: one JVM for every run and replay here
      apiBaseUrl: sim.baseUrl,
      token: async () => TOKEN,
      accountRequestsPerMinute: 60_000,
      quarantineThreshold: THRESHOLD,
      ...FAST,
    });
    expect([r.record.status, r.record.error, r.transform?.status]).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
    // only the failed item was fetched: its stats by date, its engagement and its lifetime stats, nothing else (no
    // account stats by date either: the replayed run fetched its range)
    expect(sim.getCounters().byRoute).toEqual({
      '/stats/medias/:id/by_date': 1,
      '/stats/medias/:id/engagement': 1,
      '/stats/medias/:id': 1,
    });
    // the events map had nothing to replay: it was not started at all (a zero-item map run is never started)
    expect(r.record.mapRuns.map((m) => [m.label, m.items, m.counts.succeeded])).toEqual([['MediaEngagement', 1, 1]]);
    const history = await readHistory(store, r.record.name);
    const entered = new Set(history?.events.filter((e) => e.type === 'StateEntered').map((e) => e.state));
    expect([entered.has('No event windows to fetch'), entered.has('Fetch event pages by window')]).toEqual([
      true,
      false,
    ]);
    expect(await store.get(LEASE_KEY)).toBeUndefined(); // the replay took the lease, and released it
    expect(await starSnapshot(dir)).toEqual(clean.snap);
    // the replay read the original's bronze again: its quarantined records are there once, not twice
    expect(await quarantine(dir)).toEqual(clean.quarantine);
    const wm = (await readWatermarks(store)).value;
    expect(wm?.carryOver).toEqual({ medias: [], visitors: [] });
    expect(stable(wm)).toEqual(stable(clean.wm));
  }, 900_000);

  it('beyond tolerance: the run fails and commits nothing; the replay finishes its day as if nothing had failed', async () => {
    const { sim, dir, victims } = await account(5);
    const first = await day(sim, dir);
    expect([first.status, first.error]).toEqual(['FAILED', 'States.ExceedToleratedFailureThreshold']);
    const store = localStore(dir);
    expect((await readWatermarks(store)).value).toBeUndefined();
    const failedItems = first.mapRuns.find((m) => m.label === 'MediaEngagement');
    expect(failedItems?.counts.failed).toBeGreaterThanOrEqual(2); // the threshold aborts the rest (pending)

    sim.configure({ failMedias: {} });
    sim.resetCounters();
    const r = await replayLocal({
      dataDir: dir,
      execution: first.name,
      worker, // the file's Spark worker: one JVM for every run and replay here
      apiBaseUrl: sim.baseUrl,
      token: async () => TOKEN,
      accountRequestsPerMinute: 60_000,
      quarantineThreshold: THRESHOLD,
      ...FAST,
    });
    expect([r.record.status, r.record.error]).toEqual(['SUCCEEDED', undefined]);
    // the failed run never released its lease: the replay took it over (its holder had FAILED), then released it
    const plan = (
      await getJson<{ lease: { takenOverFrom?: { executionArn: string; status: string } } }>(
        store,
        `runs/${r.record.name}/manifest.json`,
      )
    )?.value;
    expect(plan?.lease.takenOverFrom).toMatchObject({ executionArn: first.arn, status: 'FAILED' });
    expect(await store.get(LEASE_KEY)).toBeUndefined();
    const replayed = r.record.mapRuns.find((m) => m.label === 'MediaEngagement');
    // the original's failed and never-started items, no more: the medias that succeeded are not fetched again
    const unfinished = (failedItems?.items ?? 0) - (failedItems?.counts.succeeded ?? 0);
    expect([replayed?.items, replayed?.counts.succeeded]).toEqual([unfinished, unfinished]);
    expect(unfinished).toBeGreaterThanOrEqual(victims.length);
    expect(sim.getCounters().byRoute['/medias'] ?? 0).toBe(0);
    expect(sim.getCounters().byRoute['/stats/events'] ?? 0).toBe(0);
    expect(await starSnapshot(dir)).toEqual(clean.snap);
    expect(stable((await readWatermarks(store)).value)).toEqual(stable(clean.wm));

    // a second replay of the same execution is refused: it has been committed since
    const again = await replayLocal({
      dataDir: dir,
      execution: first.name,
      worker, // the file's Spark worker: one JVM for every run and replay here
      apiBaseUrl: sim.baseUrl,
      token: async () => TOKEN,
      quarantineThreshold: THRESHOLD,
      ...FAST,
    });
    expect(again.record.status).toBe('FAILED');
    expect(again.record.cause).toMatch(/a later run committed after/);
  }, 900_000);

  it('the CLI names an unknown execution and lists the latest ones (exit 2)', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['replay', 'no-such-run', '--data-dir', clean.dir])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(err.join('')).toContain('no execution "no-such-run"');
    expect(err.join('')).toContain(clean.record.name);
  });
});
