// A batch of visitors by key (ItemBatcher: {BatchInput, Items}): one GET each, one bronze object per batch
// under a key derived from the batch's keys, so a retried batch rewrites its own object.
import type { Deps } from '../shared/pipeline/deps.ts';
import { asObject, date, int, InvalidInputError, RUN_ID, str } from '../shared/pipeline/input.ts';
import { setId } from '../shared/pipeline/keys.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { WistiaNotFoundError } from '../shared/wistia/errors.ts';
import type { RequestRecord } from '../shared/wistia/client.ts';
import type { DriftIssue, RecordFinding } from '../shared/wistia/validate.ts';

export interface VisitorLookupOutput {
  readonly batch: string;
  readonly requested: number;
  readonly fetched: number;
  readonly notFound: string[];
  readonly requests: number;
}

export async function lookupVisitors(event: unknown, deps: Deps): Promise<VisitorLookupOutput> {
  const e = asObject(event);
  const b = asObject(e.BatchInput, 'BatchInput');
  const runId = str(b, 'runId', { pattern: RUN_ID });
  const ingestDate = date(b, 'ingestDate');
  const client = deps.wistia(int(b, 'requestsPerMinute', { min: 1 }));
  if (!Array.isArray(e.Items) || e.Items.length === 0)
    throw new InvalidInputError('Items: expected a non-empty array of visitor keys');
  const keys = e.Items.map((k, i) => {
    if (typeof k !== 'string' || !k)
      throw new InvalidInputError(`Items[${i}]: expected a visitor key, got ${JSON.stringify(k)}`);
    return k;
  });
  const batch = setId(keys);
  const records: unknown[] = [];
  const requests: RequestRecord[] = [];
  const drift: DriftIssue[] = [];
  const findings: RecordFinding[] = [];
  const notFound: string[] = [];
  for (const key of keys) {
    try {
      const r = await client.getVisitor(key);
      // a finding's index is the record's place in this batch's bronze object
      for (const f of r.findings) findings.push({ ...f, index: records.length });
      records.push(r.body);
      requests.push(r.request);
      drift.push(...r.drift);
    } catch (err) {
      if (err instanceof WistiaNotFoundError) notFound.push(key);
      else throw err;
    }
  }
  const first = requests[0];
  if (first) {
    const request: RequestRecord = {
      ...first,
      endpoint: 'GET /stats/visitors/{key}',
      url: `${first.url.replace(/\/stats\/visitors\/[^?]*/, '/stats/visitors/{key}.json')}`,
      params: { keys: keys.length },
    };
    await writeBronze(deps.store, {
      entity: 'visitors',
      runId,
      ingestDate,
      scopeKey: `lookup=${batch}`,
      scope: { lookup: batch, keys: keys.length, notFound },
      page: 1,
      request,
      drift,
      findings,
      records,
    });
  }
  return { batch, requested: keys.length, fetched: records.length, notFound, requests: client.metrics.requests };
}

export const makeHandler = (deps: Deps) => wrap((event) => lookupVisitors(event, deps));
