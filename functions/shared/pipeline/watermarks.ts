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
