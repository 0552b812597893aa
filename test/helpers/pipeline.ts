// Local runs of the state machine against the simulator, and the truths to check them against.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { eventsIn as worldEventsIn, minimumRequests } from '#local/bench/minimum.ts';
import {
  localStore,
  runPipeline,
  skipTransform,
  type ExecutionRecord,
  type LocalRunOptions,
} from '#local/runner/run.ts';
import { getJson, type ObjectStore } from '#shared/store/store.ts';
import type { Window } from '#shared/pipeline/windows.ts';
import { TOKEN } from './sim.ts';

export const tempDir = (p = 'wp-run-') => mkdtempSync(join(tmpdir(), p));

/** Test timings: a generous budget, fast retries (the definition's intervals scaled down). */
export function run(
  sim: WistiaSimulator,
  dataDir: string,
  extra: Partial<LocalRunOptions> = {},
): Promise<ExecutionRecord> {
  const today = String((sim.state() as { today: string }).today);
  return runPipeline({
    dataDir,
    apiBaseUrl: sim.baseUrl,
    token: async () => TOKEN,
    input: { today },
    config: { accountRequestsPerMinute: 60_000 },
    retryDelayScale: 0.001,
    clientOptions: { backoffBaseMs: 5, backoffMaxMs: 20, timeoutMs: 2000, maxRetryTimeMs: 10_000 },
    glue: skipTransform, // ingestion only, unless a test gives its transform
    ...extra,
  });
}

export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

/** Every record of every bronze object of an entity (optionally one run's). */
export async function bronzeRecords(
  store: ObjectStore,
  entity: string,
  runId?: string,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const key of await listKeys(store, `bronze/${entity}/`)) {
    if (runId && !key.includes(`/run=${runId}/`)) continue;
    const o = await getJson<{ records: Record<string, unknown>[]; scope: Record<string, unknown> }>(store, key);
    for (const r of o?.value.records ?? []) out.push({ ...r, __scope: o?.value.scope });
  }
  return out;
}

/** Events the simulator holds in a window, visible now. */
export function eventsIn(sim: WistiaSimulator, w: Window): number {
  return worldEventsIn(sim.world, w);
}

/** The fewest requests a clean (first) run of the account can make, by the design's own accounting. */
export async function minimumFirstRun(
  sim: WistiaSimulator,
  store: ObjectStore,
  runId: string,
): Promise<{ total: number; parts: Record<string, number> }> {
  const windows = (await getJson<Window[]>(store, `runs/${runId}/items/windows.json`))?.value ?? [];
  return minimumRequests(sim.world, windows); // one definition, shared with `npm run bench`
}

export { localStore };
