// What the events of a window showed: which medias had plays and which visitors were active, each with the
// newest received_at. Written by each events item to the store (it can be far larger than a state payload)
// and read by the engagement planner.
import { getJson, putJson, type ObjectStore } from '../store/store.ts';

export interface Seen {
  /** hashed_id -> [plays, newest received_at] */
  medias: Record<string, [number, string]>;
  /** visitor_key -> newest received_at */
  visitors: Record<string, string>;
  events: number;
  /** Records without a usable key/time: left for the transform to quarantine. */
  unusable: number;
}

export const emptySeen = (): Seen => ({ medias: {}, visitors: {}, events: 0, unusable: 0 });

export function addEvents(seen: Seen, records: readonly unknown[]): void {
  for (const r of records) {
    const e = r as Record<string, unknown>;
    const at =
      typeof e.received_at === 'string' && !Number.isNaN(Date.parse(e.received_at))
        ? new Date(e.received_at).toISOString()
        : undefined;
    if (!at || typeof e.event_key !== 'string') {
      seen.unusable++;
      continue;
    }
    seen.events++;
    if (typeof e.media_id === 'string' && e.media_id) {
      const m = seen.medias[e.media_id];
      seen.medias[e.media_id] = m ? [m[0] + 1, m[1] > at ? m[1] : at] : [1, at];
    }
    if (typeof e.visitor_key === 'string' && e.visitor_key) {
      const v = seen.visitors[e.visitor_key];
      seen.visitors[e.visitor_key] = v && v > at ? v : at;
    }
  }
}

export function mergeSeen(into: Seen, other: Seen): void {
  for (const [id, [plays, at]] of Object.entries(other.medias)) {
    const m = into.medias[id];
    into.medias[id] = m ? [m[0] + plays, m[1] > at ? m[1] : at] : [plays, at];
  }
  for (const [k, at] of Object.entries(other.visitors)) {
    const v = into.visitors[k];
    into.visitors[k] = v && v > at ? v : at;
  }
  into.events += other.events;
  into.unusable += other.unusable;
}

export async function readSeen(store: ObjectStore, key: string): Promise<Seen> {
  const r = await getJson<Seen>(store, key);
  if (!r) throw new Error(`seen summary "${key}" is missing`);
  return r.value;
}

export async function writeSeen(store: ObjectStore, key: string, seen: Seen): Promise<void> {
  await putJson(store, key, seen);
}
