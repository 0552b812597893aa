// The plan's reads and writes: the lease, the media listing (each page landed as bronze as it comes), the replayed
// execution's record, and the plan's items and manifest.
import type { Deps } from '../shared/pipeline/deps.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { runKey } from '../shared/pipeline/keys.ts';
import { acquireLease, type LeaseHolder, type LeaseRef } from '../shared/pipeline/lease.ts';
import type { ChangedMedia, PlanOutput } from '../shared/pipeline/payloads.ts';
import {
  addMediaPage,
  checkReplayable,
  startMediaScan,
  windowKey,
  type MediaBounds,
  type MediaScan,
  type PlanManifest,
} from '../shared/pipeline/planning/plan.ts';
import { committedKey, latestMapResults, requireJson, succeededKeys } from '../shared/pipeline/replay.ts';
import { readWatermarks } from '../shared/pipeline/watermarks.ts';
import type { Window } from '../shared/pipeline/windows.ts';
import { logger } from '../shared/powertools.ts';
import { getJson, putJson, type ObjectStore } from '../shared/store/store.ts';
import type { WistiaClient } from '../shared/wistia/client.ts';

export async function takeLease(deps: Deps, holder: LeaseHolder): Promise<LeaseRef> {
  const lease = await acquireLease(deps, holder);
  if (lease.takenOverFrom)
    logger.info('took the run lease over', {
      runId: holder.executionName,
      from: lease.takenOverFrom.executionArn,
      status: lease.takenOverFrom.status,
    });
  return lease;
}

/** Medias, newest update first, each page landed; stops once a page ends before the watermark minus the overlap. */
export async function listChangedMedias(
  store: ObjectStore,
  client: WistiaClient,
  at: { readonly runId: string; readonly today: string; readonly bounds: MediaBounds },
): Promise<MediaScan> {
  let scan = startMediaScan(at.bounds);
  for await (const page of client.listMediasPages({ sort_by: 'updated', sort_direction: 0 })) {
    await writeBronze(store, {
      entity: 'medias',
      runId: at.runId,
      ingestDate: at.today,
      scopeKey: 'all',
      scope: { sortBy: 'updated', since: at.bounds.since },
      page: page.page,
      request: page.request,
      drift: page.drift,
      findings: page.findings,
      records: page.body,
    });
    scan = addMediaPage(scan, page.body, at.bounds);
    if (scan.pastWatermark) break;
  }
  return scan;
}

/** What a replay's plan needs: the original's manifest, whether it committed, the watermarks, its done windows. */
export async function loadReplay(store: ObjectStore, of: string) {
  const original = await requireJson<PlanManifest>(
    store,
    runKey(of, 'manifest.json'),
    `the plan of execution "${of}" (it failed before planning, or is not in this store: start a normal run)`,
  );
  checkReplayable(of, original);
  const committed = (await getJson(store, committedKey(of))) !== undefined;
  const watermarks = await readWatermarks(store);
  checkReplayable(of, original, { committed, watermarks });
  const succeeded = succeededKeys(await latestMapResults(store, original.resultPrefixes.events), (input) => {
    const w = (input as { window?: Window } | undefined)?.window;
    return w ? windowKey(w) : undefined;
  });
  return { original, committed, watermarksEtag: watermarks.etag, succeeded };
}

/** Writes the plan's items (its windows, the changed medias) and its manifest; returns the plan. */
export async function savePlan(
  store: ObjectStore,
  planned: { readonly output: PlanOutput; readonly manifest: PlanManifest },
  changed: readonly ChangedMedia[] | undefined,
  log: Record<string, unknown>,
): Promise<PlanOutput> {
  const { output, manifest } = planned;
  await putJson(store, output.windows.key, manifest.windows.items);
  if (changed) await putJson(store, output.medias.changedKey, changed);
  await putJson(store, runKey(output.runId, 'manifest.json'), manifest);
  logger.info(output.replay ? 'planned a replay' : 'planned run', { ...log, windows: output.windows.count });
  return output;
}
