// Run metrics (issue 14): what each invocation did, as CloudWatch metrics in the embedded metric format (EMF)
// through Powertools Metrics. The names, units and dimensions are contracts/metrics.json, the one definition the
// Lambdas, the Glue job (pyspark/wistia_pipeline/metrics.py), the alarms, the dashboard and the local twin share.
//
// One counter set per invocation, held in an AsyncLocalStorage scope that `wrap` (pipeline/lambda.ts) opens: in
// Lambda one invocation runs at a time per container, but the local twin runs many map items concurrently in one
// process, so a module-level Powertools buffer would mix them. At the end of the invocation (success or failure)
// the counters become one Metrics instance's EMF document: printed to stdout in Lambda (CloudWatch Logs extracts
// the metrics: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
// handed to the twin's sink locally.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import spec from '../../contracts/metrics.json' with { type: 'json' };
import type { ClientMetrics } from './wistia/client.ts';

export const METRICS_NAMESPACE: string = spec.namespace;
export const METRICS_SERVICE: string = spec.service;

export type MetricName = keyof typeof spec.metrics;
export interface MetricSpec {
  readonly unit: 'Count' | 'Bytes' | 'Seconds';
  readonly source: 'lambda' | 'glue';
  readonly description: string;
  /** Dimensions besides `service`; the metric is also emitted with `service` alone (the total). */
  readonly dimensions?: readonly string[];
}
export const METRIC_SPECS = spec.metrics as Record<MetricName, MetricSpec>;
export const METRIC_NAMES = Object.keys(spec.metrics) as MetricName[];

/** One metric value with its dimensions (besides service): what the twin keeps and what EMF documents parse to. */
export interface MetricPoint {
  readonly name: MetricName;
  readonly value: number;
  readonly unit: MetricSpec['unit'];
  readonly dimensions: Readonly<Record<string, string>>;
}

/** A run's figures: the points summed over its invocations (or its transform), by name and dimensions. */
export function sumPoints(points: Iterable<MetricPoint>): MetricPoint[] {
  const byKey = new Map<string, MetricPoint>();
  for (const p of points) {
    const k = pointKey(p);
    const prev = byKey.get(k);
    byKey.set(k, prev ? { ...prev, value: prev.value + p.value } : { ...p, dimensions: { ...p.dimensions } });
  }
  return [...byKey.values()].sort((a, b) => (pointKey(a) < pointKey(b) ? -1 : 1));
}

export function pointKey(p: Pick<MetricPoint, 'name' | 'dimensions'>): string {
  const dims = Object.entries(p.dimensions).sort(([a], [b]) => (a < b ? -1 : 1));
  return dims.length ? `${p.name}{${dims.map(([k, v]) => `${k}=${v}`).join(',')}}` : p.name;
}

/** The total of a metric (its points without dimensions besides service), 0 when absent. */
export function total(points: readonly MetricPoint[] | undefined, name: MetricName): number {
  return (points ?? [])
    .filter((p) => p.name === name && !Object.keys(p.dimensions).length)
    .reduce((s, p) => s + p.value, 0);
}

/** The values of a metric by one dimension's value (e.g. RecordsLanded by entity). */
export function byDimension(
  points: readonly MetricPoint[] | undefined,
  name: MetricName,
  dimension: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of points ?? []) {
    const v = p.dimensions[dimension];
    if (p.name === name && v !== undefined && Object.keys(p.dimensions).length === 1) out[v] = (out[v] ?? 0) + p.value;
  }
  return out;
}

/** What one invocation did, counted as it happens. */
export class InvocationCounters {
  private readonly clients: { readonly metrics: ClientMetrics }[] = [];
  private readonly bronze = new Map<string, { pages: number; records: number; bytes: number }>();

  /** A Wistia client the invocation uses: its requests, retries and 429s count at the end. */
  trackClient(client: { readonly metrics: ClientMetrics }): void {
    this.clients.push(client);
  }

  /** One bronze object written. */
  bronzeWritten(entity: string, records: number, bytes: number): void {
    const b = this.bronze.get(entity) ?? { pages: 0, records: 0, bytes: 0 };
    b.pages++;
    b.records += records;
    b.bytes += bytes;
    this.bronze.set(entity, b);
  }

  /** The invocation's figures as points: each dimensioned metric also as its total. */
  points(): MetricPoint[] {
    const out: MetricPoint[] = [];
    const add = (name: MetricName, value: number, dimensions: Record<string, string> = {}) =>
      out.push({ name, value, unit: METRIC_SPECS[name].unit, dimensions });
    const sum = (f: (m: ClientMetrics) => number) => this.clients.reduce((s, c) => s + f(c.metrics), 0);
    add(
      'WistiaRequests',
      sum((m) => m.requests),
    );
    add(
      'WistiaRetries',
      sum((m) => m.retries),
    );
    add(
      'WistiaRateLimited',
      sum((m) => m.byStatus['429'] ?? 0),
    );
    const entities = [...this.bronze.keys()].sort();
    for (const [name, field] of [
      ['BronzePages', 'pages'],
      ['RecordsLanded', 'records'],
      ['BronzeBytes', 'bytes'],
    ] as const) {
      add(
        name,
        entities.reduce((s, e) => s + this.bronze.get(e)![field], 0),
      );
      for (const e of entities) add(name, this.bronze.get(e)![field], { entity: e });
    }
    return out;
  }
}

const scope = new AsyncLocalStorage<InvocationCounters>();

/** Runs `fn` with a fresh counter set (pipeline/lambda.ts `wrap`); returns the set with the result. */
export function withCounters<T>(counters: InvocationCounters, fn: () => Promise<T>): Promise<T> {
  return scope.run(counters, fn);
}

/** The current invocation's counters (undefined outside a handler: a test calling a function directly). */
export function currentCounters(): InvocationCounters | undefined {
  return scope.getStore();
}

/** Counts a Wistia client's requests in the current invocation (the Deps' client factories call it). */
export function tracked<C extends { readonly metrics: ClientMetrics }>(client: C): C {
  currentCounters()?.trackClient(client);
  return client;
}

/** Correlation of a run's metrics and log lines: high-cardinality values go to EMF metadata, not dimensions. */
export interface Correlation {
  readonly execution?: string;
  /**
   * The Distributed Map child execution serving the item (its `$$.Execution.Id`, which the ASL merges into the
   * item Tasks' payload): in AWS its ARN names the state machine and the map run's label, and
   * DescribeStateMachineForExecution on it answers the map run's ARN.
   */
  readonly childExecution?: string;
  readonly item?: string;
}

/** The points in groups of one dimension set each (Powertools puts one dimension set in a document). */
function metricsInstances(points: readonly MetricPoint[], handler: string, correlation: Correlation): Metrics[] {
  const groups = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const k = JSON.stringify(Object.entries(p.dimensions).sort(([a], [b]) => (a < b ? -1 : 1)));
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  return [...groups.values()].map((group) => {
    const m = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
    for (const [k, v] of Object.entries(group[0]!.dimensions)) m.addDimension(k, v);
    for (const p of group) m.addMetric(p.name, MetricUnit[p.unit], p.value);
    // high-cardinality values are metadata (properties of the log event, not dimensions: one metric per run
    // would be a new custom metric a day)
    m.addMetadata('handler', handler);
    if (correlation.execution) m.addMetadata('execution', correlation.execution);
    if (correlation.childExecution) m.addMetadata('childExecution', correlation.childExecution);
    if (correlation.item) m.addMetadata('item', correlation.item);
    return m;
  });
}

/** The invocation's EMF documents as JSON lines, without printing them (the local twin's sink). */
export function emfDocuments(points: readonly MetricPoint[], handler: string, correlation: Correlation): string[] {
  return metricsInstances(points, handler, correlation).map((m) => {
    const line = JSON.stringify(m.serializeMetrics());
    m.clearMetrics();
    return line;
  });
}

/** Prints the invocation's EMF documents to stdout through Powertools (in Lambda, CloudWatch Logs extracts them). */
export function publishEmf(points: readonly MetricPoint[], handler: string, correlation: Correlation): void {
  for (const m of metricsInstances(points, handler, correlation)) m.publishStoredMetrics();
}

/** Parses EMF lines (a handler's stdout) back to points: the test of what CloudWatch would extract. */
export function parseEmf(lines: Iterable<string>): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const line of lines) {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const aws = doc._aws as
      { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } | undefined;
    for (const d of aws?.CloudWatchMetrics ?? []) {
      if (d.Namespace !== METRICS_NAMESPACE) continue;
      const dimNames = (d.Dimensions[0] ?? []).filter((n) => n !== 'service');
      const dimensions = Object.fromEntries(dimNames.map((n) => [n, String(doc[n])]));
      for (const { Name } of d.Metrics) {
        if (!(Name in METRIC_SPECS)) continue;
        const raw = doc[Name];
        const values = Array.isArray(raw) ? (raw as number[]) : [raw as number];
        const name = Name as MetricName;
        for (const value of values) out.push({ name, value, unit: METRIC_SPECS[name].unit, dimensions });
      }
    }
  }
  return out;
}
