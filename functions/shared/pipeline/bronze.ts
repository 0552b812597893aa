// A bronze object: the raw API records of one page (or one single-object response) with where they came from.
import type { DriftIssue, RecordFinding } from '../wistia/validate.ts';
import type { RequestRecord } from '../wistia/client.ts';
import { bronzeKey, type Entity } from './keys.ts';
import type { ObjectStore } from '../store/store.ts';
import { currentCounters } from '../metrics.ts';

export interface BronzeObject {
  readonly entity: Entity;
  readonly runId: string;
  readonly ingestDate: string;
  /** What this object covers: {window: …}, {media: …}, {scan: true}, {lookup: batch id}. */
  readonly scope: Record<string, unknown>;
  /** The request, without secrets (URL, params, status, attempts). */
  readonly request: RequestRecord;
  readonly page: number;
  readonly fetchedAt: string;
  readonly count: number;
  readonly drift: DriftIssue[];
  /** Records the client found unusable as served (by index): landed anyway, quarantined by the transform. */
  readonly findings: RecordFinding[];
  readonly records: unknown[];
}

export async function writeBronze(
  store: ObjectStore,
  o: {
    entity: Entity;
    runId: string;
    ingestDate: string;
    scopeKey: string;
    scope: Record<string, unknown>;
    page: number;
    request: RequestRecord;
    drift: DriftIssue[];
    findings?: RecordFinding[];
    records: unknown[];
  },
): Promise<string> {
  const key = bronzeKey(o.entity, o.ingestDate, o.runId, o.scopeKey, o.page);
  const body: BronzeObject = {
    entity: o.entity,
    runId: o.runId,
    ingestDate: o.ingestDate,
    scope: o.scope,
    request: o.request,
    page: o.page,
    fetchedAt: o.request.fetchedAt,
    count: o.records.length,
    drift: o.drift,
    findings: o.findings ?? [],
    records: o.records,
  };
  const text = `${JSON.stringify(body)}\n`;
  await store.put(key, text, { contentType: 'application/json' });
  currentCounters()?.bronzeWritten(o.entity, o.records.length, Buffer.byteLength(text));
  return key;
}
