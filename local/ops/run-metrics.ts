// A run's figures as status, the dashboard and the cost estimate show them: read through the metric helpers
// (functions/shared/metrics.ts, names from contracts/metrics.json), never re-derived from other fields, except
// for the transform's figures of a report written before the job published `metrics` (its older fields).
import { byDimension, total, type MetricPoint } from '#shared/metrics.ts';
import type { ExecutionRecord } from '../runner/run.ts';
import type { TransformReport } from '../transform.ts';

/** What the transform did, from its report's `metrics` when present, else from the report's older fields. */
export interface TransformFigures {
  /** The job's run time, transform and load (TransformSeconds, else elapsed_seconds). */
  readonly seconds: number;
  /** The load phase (timings.load): what Redshift Serverless is busy for. */
  readonly loadSeconds: number;
  readonly failed: boolean;
  readonly recordsRead: number;
  readonly recordsLoaded: number;
  readonly recordsQuarantined: number;
  readonly driftFindings: number;
  readonly rowsInserted: number;
  readonly rowsUpdated: number;
  /** Tables the load staged (RowsInserted by table, else the report's `loaded`). */
  readonly tables: readonly string[];
  /** Where the figures came from. */
  readonly source: 'metrics' | 'report';
}

export function transformFigures(report: TransformReport | undefined | null): TransformFigures | null {
  if (!report) return null;
  const loadSeconds = report.timings?.load ?? 0;
  const m = report.metrics;
  if (m?.length) {
    return {
      seconds: total(m, 'TransformSeconds'),
      loadSeconds,
      failed: total(m, 'TransformFailed') > 0,
      recordsRead: total(m, 'RecordsRead'),
      recordsLoaded: total(m, 'RecordsLoaded'),
      recordsQuarantined: total(m, 'RecordsQuarantined'),
      driftFindings: total(m, 'DriftFindings'),
      rowsInserted: total(m, 'RowsInserted'),
      rowsUpdated: total(m, 'RowsUpdated'),
      tables: Object.keys(byDimension(m, 'RowsInserted', 'table')).sort(),
      source: 'metrics',
    };
  }
  const bronze = Object.values(report.bronze ?? {});
  const loaded = Object.values(report.loaded ?? {});
  return {
    seconds: report.elapsed_seconds ?? 0,
    loadSeconds,
    failed: report.status === 'FAILED',
    recordsRead: bronze.reduce((s, b) => s + b.served, 0),
    recordsLoaded: bronze.reduce((s, b) => s + b.loaded, 0),
    recordsQuarantined: report.quarantined ?? bronze.reduce((s, b) => s + b.quarantined, 0),
    driftFindings: Array.isArray(report.drift) ? report.drift.length : 0,
    rowsInserted: loaded.reduce((s, l) => s + l.inserted, 0),
    rowsUpdated: loaded.reduce((s, l) => s + l.updated, 0),
    tables: Object.keys(report.loaded ?? {}).sort(),
    source: 'report',
  };
}

/** One run's health figures (status, the dashboard's pipeline health section). */
export interface RunMetrics {
  /** The Lambdas' figures: null for a record written before the runner kept metrics (not 0: unknown). */
  readonly requests: number | null;
  readonly retries: number | null;
  readonly rateLimited: number | null;
  readonly bronzePages: number | null;
  readonly recordsLanded: number | null;
  /** null when the transform did not run. */
  readonly recordsQuarantined: number | null;
  /** Quarantined / read by the transform, null when it did not run or read nothing. */
  readonly quarantineShare: number | null;
  readonly transformSeconds: number | null;
}

export function runMetrics(
  record: Pick<ExecutionRecord, 'metrics'> | undefined | null,
  report: TransformReport | undefined | null,
): RunMetrics {
  const points: readonly MetricPoint[] | undefined = record?.metrics;
  const t = transformFigures(report);
  const lambda = (name: Parameters<typeof total>[1]) => (Array.isArray(points) ? total(points, name) : null);
  return {
    requests: lambda('WistiaRequests'),
    retries: lambda('WistiaRetries'),
    rateLimited: lambda('WistiaRateLimited'),
    bronzePages: lambda('BronzePages'),
    recordsLanded: lambda('RecordsLanded'),
    recordsQuarantined: t ? t.recordsQuarantined : null,
    quarantineShare: t && t.recordsRead > 0 ? t.recordsQuarantined / t.recordsRead : null,
    transformSeconds: t ? t.seconds : null,
  };
}
