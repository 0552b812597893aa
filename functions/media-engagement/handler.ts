// One media: its stats by day over the run's range (loads, plays, hours watched per day: history that does
// not depend on when it was fetched) and its engagement curve, each landed as one bronze object.
import type { Deps } from '../shared/pipeline/deps.ts';
import { asObject, date, int, InvalidInputError, RUN_ID, str } from '../shared/pipeline/input.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { WistiaNotFoundError } from '../shared/wistia/errors.ts';
import { logger } from '../shared/powertools.ts';

export interface MediaEngagementOutput {
  readonly hashed_id: string;
  readonly status: 'fetched' | 'not_found';
  readonly requests: number;
}

const HASHED_ID = /^[A-Za-z0-9]{1,40}$/;

export async function fetchMediaEngagement(event: unknown, deps: Deps): Promise<MediaEngagementOutput> {
  const e = asObject(event);
  const runId = str(e, 'runId', { pattern: RUN_ID });
  const ingestDate = date(e, 'ingestDate');
  const id = str(asObject(e.media, 'media'), 'hashed_id', { pattern: HASHED_ID });
  const r = asObject(e.range, 'range');
  const range = { start: date(r, 'start'), end: date(r, 'end') };
  if (range.start > range.end) throw new InvalidInputError(`range: start ${range.start} is after end ${range.end}`);
  const client = deps.wistia(int(e, 'requestsPerMinute', { min: 1 }));
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

export const makeHandler = (deps: Deps) => wrap((event) => fetchMediaEngagement(event, deps));
