// `wistia-pipeline status --cost` on real local runs (the seeded account: three days through the whole local
// pipeline): each execution's cost lines are estimateCost over that execution's own files (record, transform
// report, history, run objects), the counts behind them are what the files say when read here, the table prints
// them, and `--project` projects them. Exit codes for bad options and a bad prices file.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT } from '#local/cli/main.ts';
import { usd } from '#local/cli/status.ts';
import { averageDaily, estimateCost, loadPrices, PRICES_FILE, projectMonth } from '#local/ops/cost.ts';
import type { StatusReport } from '#local/ops/status.ts';
import type { ExecutionRecord, HistoryEvent } from '#local/runner/run.ts';
import type { TransformReport } from '#local/transform.ts';
import { seededCopy, SEEDED, type Seeded } from './helpers/seeded.ts';
import { cli } from './helpers/cli.ts';

afterEach(() => vi.restoreAllMocks());
const readJson = <T>(...p: string[]) => JSON.parse(readFileSync(join(...p), 'utf8')) as T;
/** A JSON Lines file, one value a line. */
const readLines = <T>(...p: string[]) =>
  readFileSync(join(...p), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

/** Files under a folder, recursively (what the run wrote under runs/<execution>/). */
function filesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
}

describe('status --cost on the seeded account', () => {
  let seeded: Seeded;
  let report: StatusReport;
  let text: string;
  const prices = loadPrices();
  const runs = () => join(seeded.dataDir, 'store', 'runs');
  const files = (id: string) => ({
    record: readJson<ExecutionRecord>(runs(), id, 'execution.json'),
    transform: readJson<TransformReport>(runs(), id, 'transform.json'),
    history: { events: readLines<HistoryEvent>(runs(), id, 'history.jsonl') },
  });

  beforeAll(async () => {
    seeded = await seededCopy('wp-cost-');
    const args = ['status', '--data-dir', seeded.dataDir, '--no-warehouse', '--cost', '--project', '30'];
    const json = await cli([...args, '--json']);
    expect(json.code, json.err).toBe(EXIT.ok);
    report = JSON.parse(json.out) as StatusReport;
    const t = await cli(args);
    expect(t.code, t.err).toBe(EXIT.ok);
    text = t.out;
  }, 900_000);
  afterAll(() => rmSync(seeded.dataDir, { recursive: true, force: true }));

  it('estimates each execution from its own files, as estimateCost does over the same records', () => {
    expect(report.executions.map((x) => x.id)).toEqual([...seeded.days].reverse().map((d) => d.execution));
    for (const x of report.executions) {
      const f = files(x.id);
      const expected = estimateCost(f.record, f.transform, f.history, {
        prices,
        runObjects: filesUnder(join(runs(), x.id)),
      });
      expect(x.cost, x.id).toEqual(expected);
      expect(x.cost!.totalUsd).toBeGreaterThan(0);
    }
  });

  it('counts what the files say: Lambda usage, state transitions, Glue and Redshift time, S3 objects', () => {
    for (const x of report.executions) {
      const { record, transform, history } = files(x.id);
      const line = (c: string) => x.cost!.lines.find((l) => l.component === c)!;
      // Lambda: every handler at 512 MB; one request per invocation
      const usage = Object.values(record.lambdaUsage!);
      expect(usage.length).toBeGreaterThanOrEqual(5);
      expect(line('Lambda duration').quantity).toBeCloseTo(usage.reduce((s, u) => s + u.durationMs / 1000, 0) * 0.5, 9);
      expect(line('Lambda requests').quantity).toBe(usage.reduce((s, u) => s + u.invocations, 0));
      // each engagement child invokes its function once (no retries in this account)
      const children = (state: string) =>
        history.events.filter((e) => e.type === 'MapItemSucceeded' && e.state === state);
      const engagement = children('Fetch engagement per media');
      expect(engagement.length).toBeGreaterThan(0);
      expect(record.lambdaUsage!['wistia-media-engagement']!.invocations).toBe(engagement.length);
      // transitions: each engagement child enters its one Task; each window child Task + Choice per invocation, then
      // Succeed (an odd number ≥ 3); the parent's states entered; each child's start; no retries here
      expect(engagement.map((e) => e.detail?.transitions)).toEqual(engagement.map(() => 1));
      const windows = children('Fetch event pages by window').map((e) => e.detail?.transitions as number);
      expect(windows.length).toBeGreaterThan(0);
      for (const t of windows) expect(t >= 3 && t % 2 === 1, `window child with ${t} states`).toBe(true);
      expect(history.events.filter((e) => /Retried$/.test(e.type))).toEqual([]);
      const mapChildren = history.events.filter((e) => e.type === 'MapItemSucceeded' || e.type === 'MapItemFailed');
      const parent = history.events.filter((e) => e.type === 'StateEntered').length;
      expect(line('Step Functions').quantity).toBe(
        parent + mapChildren.reduce((s, e) => s + 1 + (e.detail?.transitions as number), 0),
      );
      // Glue: the job's TransformSeconds, at least 60 s, x 2 DPU; Redshift: the load, at least 60 s, x 8 RPU
      const seconds = transform.metrics!.find(
        (p) => p.name === 'TransformSeconds' && !Object.keys(p.dimensions).length,
      )!;
      expect(line('Glue').quantity).toBeCloseTo((Math.max(60, Math.ceil(seconds.value)) * 2) / 3600, 12);
      expect(line('Redshift Serverless').quantity).toBeCloseTo(
        (Math.max(60, Math.ceil(transform.timings!.load!)) * 8) / 3600,
        12,
      );
      // S3: the bronze objects the run wrote (its pages) are PUT once and read once by the transform
      const bronze = record.metrics!.find((p) => p.name === 'BronzePages' && !Object.keys(p.dimensions).length)!.value;
      expect(line('S3 GET').quantity * 1000).toBeCloseTo(bronze, 9);
      const staged = Object.keys(transform.loaded ?? {}).length + 2;
      expect(line('S3 PUT/COPY/POST/LIST').quantity * 1000).toBeCloseTo(
        bronze + filesUnder(join(runs(), x.id)) + staged,
        9,
      );
      // the total is the sum of the lines
      expect(x.cost!.totalUsd).toBeCloseTo(
        x.cost!.lines.reduce((s, l) => s + l.quantity * l.price, 0),
        9,
      );
    }
  });

  it('prints a cost row per execution: each service and the total', () => {
    expect(text).toContain(
      `Cost in AWS per execution (an estimate, USD, us-east-1 list prices checked ${prices.checked}, config/prices.json):`,
    );
    for (const x of report.executions) {
      const c = x.cost!;
      const sum = (f: (component: string) => boolean) =>
        usd(c.lines.filter((l) => f(l.component)).reduce((s, l) => s + l.usd, 0));
      const cells = [
        sum((n) => n.startsWith('Lambda')),
        sum((n) => n === 'Step Functions'),
        sum((n) => n === 'Glue'),
        sum((n) => n === 'Redshift Serverless'),
        sum((n) => n.startsWith('S3')),
        usd(c.totalUsd),
      ];
      expect(text).toMatch(new RegExp(`^  ${x.id} +${cells.map((v) => v.replace('$', '\\$')).join(' +')}$`, 'm'));
    }
  });

  it('projects 30 days: the oldest execution once, then its successors’ average every other day', () => {
    const oldestFirst = [...report.executions].reverse();
    const totals = oldestFirst.map((x) => x.cost!.totalUsd);
    expect(totals).toHaveLength(SEEDED.days);
    const p = report.projection!;
    const expected = projectMonth(totals[0]!, averageDaily(totals), 1, 30);
    expect(p.firstRun).toBe(oldestFirst[0]!.id);
    expect(p.dailyRuns).toBe(SEEDED.days - 1);
    expect(p.firstRunUsd).toBe(totals[0]);
    expect(p.dailyRunUsd).toBeCloseTo(expected.dailyRunUsd, 9);
    expect(p.totalUsd).toBeCloseTo(expected.totalUsd, 8);
    // by hand: first + 29 x the average of the others (each run's total is rounded to 1e-9 USD, so 29 of them
    // may differ from the projection's own rounding by up to 29 x 0.5e-9)
    expect(p.totalUsd).toBeCloseTo(totals[0]! + (29 * (totals[1]! + totals[2]!)) / 2, 7);
    // per line, the same arithmetic; the lines add up to the total
    expect(Object.values(p.byComponent).reduce((s, v) => s + v, 0)).toBeCloseTo(p.totalUsd, 7);
    expect(text).toContain(`Projection over 30 days (USD): ${p.firstRun} once as the backfill (${usd(p.firstRunUsd)})`);
    expect(text).toMatch(new RegExp(`^  total +\\${usd(p.totalUsd)}$`, 'm'));
  });

  it('refuses --project without --cost or out of range, and a prices file that is wrong (exit 3, naming the field)', async () => {
    const base = ['status', '--data-dir', seeded.dataDir, '--no-warehouse'];
    const noCost = await cli([...base, '--project', '30']);
    expect([noCost.code, noCost.err]).toEqual([EXIT.usage, expect.stringContaining('--project needs --cost')]);
    const zero = await cli([...base, '--cost', '--project', '0']);
    expect([zero.code, zero.err]).toEqual([EXIT.usage, expect.stringContaining('--project: expected an integer >= 1')]);
    const bad = JSON.parse(readFileSync(PRICES_FILE, 'utf8')) as { prices: Record<string, { value: unknown }> };
    bad.prices.glueDpuHour!.value = -1;
    const file = join(seeded.dataDir, 'prices.json');
    writeFileSync(file, JSON.stringify(bad));
    const r = await cli([...base, '--cost', '--prices', file]);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toContain(`${file}: prices.glueDpuHour.value must be a number ≥ 0, got -1`);
  });
});
