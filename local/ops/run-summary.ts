// One execution's figures as `status` and the dashboard's /api/health show them, from its own files read once:
// its record (runs/<execution>/execution.json), its transform report (transform.json) and, priced, its history
// (local/ops/history.ts); its metrics through run-metrics.ts and its cost through cost.ts, with the objects the
// catalog counted under its folder (the cost's S3 PUTs).
import { getJson, type ObjectStore } from '#shared/store/store.ts';
import { runKey } from '#shared/pipeline/keys.ts';
import { readExecutionRecord, type ExecutionRecord } from '../runner/executions.ts';
import type { TransformReport } from '../transform.ts';
import { estimateCost, itemProcessorStates, loadPrices, type CostEstimate, type Prices } from './cost.ts';
import { readHistory } from './history.ts';
import { runMetrics, type RunMetrics } from './run-metrics.ts';

/** What a cost estimate is made with: the prices and each Map's item processor size (for older histories). */
export interface Pricing {
  readonly prices: Prices;
  readonly childStates: Record<string, number>;
}

/** The prices (default config/prices.json) and the deployed definition's item processors. */
export function pricing(prices: Prices = loadPrices()): Pricing {
  return { prices, childStates: itemProcessorStates() };
}

export interface RunSummary {
  /** undefined: no record yet (still running, or killed). */
  readonly record: ExecutionRecord | undefined;
  readonly report: TransformReport | undefined;
  /** null without a record. */
  readonly metrics: RunMetrics | null;
  /** With pricing: what the run would cost in AWS; null without a record. Absent without pricing. */
  readonly cost?: CostEstimate | null;
}

export interface RunSummaryOptions {
  /** Objects under runs/<execution>/ (catalog.ts executionFolders). */
  readonly objects: number;
  /** Estimate the cost with these. */
  readonly pricing?: Pricing;
  /** The record, when the caller has read it already (the catalog's executionRecords). */
  readonly record?: ExecutionRecord;
}

/** One execution's record, report, metrics and (priced) cost. */
export async function summariseRun(store: ObjectStore, name: string, o: RunSummaryOptions): Promise<RunSummary> {
  const record = o.record ?? (await readExecutionRecord(store, name));
  const report = (await getJson<TransformReport>(store, runKey(name, 'transform.json')))?.value;
  const metrics = record ? runMetrics(record, report) : null;
  if (!o.pricing) return { record, report, metrics };
  if (!record) return { record, report, metrics, cost: null };
  const history = await readHistory(store, name, record);
  const cost = estimateCost(record, report, history, {
    prices: o.pricing.prices,
    childStates: o.pricing.childStates,
    runObjects: o.objects,
  });
  return { record, report, metrics, cost };
}
