// Replay of an execution's failed map items: a new execution (input {replay: "<execution>"}) whose maps read
// only what did not succeed the first time, then transforms, loads and commits as the original would have.
// What the original planned and what its maps wrote (the ResultWriter manifests) are the whole record: each
// map's items to replay are its planned items minus the ones in its SUCCEEDED files.
import { getJson, type ObjectStore } from '../store/store.ts';
import { InvalidInputError } from './input.ts';
import { runKey } from './keys.ts';
import { readMapResults, type MapResults } from './map-results.ts';

/** What a replay execution carries in its plan (and the commit step reads). */
export type { ReplayInfo } from './payloads.ts';

/**
 * The ResultWriter manifest under a map's result prefix, if the map ran (one map run per state per execution;
 * should there be more, the last key).
 */
export async function latestMapResults(store: ObjectStore, prefix: string): Promise<MapResults | undefined> {
  let last: string | undefined;
  for await (const o of store.list(`${prefix.replace(/\/$/, '')}/`))
    if (o.key.endsWith('/manifest.json') && (last === undefined || o.key > last)) last = o.key;
  return last ? readMapResults(store, last) : undefined;
}

/** The inputs that succeeded, by a key of the item. */
export function succeededKeys(
  results: MapResults | undefined,
  keyOf: (input: unknown) => string | undefined,
): Set<string> {
  const out = new Set<string>();
  for (const r of results?.succeeded ?? []) {
    const k = keyOf(r.input);
    if (k !== undefined) out.add(k);
  }
  return out;
}

export async function requireJson<T>(store: ObjectStore, key: string, what: string): Promise<T> {
  const r = await getJson<T>(store, key);
  if (!r) throw new InvalidInputError(`replay: ${what} is missing (${key})`);
  return r.value;
}

export const committedKey = (runId: string) => runKey(runId, 'committed.json');
export const engagementPlanKey = (runId: string) => runKey(runId, 'engagement-plan.json');
