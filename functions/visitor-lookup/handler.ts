// A batch of visitors by key (ItemBatcher: {BatchInput, Items}): one GET each, one bronze object per batch
// under a key derived from the batch's keys, so a retried batch rewrites its own object.
import type { Deps } from '../shared/pipeline/deps.ts';
import { setId } from '../shared/pipeline/keys.ts';
import { writeBronze } from '../shared/pipeline/bronze.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import {
  VisitorLookupInputSchema,
  VisitorLookupOutputSchema,
  type VisitorLookupInput,
  type VisitorLookupOutput,
} from '../shared/pipeline/payloads.ts';
import { WistiaNotFoundError } from '../shared/wistia/errors.ts';
import type { RequestRecord } from '../shared/wistia/client.ts';
import type { DriftIssue, RecordFinding } from '../shared/wistia/validate.ts';

export async function lookupVisitors(e: VisitorLookupInput, deps: Deps): Promise<VisitorLookupOutput> {
  const { runId, ingestDate } = e.BatchInput;
  const client = deps.wistia(e.BatchInput.requestsPerMinute);
  const keys = e.Items;
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

export const makeHandler = (deps: Deps) =>
  wrap({ input: VisitorLookupInputSchema, output: VisitorLookupOutputSchema }, (event) => lookupVisitors(event, deps));
