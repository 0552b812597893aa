// The bench's targets judged from figures (issue 16's: ≥ 92 % of the limit, ≤ 1.02 × the minimum requests, two
// executions at once under the limit in every rolling minute with 0 × 429, both complete).
import { describe, expect, it } from 'vitest';
import type { OverlapExecution, OverlapResult } from '../local/bench/overlap.ts';
import { worstRollingMinute } from '../local/bench/overlap.ts';
import type { BenchSettings } from '../local/bench/report.ts';
import { evaluateTargets } from '../local/bench/targets.ts';
import type { ScenarioResult } from '../local/bench/ingest.ts';

const settings: BenchSettings = {
  profile: 'test',
  seed: 1,
  today: '2026-12-01',
  historyDays: 30,
  eventsPerMediaPerDay: 1,
  latencyMs: 150,
  changedShare: 0.01,
  budgetShare: 0.95,
  limit: 600,
  scaledLimit: 60_000,
  sizes: [1000],
  limitedMax: 1000,
  transformSizes: [],
};

const run = (utilization: number, ratio: number) =>
  ({
    status: 'SUCCEEDED',
    requests: 3507,
    rateLimited: 0,
    rateLimitedShare: 0,
    failedItems: 0,
    utilization,
    ratio,
  }) as unknown as ScenarioResult['pipeline'];

const scenario = (utilization: number, ratio: number): ScenarioResult =>
  ({ medias: 1000, rateLimitPerMinute: 600, pipeline: run(utilization, ratio) }) as unknown as ScenarioResult;

const execution = (label: string, over: Partial<OverlapExecution> = {}): OverlapExecution => ({
  label,
  status: 'SUCCEEDED',
  requests: 100,
  wallSeconds: 10,
  failedItems: 0,
  complete: true,
  ...over,
});

const overlap = (over: Partial<OverlapResult> = {}): OverlapResult => ({
  medias: 1000,
  rateLimitPerMinute: 600,
  budgetPerMinute: 570,
  latencyMs: 150,
  executions: [execution('full pull'), execution('daily run')],
  requests: 200,
  rateLimited: 0,
  worstRollingMinute: 572,
  wallSeconds: 20,
  ...over,
});

const judged = (scenarios: ScenarioResult[], o?: OverlapResult) =>
  Object.fromEntries(evaluateTargets({ scenarios, settings, ...(o ? { overlap: o } : {}) }).map((t) => [t.name, t]));

describe('bench targets (issue 16)', () => {
  it('needs 92 % of the limit and at most 1.02 × the minimum requests', () => {
    expect(judged([scenario(0.947, 1.0)])['Rate limit sustained']?.met).toBe(true);
    expect(judged([scenario(0.919, 1.0)])['Rate limit sustained']?.met).toBe(false);
    expect(judged([scenario(0.92, 1.0)])['Rate limit sustained']?.margin).toBe(
      'worst 92.0% vs ≥ 92%: 0.0 points to spare',
    );
    expect(judged([scenario(0.95, 1.02)])['Requests near the minimum']?.met).toBe(true);
    expect(judged([scenario(0.95, 1.021)])['Requests near the minimum']?.met).toBe(false);
  });

  it('judges two executions at once: under the limit every minute, no 429, both complete', () => {
    expect(judged([])['Two executions at once']?.met).toBeNull();
    const ok = judged([], overlap())['Two executions at once'];
    expect(ok?.met).toBe(true);
    expect(ok?.margin).toBe('worst minute 572 vs ≤ 600: 28 to spare');
    expect(ok?.measured).toBe('full pull SUCCEEDED, daily run SUCCEEDED; worst rolling minute 572, 0 × 429');
    expect(judged([], overlap({ worstRollingMinute: 601 }))['Two executions at once']?.met).toBe(false);
    expect(judged([], overlap({ rateLimited: 1 }))['Two executions at once']?.met).toBe(false);
    const incomplete = overlap({ executions: [execution('full pull', { complete: false }), execution('daily run')] });
    expect(judged([], incomplete)['Two executions at once']?.met).toBe(false);
    const failed = overlap({ executions: [execution('full pull'), execution('daily run', { status: 'FAILED' })] });
    expect(judged([], failed)['Two executions at once']?.measured).toContain('daily run FAILED');
    expect(judged([], failed)['Two executions at once']?.met).toBe(false);
  });

  it('counts the worst rolling minute over [t, t + 60 s)', () => {
    expect(worstRollingMinute([])).toBe(0);
    expect(worstRollingMinute([0, 59_999, 60_000])).toBe(2);
    expect(worstRollingMinute([60_000, 0, 30_000, 89_999, 120_000])).toBe(3);
  });
});
