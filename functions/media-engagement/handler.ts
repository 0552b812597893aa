// One media: its stats by day over the run's range (loads, plays, hours watched per day: history that does
// not depend on when it was fetched), its engagement curve and its lifetime stats (/stats/medias/{id}: totals as
// of now, the day's snapshot, issue 17), each landed as one bronze object.
import type { Deps } from '../shared/pipeline/deps.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
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
  try {
    const stats = await client.getMediaByDate(id, range.start, range.end);
    await writeBronze(deps.store, {
      entity: 'media_stats',
      runId,
      ingestDate,
      scopeKey,
      scope: { media: id, range },
      page: 1,
      request: stats.request,
      drift: stats.drift,
      findings: stats.findings,
      records: stats.body,
    });
    const eng = await client.getMediaEngagement(id);
    await writeBronze(deps.store, {
      entity: 'media_engagement',
      runId,
      ingestDate,
      scopeKey,
      scope: { media: id },
      page: 1,
      request: eng.request,
      drift: eng.drift,
      findings: eng.findings,
      records: [eng.body],
    });
    const lifetime = await client.getMediaStats(id);
    await writeBronze(deps.store, {
      entity: 'media_lifetime',
      runId,
      ingestDate,
      scopeKey,
      scope: { media: id },
      page: 1,
      request: lifetime.request,
      drift: lifetime.drift,
      findings: lifetime.findings,
      records: [lifetime.body],
    });
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
