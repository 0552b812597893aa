// Transform + load benchmark: lands a simulated account's bronze directly from the simulator's world (no HTTP,
// the same object layout a run writes), then times the Glue job entry (Spark) and the PostgreSQL load.
// Usage: tsx local/bench/transform.ts [events…]   (default: 10000 100000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World } from '../simulator/world.ts';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { bronzeKey } from '#shared/pipeline/keys.ts';
import { localGlue, TransformWorker, type TransformReport } from '../transform.ts';
import { LocalWarehouse } from '../warehouse/postgres.ts';

const RUN = 'bench-run';
const TODAY = '2026-11-20';

async function land(world: World, store: FileObjectStore): Promise<{ events: number; objects: number }> {
  let objects = 0;
  const put = async (
    entity: Parameters<typeof bronzeKey>[0],
    scopeKey: string,
    scope: object,
    page: number,
    records: unknown[],
  ) => {
    const request = {
      endpoint: 'bench',
      url: 'bench',
      params: {},
      status: 200,
      attempts: 1,
      fetchedAt: `${TODAY}T06:00:00.000Z`,
      durationMs: 0,
    };
    await store.put(
      bronzeKey(entity, TODAY, RUN, scopeKey, page),
      JSON.stringify({
        entity,
        runId: RUN,
        ingestDate: TODAY,
        scope,
        request,
        page,
        fetchedAt: request.fetchedAt,
        count: records.length,
        drift: [],
        records,
      }),
    );
    objects++;
  };
  const medias = world.visibleMedias();
  for (let i = 0; i < medias.length; i += 100)
    await put(
      'medias',
      'all',
      {},
      i / 100 + 1,
      medias.slice(i, i + 100).map((m) => world.renderMedia(m)),
    );
  const n = world.visibleEvents();
  for (let e = n - 1, page = 1; e >= 0; e -= 100, page++) {
    const recs = [];
    for (let k = e; k > e - 100 && k >= 0; k--) recs.push(world.renderEvent(k));
    await put('events', 'window=all', {}, page, recs);
  }
  const v = world.visibleVisitors();
  for (let i = 0, page = 1; i < v; i += 100, page++) {
    const recs = [];
    for (let k = i; k < Math.min(v, i + 100); k++) recs.push(world.renderVisitor(k));
    await put('visitors', 'scan', { scan: true }, page, recs);
  }
  const start = world.today - (world.opts.historyDays ?? 365);
  for (const m of medias) {
    await put('media_stats', `media=${m.hashedId}`, { media: m.hashedId }, 1, world.mediaByDate(m, start, world.today));
    await put('media_engagement', `media=${m.hashedId}`, { media: m.hashedId }, 1, [world.mediaEngagement(m)]);
  }
  return { events: n, objects };
}

async function main(): Promise<void> {
  const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['10000', '100000']).map(Number);
  const rows: string[] = [];
  for (const target of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'wistia-bench-'));
    const medias = Math.max(50, Math.round(target / 92));
    const world = new World({ seed: 5, medias, today: TODAY, historyDays: 365, eventsPerMediaPerDay: 0.55 });
    const store = new FileObjectStore(join(dir, 'store'), 'local');
    const landed = await land(world, store);
    const wh = await new LocalWarehouse(dir).start();
    const worker = new TransformWorker();
    let report: TransformReport | undefined;
    try {
      const glue = localGlue({ warehouse: wh, worker, onReport: (r) => (report = r) });
      const t1 = Date.now();
      const run = await glue({ '--run_id': RUN, '--ingest_date': TODAY, '--bucket': 'local' }, { store, dataDir: dir });
      const wall = (Date.now() - t1) / 1000;
      const t = report?.timings ?? {};
      const spark = (t.read_validate ?? 0) + (t.quality_gate ?? 0) + (t.transform ?? 0);
      const line = `${String(landed.events).padStart(9)} events  ${String(medias).padStart(6)} medias  ${String(landed.objects).padStart(7)} objects  ${run.JobRunState}  job ${wall.toFixed(1)} s (spark ${spark.toFixed(1)} s, load ${(t.load ?? 0).toFixed(1)} s)  ${(landed.events / wall).toFixed(0)} events/s`;
      rows.push(line);
      process.stdout.write(`${line}\n`);
      if (run.JobRunState !== 'SUCCEEDED') process.stdout.write(`  ${report?.error}: ${report?.message}\n`);
    } finally {
      await worker.close();
      await wh.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
