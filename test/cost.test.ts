// The cost estimate (issue 14, local/ops/cost.ts): the prices file's checks, the state transitions counted from a
// history, each cost line's quantity from a run's figures and the deployed sizes, and the 30-day projection —
// all on hand-built inputs whose figures are worked out in the comments. The same estimate on a real local run,
// through `wistia-pipeline status --cost`, is in cost-cli.test.ts; the sizes against the synthesized template in
// infra-template.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricPoint } from '#shared/metrics.ts';
import {
  averageDaily,
  countTransitions,
  DEPLOYED_SIZING,
  estimateCost,
  itemProcessorStates,
  loadPrices,
  PRICE_NAMES,
  PRICES_FILE,
  PricesError,
  projectMonth,
  validatePrices,
  type CostLine,
  type Sizing,
} from '#local/ops/cost.ts';
import type { HistoryEvent } from '#local/runner/run.ts';
import type { TransformReport } from '#local/transform.ts';
import { LAMBDA_MEMORY_MB } from '../infra/constructs/sizing.ts';
import { ROOT } from './helpers/sim.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed file edited field by field
type Raw = Record<string, any>;
const raw = () => JSON.parse(readFileSync(PRICES_FILE, 'utf8')) as Raw;
const prices = loadPrices();
const FILE = 'somewhere/prices.json';

/** The error validatePrices throws for the prices file after `edit`. */
function errorOf(edit: (p: Raw) => void): string {
  const p = raw();
  edit(p);
  try {
    validatePrices(p, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(PricesError);
    return (e as Error).message;
  }
  return 'no error';
}

describe('config/prices.json and its checks', () => {
  it('holds every price, each dated, with an https source page, for one region in USD', () => {
    expect(prices.region).toBe('us-east-1');
    expect(prices.currency).toBe('USD');
    expect(Object.keys(prices.prices).sort()).toEqual([...PRICE_NAMES].sort());
    for (const name of PRICE_NAMES) {
      const p = prices.prices[name];
      expect(p.value, name).toBeGreaterThan(0);
      expect(p.url, name).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(p.checked, name).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    // the minimums the estimate applies (Glue 2.0+ Spark jobs and Redshift Serverless: 60 s)
    expect([prices.prices.glueDpuHour.minimumSeconds, prices.prices.redshiftServerlessRpuHour.minimumSeconds]).toEqual([
      60, 60,
    ]);
  });

  it('names the wrong field and the file for each kind of error', () => {
    expect(errorOf((p) => delete p.prices.glueDpuHour)).toBe(`${FILE}: prices.glueDpuHour is missing`);
    expect(errorOf((p) => delete p.prices.lambdaRequest.value)).toBe(
      `${FILE}: prices.lambdaRequest.value must be a number ≥ 0, got undefined`,
    );
    expect(errorOf((p) => (p.prices.lambdaArmGbSecond.value = -0.0000133334))).toBe(
      `${FILE}: prices.lambdaArmGbSecond.value must be a number ≥ 0, got -0.0000133334`,
    );
    expect(errorOf((p) => (p.prices.s3GetPer1000.value = '0.0004'))).toBe(
      `${FILE}: prices.s3GetPer1000.value must be a number ≥ 0, got "0.0004"`,
    );
    expect(errorOf((p) => (p.prices.s3GetPer1000.url = 'http://aws.amazon.com/s3/pricing/'))).toBe(
      `${FILE}: prices.s3GetPer1000.url must be an https:// address`,
    );
    expect(errorOf((p) => (p.prices.stepFunctionsStateTransition.checked = '2026-02-30'))).toBe(
      `${FILE}: prices.stepFunctionsStateTransition.checked must be a date YYYY-MM-DD, got "2026-02-30"`,
    );
    expect(errorOf((p) => (p.prices.stepFunctionsStateTransition.checked = '03/12/2026'))).toBe(
      `${FILE}: prices.stepFunctionsStateTransition.checked must be a date YYYY-MM-DD, got "03/12/2026"`,
    );
    expect(errorOf((p) => (p.checked = '2026-13-01'))).toBe(
      `${FILE}: checked must be a date YYYY-MM-DD, got "2026-13-01"`,
    );
    expect(errorOf((p) => (p.prices.glueDpuHour.minimumSeconds = 1.5))).toBe(
      `${FILE}: prices.glueDpuHour.minimumSeconds must be a whole number of seconds ≥ 0, got 1.5`,
    );
    expect(errorOf((p) => (p.prices.redshiftServerlessRpuHour.minimumSeconds = -60))).toBe(
      `${FILE}: prices.redshiftServerlessRpuHour.minimumSeconds must be a whole number of seconds ≥ 0, got -60`,
    );
    expect(errorOf((p) => (p.currency = 'EUR'))).toBe(`${FILE}: currency must be "USD", got "EUR"`);
    expect(errorOf((p) => delete p.region)).toBe(`${FILE}: region must be a non-empty string`);
    expect(errorOf((p) => (p.prices.lambdaRequest.source = ''))).toBe(
      `${FILE}: prices.lambdaRequest.source must be a non-empty string`,
    );
    expect(errorOf(() => undefined)).toBe('no error');
  });

  describe('loadPrices', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-prices-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    it('says which file cannot be read or is not JSON, and checks what it reads', () => {
      const missing = join(dir, 'none.json');
      expect(() => loadPrices(missing)).toThrow(new RegExp(`^${missing}: cannot be read \\(ENOENT`));
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"region": ');
      expect(() => loadPrices(bad)).toThrow(new RegExp(`^${bad}: is not JSON`));
      const p = raw();
      p.prices.glueDpuHour.url = 'ftp://example.com';
      const wrong = join(dir, 'wrong.json');
      writeFileSync(wrong, JSON.stringify(p));
      expect(() => loadPrices(wrong)).toThrow(`${wrong}: prices.glueDpuHour.url must be an https:// address`);
    });
  });
});

const ev = (type: string, more: Partial<HistoryEvent> = {}): HistoryEvent => ({
  timestamp: '2026-12-03T06:00:00.000Z',
  type,
  ...more,
});

describe('state transitions (Step Functions Standard)', () => {
  it("counts each item processor's states from the state machine definition", () => {
    // statemachine/ingest.asl.json: event windows = Task + Choice + Succeed; engagement and visitor lookups = one Task
    expect(itemProcessorStates()).toEqual({
      'Fetch event pages by window': 3,
      'Fetch engagement per media': 1,
      'Look up visitors by key': 1,
    });
  });

  it('counts states entered, retries and each map child (its start, its states, its retries)', () => {
    const history = {
      events: [
        ev('ExecutionStarted'), //                                                         0
        ev('StateEntered', { state: 'Plan the run' }), //                                 1
        ev('StateRetried', { state: 'Plan the run', attempt: 1 }), //                     1
        ev('StateExited', { state: 'Plan the run' }), //                                  0
        ev('StateEntered', { state: 'Fetch event pages by window' }), //                  1
        ev('MapRunStarted', { state: 'Fetch event pages by window' }), //                 0
        ev('ChildStateRetried', { child: 'c1', state: "Fetch a window's event pages" }), // 1
        ev('ChildStateFailed', { child: 'c2', state: "Fetch a window's event pages" }), //  0 (the failure is no transition)
        // a window of 2 pages: Task, Choice, Task, Choice, Succeed = 5 states entered; + 1 for the child's start
        ev('MapItemSucceeded', { state: 'Fetch event pages by window', child: 'c1', detail: { transitions: 5 } }), // 6
        // a child that failed in its first Task: 1 state entered + its start
        ev('MapItemFailed', { state: 'Fetch event pages by window', child: 'c2', detail: { transitions: 1 } }), //    2
        ev('MapRunSucceeded', { state: 'Fetch event pages by window' }), //                0
        ev('StateEntered', { state: 'Fetch engagement per media' }), //                    1
        // a history from before the runner recorded `transitions`: the item processor's 1 state + its start
        ev('MapItemSucceeded', { state: 'Fetch engagement per media', child: 'c3', detail: { index: 0 } }), //        2
        // and one of a state the definition does not hold: 1 state assumed + its start
        ev('MapItemSucceeded', { state: 'Gone', child: 'c4' }), //                                                   2
        ev('StateEntered', { state: 'Run succeeded' }), //                                 1
        ev('ExecutionSucceeded'), //                                                       0
      ],
    };
    // 1 + 1 + 1 + 1 + 6 + 2 + 1 + 2 + 2 + 1 = 18, two children estimated
    expect(countTransitions(history)).toEqual({ transitions: 18, estimatedChildren: 2 });
    // the estimate of an unrecorded child follows the definition's counts given
    expect(countTransitions(history, { 'Fetch engagement per media': 4 })).toEqual({
      transitions: 18 - 1 + 4,
      estimatedChildren: 2,
    });
    expect(countTransitions({ events: [] })).toEqual({ transitions: 0, estimatedChildren: 0 });
  });
});

const point = (name: MetricPoint['name'], value: number, dimensions: Record<string, string> = {}): MetricPoint => ({
  name,
  value,
  unit: name === 'TransformSeconds' ? 'Seconds' : 'Count',
  dimensions,
});

/** A run's execution record: 120 bronze objects; plan 2 × 0.75 s, engagement 40 invocations 30 s in all. */
const record = {
  // as EMF gives them: the total, then by entity
  metrics: [
    point('BronzePages', 120),
    point('BronzePages', 80, { entity: 'events' }),
    point('BronzePages', 40, { entity: 'medias' }),
  ],
  lambdaUsage: {
    'wistia-plan': { invocations: 2, durationMs: 1500 },
    'wistia-media-engagement': { invocations: 40, durationMs: 30_000 },
    'wistia-commit': { invocations: 1, durationMs: 250 },
  },
};

/** A transform of `seconds`, its load `load` s, into 3 tables. */
const report = (seconds: number, load: number): TransformReport => ({
  status: 'SUCCEEDED',
  run_id: 'r',
  timings: { load },
  metrics: [
    point('TransformSeconds', seconds),
    point('RowsInserted', 15),
    point('RowsInserted', 10, { table: 'dim_media' }),
    point('RowsInserted', 5, { table: 'fct_viewing_event' }),
    point('RowsInserted', 0, { table: 'dim_visitor' }),
  ],
});

const history = {
  events: [
    ev('StateEntered'),
    ev('StateEntered'),
    ev('MapItemSucceeded', { state: 'Fetch engagement per media', detail: { transitions: 1 } }),
  ],
}; // 1 + 1 + (1 + 1) = 4 transitions

const byComponent = (lines: CostLine[]) => Object.fromEntries(lines.map((l) => [l.component, l]));

describe('estimateCost', () => {
  const p = prices.prices;

  it('bills the deployed sizes (infra/constructs/sizing.ts)', () => {
    // every handler at 512 MB (the template check in infra-template.test.ts holds the stack to these figures)
    expect(Object.keys(LAMBDA_MEMORY_MB).map((d) => DEPLOYED_SIZING.lambdaMemoryMb(`wistia-${d}`))).toEqual(
      Object.values(LAMBDA_MEMORY_MB),
    );
    expect(DEPLOYED_SIZING.lambdaMemoryMb('wistia-plan')).toBe(512);
    // 2 G.1X workers of 1 DPU each; a base of 8 RPUs
    expect([DEPLOYED_SIZING.glueDpus, DEPLOYED_SIZING.baseRpus]).toEqual([2, 8]);
  });

  it("prices each line as the run's figures times the sizes, and totals the lines", () => {
    const c = estimateCost(record, report(21.3, 3.4), history, { prices, runObjects: 12 });
    const l = byComponent(c.lines);
    expect(c.lines.map((x) => x.component)).toEqual([
      'Lambda duration',
      'Lambda requests',
      'Step Functions',
      'Glue',
      'Redshift Serverless',
      'S3 PUT/COPY/POST/LIST',
      'S3 GET',
    ]);
    // Lambda: (1.5 + 30 + 0.25) s x 0.5 GB = 15.875 GB-s; 2 + 40 + 1 = 43 requests
    expect(l['Lambda duration']!.quantity).toBeCloseTo(15.875, 12);
    expect(l['Lambda requests']!.quantity).toBe(43);
    expect(l['Step Functions']!.quantity).toBe(4);
    // Glue: 21.3 s ran, 60 s billed (the minimum) x 2 DPU = 120 DPU-s = 1/30 DPU-hour
    expect(l.Glue!.quantity).toBeCloseTo(1 / 30, 12);
    expect(l.Glue!.basis).toBe('60 s billed (ran 21.3 s, minimum 60 s) x 2 DPU');
    // Redshift: a 3.4 s load, 60 s billed x 8 RPU = 480 RPU-s = 2/15 RPU-hour
    expect(l['Redshift Serverless']!.quantity).toBeCloseTo(2 / 15, 12);
    // S3: PUTs = 120 bronze + 12 run objects + (3 tables + quarantine + drift) staged = 137; GETs = 120 bronze reads
    expect(l['S3 PUT/COPY/POST/LIST']!.quantity).toBeCloseTo(0.137, 12);
    expect(l['S3 GET']!.quantity).toBeCloseTo(0.12, 12);
    // each line at its price, the total their sum
    const price = {
      'Lambda duration': p.lambdaArmGbSecond.value,
      'Lambda requests': p.lambdaRequest.value,
      'Step Functions': p.stepFunctionsStateTransition.value,
      Glue: p.glueDpuHour.value,
      'Redshift Serverless': p.redshiftServerlessRpuHour.value,
      'S3 PUT/COPY/POST/LIST': p.s3PutCopyPostListPer1000.value,
      'S3 GET': p.s3GetPer1000.value,
    } as Record<string, number>;
    for (const x of c.lines) {
      expect(x.price, x.component).toBe(price[x.component]);
      expect(x.usd, x.component).toBeCloseTo(x.quantity * x.price, 9);
    }
    // by hand at the file's prices: 15.875 x 0.0000133334 + 43 x 0.0000002 + 4 x 0.000025 + 0.44 / 30
    // + 0.375 x 2 / 15 + 0.137 x 0.005 + 0.12 x 0.0004 = 0.0658212...
    const byHand =
      15.875 * 0.0000133334 +
      43 * 0.0000002 +
      4 * 0.000025 +
      0.44 / 30 +
      (0.375 * 2) / 15 +
      0.137 * 0.005 +
      0.12 * 0.0004;
    expect(c.totalUsd).toBeCloseTo(byHand, 9);
    expect(c.totalUsd).toBeCloseTo(
      c.lines.reduce((s, x) => s + x.usd, 0),
      8,
    );
    expect(c.region).toBe('us-east-1');
    expect(c.notes).toEqual(['Redshift: the load phase at base capacity (an estimate of the busy time)']);
  });

  it('bills run times above the minimums in whole seconds', () => {
    const l = byComponent(estimateCost(record, report(125.2, 75.01), history, { prices }).lines);
    // Glue 126 s x 2 DPU; Redshift 76 s x 8 RPU
    expect(l.Glue!.quantity).toBeCloseTo((126 * 2) / 3600, 12);
    expect(l['Redshift Serverless']!.quantity).toBeCloseTo((76 * 8) / 3600, 12);
  });

  it('applies the memory of each function and the Glue and Redshift sizes given', () => {
    const sizing: Sizing = { lambdaMemoryMb: (fn) => (fn === 'wistia-plan' ? 1024 : 256), glueDpus: 10, baseRpus: 32 };
    const l = byComponent(estimateCost(record, report(30, 1), history, { prices, sizing }).lines);
    // 1.5 s x 1 GB + (30 + 0.25) s x 0.25 GB = 9.0625 GB-s
    expect(l['Lambda duration']!.quantity).toBeCloseTo(9.0625, 12);
    expect(l.Glue!.quantity).toBeCloseTo((60 * 10) / 3600, 12);
    expect(l['Redshift Serverless']!.quantity).toBeCloseTo((60 * 32) / 3600, 12);
  });

  it('leaves out what a run did not do, and says what it could not count', () => {
    const c = estimateCost({ metrics: record.metrics }, null, null, { prices });
    const l = byComponent(c.lines);
    expect(Object.keys(l)).not.toContain('Step Functions');
    for (const k of ['Lambda duration', 'Lambda requests', 'Glue', 'Redshift Serverless', 'S3 GET'])
      expect(l[k]!.quantity, k).toBe(0);
    expect(l['S3 PUT/COPY/POST/LIST']!.quantity).toBeCloseTo(0.12, 12); // the bronze objects were still written
    expect(c.notes).toEqual([
      'no lambdaUsage in the execution record: Lambda counted as 0',
      'no history: Step Functions not counted',
    ]);
    // a transform that loaded nothing: Glue billed, Redshift not
    const none: TransformReport = { status: 'FAILED', run_id: 'r', metrics: [point('TransformSeconds', 12)] };
    const m = byComponent(estimateCost(record, none, history, { prices }).lines);
    expect(m.Glue!.quantity).toBeCloseTo((60 * 2) / 3600, 12);
    expect(m['Redshift Serverless']!.quantity).toBe(0);
  });
});

describe('projectMonth and averageDaily', () => {
  it('bills the backfill once and the daily runs on the other days', () => {
    // 0.05 + 29 x 0.002 = 0.108
    expect(projectMonth(0.05, 0.002)).toEqual({
      firstRunUsd: 0.05,
      dailyRunUsd: 0.002,
      runsPerDay: 1,
      days: 30,
      totalUsd: 0.108,
    });
    // two runs a day: 0.05 + (2 x 30 - 1) x 0.002 = 0.168
    expect(projectMonth(0.05, 0.002, 2).totalUsd).toBe(0.168);
    // one day: the backfill alone; no daily runs
    expect(projectMonth(0.05, 0.002, 1, 1).totalUsd).toBe(0.05);
    expect(projectMonth(0.05, 0.002, 0).totalUsd).toBe(0.05);
    // 7 days at 4 a day: 0.01 + 27 x 0.001 = 0.037
    expect(projectMonth(0.01, 0.001, 4, 7).totalUsd).toBe(0.037);
  });

  it('says which argument is wrong', () => {
    expect(() => projectMonth(1, 1, -1)).toThrow('runsPerDay: expected ≥ 0, got -1');
    expect(() => projectMonth(1, 1, Number.NaN)).toThrow('runsPerDay: expected ≥ 0, got NaN');
    expect(() => projectMonth(1, 1, Infinity)).toThrow('runsPerDay: expected ≥ 0, got Infinity');
    expect(() => projectMonth(1, 1, 1, 0)).toThrow('days: expected a whole number ≥ 1, got 0');
    expect(() => projectMonth(1, 1, 1, 1.5)).toThrow('days: expected a whole number ≥ 1, got 1.5');
  });

  it('averages every run but the first', () => {
    expect(averageDaily([0.5, 0.01, 0.02, 0.03])).toBeCloseTo(0.02, 12);
    expect(averageDaily([0.5])).toBe(0);
    expect(averageDaily([])).toBe(0);
  });
});

it('reads the definition the runner runs', () => {
  // itemProcessorStates' default is statemachine/ingest.asl.json, counted here independently
  const def = JSON.parse(readFileSync(join(ROOT, 'statemachine', 'ingest.asl.json'), 'utf8')) as {
    States: Record<string, { ItemProcessor?: { States: Record<string, unknown> } }>;
  };
  const counts = Object.fromEntries(
    Object.entries(def.States)
      .filter(([, s]) => s.ItemProcessor)
      .map(([n, s]) => [n, Object.keys(s.ItemProcessor!.States).length]),
  );
  expect(itemProcessorStates()).toEqual(counts);
});
