// The targets of issues 6 and 16 judged against a run's figures: each one met, not met, or not measured in this run,
// with the margin and the figures it was judged on.
import type { ScenarioResult } from './ingest.ts';
import { int, limitName, pct } from './format.ts';
import type { BenchReport, Target } from './report.ts';

const spare = (d: number, digits: number, ok: boolean, unit: string) =>
  `${d.toFixed(digits)}${unit} ${ok ? 'to spare' : 'short'}`;
const at = (s: ScenarioResult) => `${int(s.medias)} medias @ ${limitName(s.rateLimitPerMinute)}`;

/** Issue 16's targets (issue 6 asked for 90 % and 1.05 ×). */
export const UTILIZATION_TARGET = 0.92;
export const REQUEST_RATIO_TARGET = 1.02;

export function evaluateTargets(report: Pick<BenchReport, 'scenarios' | 'settings' | 'overlap'>): Target[] {
  const { scenarios, settings } = report;
  const U = UTILIZATION_TARGET;
  const R = REQUEST_RATIO_TARGET;
  const out: Target[] = [];
  const notMeasured = (name: string, goal: string): Target => ({
    name,
    goal,
    measured: 'not measured in this run',
    met: null,
    margin: '',
  });

  // 1. the rate limit sustained through a full pull
  {
    const name = 'Rate limit sustained';
    const goal = `≥ ${pct(U, 0)} of the ${limitName(settings.limit)} limit through a full pull`;
    const real = scenarios.filter((s) => s.rateLimitPerMinute === settings.limit && s.pipeline.utilization !== null);
    if (real.length === 0) out.push(notMeasured(name, goal));
    else {
      const worst = Math.min(...real.map((s) => s.pipeline.utilization as number));
      out.push({
        name,
        goal,
        measured: real
          .map(
            (s) =>
              `${at(s)}: ${pct(s.pipeline.utilization as number)}` +
              (s.pipeline.spanUtilization
                ? ` (${pct(s.pipeline.spanUtilization)} from its first request to its last)`
                : ''),
          )
          .join('; '),
        met: worst >= U,
        margin: `worst ${pct(worst)} vs ≥ ${pct(U, 0)}: ${spare(Math.abs(worst - U) * 100, 1, worst >= U, ' points')}`,
      });
    }
  }

  // 2. no tripping the limit, no failed item
  {
    const name = 'Steady at the limit';
    const goal = '< 1% of requests answered 429, no failed map item, every run SUCCEEDED';
    const runs = scenarios.flatMap((s) => [s.pipeline, ...(s.incremental ? [s.incremental] : [])]);
    if (runs.length === 0) out.push(notMeasured(name, goal));
    else {
      const worst = Math.max(...runs.map((r) => r.rateLimitedShare));
      const r429 = runs.reduce((a, r) => a + r.rateLimited, 0);
      const failed = runs.reduce((a, r) => a + r.failedItems, 0);
      const bad = runs.filter((r) => r.status !== 'SUCCEEDED').length;
      const met = worst < 0.01 && failed === 0 && bad === 0;
      out.push({
        name,
        goal,
        measured: `${r429} × 429 over ${runs.length} pipeline runs (worst ${pct(worst, 2)}), ${failed} failed items, ${bad} failed runs`,
        met,
        margin: `worst ${pct(worst, 2)} 429s vs < 1%, ${failed} failed items vs 0`,
      });
    }
  }

  // 3. economical with requests
  {
    const name = 'Requests near the minimum';
    const goal = `full pull ≤ ${R.toFixed(2)} × the minimum the account needs`;
    const full = scenarios.filter((s) => s.pipeline.ratio !== undefined);
    if (full.length === 0) out.push(notMeasured(name, goal));
    else {
      const worst = Math.max(...full.map((s) => s.pipeline.ratio as number));
      out.push({
        name,
        goal,
        measured: `worst ${worst.toFixed(3)}× (${full.map((s) => `${at(s)}: ${(s.pipeline.ratio as number).toFixed(3)}×`).join('; ')})`,
        met: worst <= R,
        margin: `worst ${worst.toFixed(3)}× vs ≤ ${R.toFixed(2)}×: ${spare(Math.abs(R - worst), 3, worst <= R, '×')}`,
      });
    }
  }

  // 4. the incremental day
  {
    const name = 'Incremental day';
    const goal = `with ${pct(settings.changedShare, 0)} of medias changed, ≤ 5% of the full pull's requests`;
    const inc = scenarios.filter((s) => s.incremental);
    if (inc.length === 0) out.push(notMeasured(name, goal));
    else {
      const worst = Math.max(...inc.map((s) => s.incremental?.vsFull.requests ?? 0));
      out.push({
        name,
        goal,
        measured: inc
          .map(
            (s) =>
              `${at(s)}: ${s.incremental?.requests} of ${s.pipeline.requests} = ${pct(s.incremental?.vsFull.requests ?? 0, 2)}`,
          )
          .join('; '),
        met: worst <= 0.05,
        margin: `worst ${pct(worst, 2)} vs ≤ 5%: ${spare(Math.abs(0.05 - worst) * 100, 2, worst <= 0.05, ' points')}`,
      });
    }
  }

  // 5. memory flat in the account size: the limit with the widest range of sizes
  {
    const name = 'Peak memory flat';
    const goal = 'peak RSS of the largest account ≤ 1.25 × the smallest (streamed pages, not whole accounts)';
    const byLimit = new Map<number, ScenarioResult[]>();
    for (const s of scenarios) byLimit.set(s.rateLimitPerMinute, [...(byLimit.get(s.rateLimitPerMinute) ?? []), s]);
    const span = (l: ScenarioResult[]) =>
      Math.max(...l.map((s) => s.medias)) / Math.max(1, Math.min(...l.map((s) => s.medias)));
    const best = [...byLimit.values()].filter((l) => l.length > 1).sort((a, b) => span(b) - span(a))[0];
    if (!best) out.push(notMeasured(name, goal));
    else {
      const sorted = [...best].sort((a, b) => a.medias - b.medias);
      const small = sorted[0] as ScenarioResult;
      const large = sorted[sorted.length - 1] as ScenarioResult;
      const growth = large.pipeline.peakRssMb / small.pipeline.peakRssMb;
      out.push({
        name,
        goal,
        measured: `${sorted.map((s) => `${int(s.medias)} medias: ${s.pipeline.peakRssMb.toFixed(0)} MB`).join(', ')} (@ ${limitName(small.rateLimitPerMinute)})`,
        met: growth <= 1.25,
        margin: `${growth.toFixed(2)}× from ${int(small.medias)} to ${int(large.medias)} medias vs ≤ 1.25×: ${spare(Math.abs(1.25 - growth), 2, growth <= 1.25, '×')}`,
      });

      // What the run holds (the heap after a full GC), beside RSS (which also counts garbage not yet collected).
      const lh = (x: ScenarioResult) => x.pipeline.peakLiveHeapMb;
      if (lh(small) && lh(large)) {
        const g = (lh(large) as number) / (lh(small) as number);
        out.push({
          name: 'Live heap flat',
          goal: 'the largest live heap (after a full GC, sampled every 2 s) of the largest account ≤ 1.25 × the smallest',
          measured: `${sorted.map((x) => `${int(x.medias)} medias: ${lh(x)?.toFixed(0) ?? '–'} MB`).join(', ')} (@ ${limitName(small.rateLimitPerMinute)})`,
          met: g <= 1.25,
          margin: `${g.toFixed(2)}× from ${int(small.medias)} to ${int(large.medias)} medias vs ≤ 1.25×: ${spare(Math.abs(1.25 - g), 2, g <= 1.25, '×')}`,
        });
      }
    }
  }

  // 6. faster than the usual way
  {
    const name = 'Faster than a naive extractor';
    const goal = 'pipeline wall time < the naive sequential extractor’s on the same account';
    const n = scenarios.filter((s) => s.naive);
    if (n.length === 0) out.push(notMeasured(name, goal));
    else {
      const worst = Math.min(...n.map((s) => s.naive?.wallVsPipeline ?? 0));
      out.push({
        name,
        goal,
        measured: n.map((s) => `${at(s)}: ${(s.naive?.wallVsPipeline ?? 0).toFixed(2)}×`).join('; '),
        met: worst > 1,
        margin: `worst ${worst.toFixed(2)}× vs > 1×: ${spare(Math.abs(worst - 1), 2, worst > 1, '×')}`,
      });
    }
  }

  // 7. two executions at once on one account budget (issue 16)
  {
    const name = 'Two executions at once';
    const goal = 'together ≤ the limit in every rolling minute, 0 × 429, both SUCCEEDED and complete';
    const o = report.overlap;
    if (!o) out.push(notMeasured(name, goal));
    else {
      const done = o.executions.filter((e) => e.status === 'SUCCEEDED' && e.complete).length;
      const met = o.worstRollingMinute <= o.rateLimitPerMinute && o.rateLimited === 0 && done === o.executions.length;
      out.push({
        name,
        goal,
        measured: `${o.executions.map((e) => `${e.label} ${e.status}${e.complete ? '' : ' incomplete'}`).join(', ')}; worst rolling minute ${int(o.worstRollingMinute)}, ${o.rateLimited} × 429`,
        met,
        margin: `worst minute ${int(o.worstRollingMinute)} vs ≤ ${int(o.rateLimitPerMinute)}: ${int(Math.abs(o.rateLimitPerMinute - o.worstRollingMinute))} ${o.worstRollingMinute <= o.rateLimitPerMinute ? 'to spare' : 'over'}`,
      });
    }
  }
  return out;
}
