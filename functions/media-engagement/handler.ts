// One media: its stats by day over the run's range (loads, plays, hours watched per day: history that does
// not depend on when it was fetched), its engagement curve and its lifetime stats (/stats/medias/{id}: totals as
// of now, the day's snapshot, issue 17), each landed as one bronze object.
import type { Deps } from '../shared/pipeline/deps.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import type { Entity } from '../shared/pipeline/keys.ts';
import type { Fetched } from '../shared/wistia/client.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import {
  MediaEngagementInputSchema,
  MediaEngagementOutputSchema,
  type MediaEngagementInput,
  type MediaEngagementOutput,
} from '../shared/pipeline/payloads.ts';
import { WistiaNotFoundError } from '../shared/wistia/errors.ts';
import { logger } from '../shared/powertools.ts';

export async function fetchMediaEngagement(e: MediaEngagementInput, deps: Deps): Promise<MediaEngagementOutput> {
  const { runId, ingestDate } = e;
  const id = e.media.hashed_id;
  const range = { start: e.range.start, end: e.range.end };
  const client = deps.wistia(e.requestsPerMinute);
  const scopeKey = `media=${id}`;
  // one bronze object per response, its records as served (a single-object body is its one record)
  const land = (entity: Entity, f: Fetched<unknown>, scope: Record<string, unknown>, records: unknown[]) =>
    writeBronze(deps.store, {
      entity,
      runId,
      ingestDate,
      scopeKey,
      scope,
      page: 1,
      request: f.request,
      drift: f.drift,
      findings: f.findings,
      records,
    });
  try {
    const stats = await client.getMediaByDate(id, range.start, range.end);
    await land('media_stats', stats, { media: id, range }, stats.body);
    const eng = await client.getMediaEngagement(id);
    await land('media_engagement', eng, { media: id }, [eng.body]);
    const lifetime = await client.getMediaStats(id);
    await land('media_lifetime', lifetime, { media: id }, [lifetime.body]);
  } catch (err) {
    // Deleted between the listing and now: nothing to land, not a failure.
    if (err instanceof WistiaNotFoundError) {
      logger.warn('media not found; skipped', { hashed_id: id });
      return { hashed_id: id, status: 'not_found', requests: client.metrics.requests };
    }
    throw err;
  }
  return { hashed_id: id, status: 'fetched', requests: client.metrics.requests };
}

export const makeHandler = (deps: Deps) =>
  wrap({ input: MediaEngagementInputSchema, output: MediaEngagementOutputSchema }, (event) =>
    fetchMediaEngagement(event, deps),
  );
