// Both API versions through the same end-to-end run (issue 17): one simulated account, ingested once through the v1
// API and once through the dated API (WISTIA_API_VERSION=2026-03: /modern paths, X-Wistia-Api-Version, `folder`
// for `project`, snake_case asset keys), each into its own data dir, transformed by the same job on one Spark
// worker: the two warehouses hold the same rows, table by table, and the dated run's bronze keeps its bodies as
// served, with the version in each request.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransformWorker } from '#local/transform.ts';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { localStore } from '#local/runner/run.ts';
import { getJson } from '#shared/store/store.ts';
import { bronzeRecords, tempDir } from './helpers/pipeline.ts';
import { checksums, historyStart, runDay, type DayRun } from './helpers/reliability.ts';
import { sim, TOKEN } from './helpers/sim.ts';

let s: WistiaSimulator;
let worker: TransformWorker;
const dirs = { v1: tempDir('wp-v1-'), dated: tempDir('wp-dated-') };
const runs: Partial<Record<keyof typeof dirs, DayRun>> = {};
const warehouses: LocalWarehouse[] = [];

beforeAll(async () => {
  s = await sim({ seed: 11, medias: 40, historyDays: 20, eventsPerMediaPerDay: 0.6 });
  worker = new TransformWorker();
  for (const [version, dir] of [
    ['v1', dirs.v1],
    ['2026-03', dirs.dated],
  ] as const) {
    warehouses.push(await new LocalWarehouse(dir).start());
    runs[version === 'v1' ? 'v1' : 'dated'] = await runDay({
      dataDir: dir,
      sim: s,
      token: TOKEN,
      worker,
      apiVersion: version,
    });
  }
});

afterAll(async () => {
  await worker?.close();
  for (const w of warehouses) await w.stop();
  await s?.close();
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
});

describe('v1 and the dated API, end to end', () => {
  it('both runs succeed with the same requests, the dated one all on /modern with its version header', () => {
    expect(runs.v1?.record.status).toBe('SUCCEEDED');
    expect(runs.dated?.record.status).toBe('SUCCEEDED');
    const c = s.getCounters();
    expect(Object.keys(c.byApiVersion).sort()).toEqual(['2026-03', 'v1']);
    expect(c.byApiVersion['2026-03']).toBe(c.byApiVersion.v1);
    expect(historyStart(s)).toBe('2026-10-31');
  });

  it('land the same warehouse, table by table (rows and the checksum of every business column)', async () => {
    const [a, b] = warehouses as [LocalWarehouse, LocalWarehouse];
    const v1 = await checksums(a);
    expect(v1.dim_media?.rows).toBe(40);
    expect(v1.fct_viewing_event?.rows).toBeGreaterThan(100);
    expect(await checksums(b)).toEqual(v1);
    const [withProject] = await b.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM analytics.dim_media WHERE project_id IS NOT NULL AND project_hashed_id IS NOT NULL',
    );
    expect(withProject?.n).toBe(40);
    // the projects: v1's /projects (camelCase) and the dated API's /folders (snake_case) give the same dimension
    const projects = (w: LocalWarehouse) =>
      w.query(
        'SELECT project_id, hashed_id, name, description, created_at, updated_at, media_count, is_public, is_inferred FROM analytics.dim_project ORDER BY project_id',
      );
    const fromV1 = await projects(a);
    expect(fromV1.length).toBeGreaterThan(1);
    expect(fromV1.every((r) => r.hashed_id !== null && r.media_count !== null && r.is_inferred === false)).toBe(true);
    expect(await projects(b)).toEqual(fromV1);
  });

  it("the dated run's bronze keeps the bodies as served (folder, snake_case assets) and the version of each request", async () => {
    const store = localStore(dirs.dated);
    const medias = await bronzeRecords(store, 'medias');
    expect(medias).toHaveLength(40);
    expect(medias.every((m) => 'folder' in m && !('project' in m))).toBe(true);
    const v1Medias = await bronzeRecords(localStore(dirs.v1), 'medias');
    expect(v1Medias.every((m) => 'project' in m && !('folder' in m))).toBe(true);
    const keys: string[] = [];
    for await (const o of store.list('bronze/')) keys.push(o.key);
    expect(keys.length).toBeGreaterThan(10);
    const versions = new Set<string>();
    for (const k of keys) {
      const o = (await getJson<{ request: { apiVersion: string; url: string } }>(store, k))?.value;
      versions.add(String(o?.request.apiVersion));
      expect(o?.request.url).toContain('/modern/');
    }
    expect([...versions]).toEqual(['2026-03']);
  });
});
