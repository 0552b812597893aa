// The truth the dashboard's pipeline health section is checked against: each run's figures read straight from its
// files in the data dir (the runner's own `requests`/`retries` fields, the transform report's older fields, the
// execution records' statuses and start dates), the cost as `status --cost` estimates it (local/ops/status.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { total, type MetricPoint } from '#shared/metrics.ts';
import { gatherStatus } from '#local/ops/status.ts';

interface RecordFile {
  name: string;
  status: string;
  startDate: string;
  requests: number;
  retries?: number;
  metrics?: MetricPoint[];
}
interface ReportFile {
  quarantined?: number;
  elapsed_seconds?: number;
  bronze?: Record<string, { served: number }>;
}

export interface RunTruth {
  readonly execution: string;
  readonly status: string;
  readonly startDate: string;
  readonly requests: number | null;
  readonly rateLimited: number | null;
  readonly retries: number | null;
  readonly quarantineShare: number | null;
  readonly transformSeconds: number | null;
  readonly costUsd: number | null;
}

const readJson = <T>(file: string): T | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;

/** Every run with an execution record, newest first, and the runs per UTC start day by status. */
export async function healthTruth(
  dataDir: string,
): Promise<{ runs: RunTruth[]; days: Record<string, Record<string, number>> }> {
  const dir = join(dataDir, 'store', 'runs');
  const costs = new Map(
    (await gatherStatus({ dataDir, cost: true, warehouse: false, limit: 1000 })).executions.map((x) => [
      x.id,
      x.cost?.totalUsd ?? null,
    ]),
  );
  const runs: RunTruth[] = [];
  const days: Record<string, Record<string, number>> = {};
  for (const name of readdirSync(dir)) {
    const rec = readJson<RecordFile>(join(dir, name, 'execution.json'));
    if (!rec) continue;
    const report = readJson<ReportFile>(join(dir, name, 'transform.json'));
    // the day the run is for: its input's simulated `today` (or a schedule's time), else its start's UTC day
    const input = (rec as { input?: { today?: string; scheduledTime?: string } }).input ?? {};
    const day = (input.today ?? input.scheduledTime ?? rec.startDate).slice(0, 10);
    days[day] = { ...days[day], [rec.status]: (days[day]?.[rec.status] ?? 0) + 1 };
    const read = report ? Object.values(report.bronze ?? {}).reduce((s, b) => s + b.served, 0) : 0;
    const metrics = Array.isArray(rec.metrics);
    runs.push({
      execution: rec.name,
      status: rec.status,
      startDate: rec.startDate,
      requests: metrics ? rec.requests : null,
      rateLimited: metrics ? total(rec.metrics, 'WistiaRateLimited') : null,
      retries: metrics ? (rec.retries ?? 0) : null,
      quarantineShare: report && read > 0 ? (report.quarantined ?? 0) / read : null,
      transformSeconds: report ? (report.elapsed_seconds ?? null) : null,
      costUsd: metrics ? (costs.get(name) ?? null) : null,
    });
  }
  runs.sort((a, b) => b.startDate.localeCompare(a.startDate));
  return { runs, days };
}

/** The text the page shows for a figure: "—" for none. */
export const shown = {
  count: (n: number | null) => (n === null ? '—' : n.toLocaleString('en-US')),
  share: (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(2)} %`),
  seconds: (s: number | null) => (s === null ? '—' : `${s.toFixed(1)} s`),
  usd: (v: number | null) => (v === null ? '—' : `$${v.toFixed(6)}`),
};

export interface HealthRow {
  readonly execution: string | null;
  readonly status: string | undefined;
  /** Per figure (data-field): the text shown and the data-value it carries. */
  readonly cells: Record<string, { text: string; value: string }>;
}

/** The health table's rows as the page shows them. */
export function healthRows(page: Page): Promise<HealthRow[]> {
  return page.$$eval('#health tbody tr', (trs) =>
    trs.map((tr) => ({
      execution: tr.getAttribute('data-execution'),
      status: tr.querySelector('[data-field="status"]')?.textContent ?? undefined,
      cells: Object.fromEntries(
        [...tr.querySelectorAll('td[data-value]')].map((td) => [
          td.getAttribute('data-field') ?? '',
          { text: td.textContent ?? '', value: td.getAttribute('data-value') ?? '' },
        ]),
      ),
    })),
  );
}

/** What a truth's row must show. */
export function expectedRow(t: RunTruth): HealthRow {
  const cell = (text: string, v: number | null) => ({ text, value: v === null ? '' : String(v) });
  return {
    execution: t.execution,
    status: t.status,
    cells: {
      requests: cell(shown.count(t.requests), t.requests),
      rateLimited: cell(shown.count(t.rateLimited), t.rateLimited),
      retries: cell(shown.count(t.retries), t.retries),
      quarantineShare: cell(shown.share(t.quarantineShare), t.quarantineShare),
      transformSeconds: cell(shown.seconds(t.transformSeconds), t.transformSeconds),
      costUsd: cell(shown.usd(t.costUsd), t.costUsd),
    },
  };
}

/** The runs-per-day chart's columns: {day: {status: count}} for the non-zero segments. */
export async function drawnDays(page: Page): Promise<Record<string, Record<string, number>>> {
  const marks = await page.$$eval('[data-chart="run-days"] rect.mark', (els) =>
    els.map((e) => ({
      day: e.getAttribute('data-label') ?? '',
      status: e.getAttribute('data-series') ?? '',
      value: Number(e.getAttribute('data-value')),
    })),
  );
  const out: Record<string, Record<string, number>> = {};
  for (const m of marks) {
    out[m.day] ??= {};
    if (m.value) out[m.day]![m.status] = m.value;
  }
  return out;
}
