// Watermarks: how far the last *successful* run got. Read at plan time (with the ETag), written only by the
// commit step with If-Match on that ETag, so a failed run moves nothing and two runs cannot both advance.
import { getJson, putJson, type ObjectStore } from '../store/store.ts';
import { WATERMARKS_KEY } from './keys.ts';

export interface Watermarks {
  readonly version: 1;
  readonly medias?: {
    /** Largest `updated` seen on a media. */
    readonly maxUpdated: string;
  };
  readonly projects?: {
    /** Largest `updated` seen on a project (folder). */
    readonly maxUpdated: string;
  };
  readonly events?: {
    /** Last day whose window was fetched (the day of the run). The next run starts the day before. */
    readonly throughDay: string;
    /** Newest received_at landed: activity after it is "new" (engagement, visitors). */
    readonly maxReceivedAt: string | null;
  };
  readonly visitors?: {
    /** Visitors the account held at the last full scan, or the best lower bound known (chooses scan vs lookups). */
    readonly estimatedTotal: number;
  };
  /** Items that failed within tolerance: the next run fetches them again. */
  readonly carryOver?: {
    readonly medias: string[];
    readonly visitors: string[];
  };
  readonly lastRun?: { readonly runId: string; readonly committedAt: string; readonly ingestDate: string };
}

/** Where a listing by `updated`, newest first, stops: a watermark minus an overlap (offset paging under concurrent
 * updates), and the watermark itself (only what was updated after it counts as changed). None: list everything. */
export function overlapBounds(
  watermark: string | null,
  overlapMinutes: number,
): { readonly since: string | null; readonly watermark: string | null } {
  return {
    since: watermark === null ? null : new Date(Date.parse(watermark) - overlapMinutes * 60_000).toISOString(),
    watermark,
  };
}

export async function readWatermarks(
  store: ObjectStore,
): Promise<{ value: Watermarks | undefined; etag: string | null }> {
  const r = await getJson<Watermarks>(store, WATERMARKS_KEY);
  return r ? { value: r.value, etag: r.etag } : { value: undefined, etag: null };
}

/** Writes the watermarks if nobody wrote them since `etag` was read (null: if they still do not exist). */
export async function commitWatermarks(
  store: ObjectStore,
  value: Watermarks,
  etag: string | null,
): Promise<{ etag: string }> {
  return putJson(store, WATERMARKS_KEY, value, etag === null ? { ifNoneMatch: '*' } : { ifMatch: etag });
}
