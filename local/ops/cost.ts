// What a run would cost in AWS (issue 14): the run's own figures (its execution record, transform report and
// history) priced with the list prices of config/prices.json (one region, dated, each with its source). An
// estimate: no free tier, no storage, no CloudWatch, no data transfer, no NAT; what each component counts is
// written next to it below and in the README ("What it costs").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { total } from '#shared/metrics.ts';
import {
  DEFAULT_BASE_CAPACITY,
  DEFAULT_GLUE_WORKERS,
  DEFAULT_LAMBDA_MEMORY_MB,
  GLUE_DPUS_PER_WORKER,
  GLUE_WORKER_TYPE,
  LAMBDA_MEMORY_MB,
} from '../../infra/constructs/sizing.ts';
import { readDefinitionText, type Definition } from '../runner/asl.ts';
import type { ExecutionRecord } from '../runner/run.ts';
import type { TransformReport } from '../transform.ts';
import type { ExecutionHistory } from './history.ts';
import { transformFigures } from './run-metrics.ts';

export const PRICES_FILE = join(import.meta.dirname, '..', '..', 'config', 'prices.json');

export const PRICE_NAMES = [
  'lambdaArmGbSecond',
  'lambdaRequest',
  'stepFunctionsStateTransition',
  'glueDpuHour',
  'redshiftServerlessRpuHour',
  's3PutCopyPostListPer1000',
  's3GetPer1000',
] as const;
export type PriceName = (typeof PRICE_NAMES)[number];

export interface Price {
  readonly value: number;
  readonly unit: string;
  readonly url: string;
  readonly source: string;
  readonly checked: string;
  readonly minimumSeconds?: number;
}

export interface Prices {
  readonly region: string;
  readonly currency: string;
  readonly checked: string;
  readonly prices: Readonly<Record<PriceName, Price>>;
}

export class PricesError extends Error {
  override name = 'PricesError';
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A calendar date YYYY-MM-DD (2026-02-30 is not one). */
function isDate(v: unknown): v is string {
  if (typeof v !== 'string' || !DATE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Checks a parsed prices file; the error names the field that is wrong and the file. */
export function validatePrices(raw: unknown, file = 'config/prices.json'): Prices {
  const fail = (field: string, what: string): never => {
    throw new PricesError(`${file}: ${field} ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('(the file)', 'is not a JSON object');
  const o = raw as Record<string, unknown>;
  for (const k of ['region', 'currency'] as const)
    if (typeof o[k] !== 'string' || !o[k]) fail(k, 'must be a non-empty string');
  if (o.currency !== 'USD') fail('currency', `must be "USD", got ${JSON.stringify(o.currency)}`);
  if (!isDate(o.checked)) fail('checked', `must be a date YYYY-MM-DD, got ${JSON.stringify(o.checked)}`);
  const prices = o.prices;
  if (typeof prices !== 'object' || prices === null || Array.isArray(prices)) fail('prices', 'must be an object');
  const p = prices as Record<string, unknown>;
  for (const name of PRICE_NAMES) {
    const e = p[name];
    const at = `prices.${name}`;
    if (typeof e !== 'object' || e === null) fail(at, 'is missing');
    const entry = e as Record<string, unknown>;
    if (typeof entry.value !== 'number' || !Number.isFinite(entry.value) || entry.value < 0)
      fail(`${at}.value`, `must be a number ≥ 0, got ${JSON.stringify(entry.value)}`);
    for (const k of ['unit', 'url', 'source'] as const)
      if (typeof entry[k] !== 'string' || !entry[k]) fail(`${at}.${k}`, 'must be a non-empty string');
    if (!/^https:\/\//.test(entry.url as string)) fail(`${at}.url`, 'must be an https:// address');
    if (!isDate(entry.checked))
      fail(`${at}.checked`, `must be a date YYYY-MM-DD, got ${JSON.stringify(entry.checked)}`);
    if (
      entry.minimumSeconds !== undefined &&
      (typeof entry.minimumSeconds !== 'number' || !Number.isInteger(entry.minimumSeconds) || entry.minimumSeconds < 0)
    )
      fail(
        `${at}.minimumSeconds`,
        `must be a whole number of seconds ≥ 0, got ${JSON.stringify(entry.minimumSeconds)}`,
      );
  }
  return raw as Prices;
}

/** Reads and checks a prices file (default config/prices.json). */
export function loadPrices(file = PRICES_FILE): Prices {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PricesError(`${file}: cannot be read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PricesError(`${file}: is not JSON (${(e as Error).message})`);
  }
  return validatePrices(raw, file);
}

/** The sizes a run is billed by (defaults: the deployed ones, infra/constructs/sizing.ts). */
export interface Sizing {
  /** Memory per function name (wistia-<handler dir>), MB. */
  readonly lambdaMemoryMb: (functionName: string) => number;
  readonly glueDpus: number;
  readonly baseRpus: number;
}

export const DEPLOYED_SIZING: Sizing = {
  lambdaMemoryMb: (fn) => LAMBDA_MEMORY_MB[fn.replace(/^wistia-/, '')] ?? DEFAULT_LAMBDA_MEMORY_MB,
  glueDpus: DEFAULT_GLUE_WORKERS * (GLUE_DPUS_PER_WORKER[GLUE_WORKER_TYPE] ?? 1),
  baseRpus: DEFAULT_BASE_CAPACITY,
};

export interface CostLine {
  readonly component: string;
  readonly quantity: number;
  readonly unit: string;
  /** USD per unit. */
  readonly price: number;
  readonly usd: number;
  /** What was counted. */
  readonly basis: string;
}

export interface CostEstimate {
  readonly region: string;
  readonly pricesChecked: string;
  readonly lines: CostLine[];
  readonly totalUsd: number;
  /** Caveats: figures estimated rather than counted. */
  readonly notes: string[];
}

/** USD to 1e-9 (a run costs fractions of a cent: rounding to cents would show zeros). */
export const roundUsd = (v: number) => Math.round(v * 1e9) / 1e9;

/** The part of an execution's history (local/ops/history.ts readHistory) the estimate reads. */
export type HistoryLike = Pick<ExecutionHistory, 'events'>;

/** States in each Distributed Map's item processor (by map state name), from the state machine definition. */
export function itemProcessorStates(definition: Definition = JSON.parse(readDefinitionText()) as Definition) {
  const out: Record<string, number> = {};
  const walk = (states: Definition['States']) => {
    for (const [name, s] of Object.entries(states)) {
      const proc = s.ItemProcessor as Definition | undefined;
      if (proc?.States) {
        out[name] = Object.keys(proc.States).length;
        walk(proc.States);
      }
    }
  };
  walk(definition.States);
  return out;
}

/**
 * Standard workflow state transitions of one execution, from its history: every StateEntered and StateRetried
 * of the execution itself, plus for each Distributed Map child one transition for starting it, the states it
 * entered (its MapItem event's `detail.transitions`, recorded since issue 14) and its retries
 * (ChildStateRetried). A history written before the runner recorded `transitions` counts each child's states
 * as its item processor's number of states (an estimate).
 *
 * Step Functions' billing, as documented: "Step Functions counts a state transition each time a step of your
 * workflow is executed. You are charged for the total number of state transitions across all your state
 * machines, including retries" (https://aws.amazon.com/step-functions/pricing/), and, for a Map state in
 * Distributed mode, one state transition for each child workflow execution the Distributed Map state starts
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html, "Transitions in Distributed Map
 * states": paraphrased from its Korean and Japanese copies, read 2026-12-03; no English copy was found). The children here
 * are STANDARD (statemachine/ingest.asl.json ProcessorConfig.ExecutionType), so their own states are billed as
 * transitions too. Not counted: children aborted while running (no MapItem event: what they entered is lost)
 * and redrives (none locally).
 */
export function countTransitions(
  history: HistoryLike,
  childStates: Record<string, number> = itemProcessorStates(),
): { transitions: number; estimatedChildren: number } {
  let transitions = 0;
  let estimatedChildren = 0;
  for (const e of history.events) {
    if (e.type === 'StateEntered' || e.type === 'StateRetried' || e.type === 'ChildStateRetried') transitions++;
    else if (e.type === 'MapItemSucceeded' || e.type === 'MapItemFailed') {
      transitions++; // the child execution's start
      const t = e.detail?.transitions;
      if (typeof t === 'number') transitions += t;
      else {
        transitions += childStates[e.state ?? ''] ?? 1;
        estimatedChildren++;
      }
    }
  }
  return { transitions, estimatedChildren };
}

export interface CostInputs {
  readonly prices?: Prices;
  readonly sizing?: Sizing;
  /** Objects the run wrote under runs/<execution>/ (manifest, plans, map results, history, report…). */
  readonly runObjects?: number;
  readonly childStates?: Record<string, number>;
}

/** One run's cost by component. Without a history, Step Functions is left out (a note says so). */
export function estimateCost(
  record: Pick<ExecutionRecord, 'metrics' | 'lambdaUsage'>,
  report: TransformReport | undefined | null,
  history?: HistoryLike | null,
  o: CostInputs = {},
): CostEstimate {
  const prices = o.prices ?? loadPrices();
  const sizing = o.sizing ?? DEPLOYED_SIZING;
  const p = prices.prices;
  const lines: CostLine[] = [];
  const notes: string[] = [];
  const line = (component: string, quantity: number, unit: string, price: number, basis: string) =>
    lines.push({ component, quantity, unit, price, usd: roundUsd(quantity * price), basis });

  // Lambda: GB-seconds = each function's summed duration x its memory; one request per invocation
  const usage = Object.entries(record.lambdaUsage ?? {});
  if (!record.lambdaUsage) notes.push('no lambdaUsage in the execution record: Lambda counted as 0');
  const gbSeconds = usage.reduce((s, [fn, u]) => s + (u.durationMs / 1000) * (sizing.lambdaMemoryMb(fn) / 1024), 0);
  const invocations = usage.reduce((s, [, u]) => s + u.invocations, 0);
  line('Lambda duration', gbSeconds, 'GB-second', p.lambdaArmGbSecond.value, 'per function: duration x memory');
  line('Lambda requests', invocations, 'request', p.lambdaRequest.value, 'invocations');

  // Step Functions Standard: state transitions
  if (history) {
    const t = countTransitions(history, o.childStates);
    line(
      'Step Functions',
      t.transitions,
      'state transition',
      p.stepFunctionsStateTransition.value,
      'states entered + retries, map children (1 each + their states and retries) included',
    );
    if (t.estimatedChildren)
      notes.push(
        "map children without a recorded transition count (a history from before issue 14): each counted as its item processor's number of states",
      );
  } else notes.push('no history: Step Functions not counted');

  // Glue: DPUs x run time, whole seconds, at least the minimum
  const tf = transformFigures(report);
  const glueMin = p.glueDpuHour.minimumSeconds ?? 60;
  const glueSeconds = tf ? Math.max(glueMin, Math.ceil(tf.seconds)) : 0;
  line(
    'Glue',
    (glueSeconds / 3600) * sizing.glueDpus,
    'DPU-hour',
    p.glueDpuHour.value,
    tf
      ? `${glueSeconds} s billed (ran ${tf.seconds} s, minimum ${glueMin} s) x ${sizing.glueDpus} DPU`
      : 'no transform',
  );

  // Redshift Serverless: the load phase at base capacity, at least the minimum (an estimate: the workgroup's real
  // busy time includes the job's other queries and any scaling above the base)
  const rsMin = p.redshiftServerlessRpuHour.minimumSeconds ?? 60;
  const loaded = tf !== null && tf.tables.length > 0;
  const rsSeconds = loaded ? Math.max(rsMin, Math.ceil(tf.loadSeconds)) : 0;
  line(
    'Redshift Serverless',
    (rsSeconds / 3600) * sizing.baseRpus,
    'RPU-hour',
    p.redshiftServerlessRpuHour.value,
    loaded
      ? `${rsSeconds} s billed (load ${tf.loadSeconds} s, minimum ${rsMin} s) x ${sizing.baseRpus} RPU (estimate)`
      : 'no load',
  );
  if (loaded) notes.push('Redshift: the load phase at base capacity (an estimate of the busy time)');

  // S3: PUTs = bronze objects + run objects + staged load files (one per staged table, plus quarantine and
  // schema drift); GETs = the transform's bronze reads (each bronze object once)
  const bronze = total(record.metrics, 'BronzePages');
  const staged = loaded ? tf.tables.length + 2 : 0;
  const runObjects = o.runObjects ?? 0;
  line(
    'S3 PUT/COPY/POST/LIST',
    (bronze + runObjects + staged) / 1000,
    '1,000 requests',
    p.s3PutCopyPostListPer1000.value,
    `${bronze} bronze + ${runObjects} run objects + ${staged} staged files`,
  );
  const gets = tf ? bronze : 0;
  line('S3 GET', gets / 1000, '1,000 requests', p.s3GetPer1000.value, `${gets} bronze reads`);

  return {
    region: prices.region,
    pricesChecked: prices.checked,
    lines,
    totalUsd: roundUsd(lines.reduce((s, l) => s + l.quantity * l.price, 0)),
    notes,
  };
}

/** 30 days: the first (backfill) run once, then `runsPerDay` daily runs on each of the other days. */
export interface Projection {
  readonly firstRunUsd: number;
  readonly dailyRunUsd: number;
  readonly runsPerDay: number;
  readonly days: number;
  readonly totalUsd: number;
}

export function projectMonth(firstRunUsd: number, dailyRunUsd: number, runsPerDay = 1, days = 30): Projection {
  if (!(runsPerDay >= 0) || !Number.isFinite(runsPerDay))
    throw new Error(`runsPerDay: expected ≥ 0, got ${runsPerDay}`);
  if (!Number.isInteger(days) || days < 1) throw new Error(`days: expected a whole number ≥ 1, got ${days}`);
  // day 1 holds the backfill run; the daily runs fill the other days (and the rest of day 1's runs)
  const dailyRuns = runsPerDay * days - 1;
  return {
    firstRunUsd,
    dailyRunUsd,
    runsPerDay,
    days,
    totalUsd: roundUsd(firstRunUsd + Math.max(0, dailyRuns) * dailyRunUsd),
  };
}

/** The average of the daily runs' costs (every run but the first), 0 without any. */
export function averageDaily(costs: readonly number[]): number {
  const daily = costs.slice(1);
  return daily.length ? daily.reduce((s, c) => s + c, 0) / daily.length : 0;
}
