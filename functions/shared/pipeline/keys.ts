// The storage layout (../shared/ARCHITECTURE.md), the same in S3 and in the local store. Keys are
// deterministic per (run, entity, scope, page): a retried item overwrites its own objects.
//   bronze/<entity>/ingest_date=YYYY-MM-DD/run=<execution name>/<scope>/page-00001.json
//   runs/<execution name>/manifest.json | items/… | seen/… | map-results/… | execution.json | history.jsonl
//   state/watermarks.json | state/run-lease.json

export type Entity =
  | 'medias'
  | 'events'
  | 'media_stats'
  | 'media_engagement'
  | 'visitors'
  | 'projects'
  // issue 17: the account's stats by date (plan), each media's lifetime stats (the engagement item)
  | 'account_stats'
  | 'media_lifetime';

export function bronzeKey(entity: Entity, ingestDate: string, runId: string, scope: string, page: number): string {
  if (!/^[A-Za-z0-9=_.,-]+$/.test(scope)) throw new Error(`invalid bronze scope "${scope}"`);
  return `bronze/${entity}/ingest_date=${ingestDate}/run=${runId}/${scope}/page-${String(page).padStart(5, '0')}.json`;
}

export function bronzePrefix(entity: Entity, ingestDate?: string): string {
  return ingestDate ? `bronze/${entity}/ingest_date=${ingestDate}/` : `bronze/${entity}/`;
}

export const runKey = (runId: string, name: string) => `runs/${runId}/${name}`;
/** A run's record that it committed (the watermarks it wrote): a replay of it only settles their carry-over. */
export const committedKey = (runId: string) => runKey(runId, 'committed.json');
export const engagementPlanKey = (runId: string) => runKey(runId, 'engagement-plan.json');
export const WATERMARKS_KEY = 'state/watermarks.json';
/** Held by the execution that spends the account's request budget (plan takes it, commit releases it). */
export const LEASE_KEY = 'state/run-lease.json';

/** A short stable id for a set of strings (a batch of visitor keys). */
export function setId(values: readonly string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const v of [...values].sort()) {
    for (let i = 0; i < v.length; i++) {
      h1 = Math.imul(h1 ^ v.charCodeAt(i), 0x01000193);
      h2 = Math.imul(h2 ^ v.charCodeAt(i), 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ 0x2c, 0x01000193);
  }
  return `${(h1 >>> 0).toString(16).padStart(8, '0')}${(h2 >>> 0).toString(16).padStart(8, '0')}`;
}
