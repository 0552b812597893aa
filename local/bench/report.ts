// The benchmark's report: the machine it ran on, the targets of issue 6 judged against the figures, and the
// same figures as a printed table, as JSON (bench-results/<timestamp>.json) and as BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult, RunMeasure } from './ingest.ts';
import type { OverlapResult } from './overlap.ts';
import { codeLabel, type TransformMeasure } from './transform.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly java: string;
  readonly python: string;
  /** 1, 5 and 15 minute load averages when the bench started (the machine may be shared). */
  readonly loadAtStart: number[];
}

export interface BenchSettings {
  readonly profile: string;
  readonly seed: number;
  readonly today: string;
  readonly historyDays: number;
  readonly eventsPerMediaPerDay: number;
  readonly latencyMs: number;
  readonly changedShare: number;
  /** The pipeline's budget as a share of the limit (570 of 600). */
  readonly budgetShare: number;
  readonly limit: number;
  readonly scaledLimit: number;
  readonly sizes: number[];
  /** Largest account run at the real limit (larger ones run at the scaled limit only). */
  readonly limitedMax: number;
  readonly transformSizes: number[];
}

/** The code measured: the commit, and how many files differed from it (others edit the tree meanwhile). */
export interface Source {
  readonly commit: string;
  readonly uncommittedFiles: number;
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  /** null: not measured in this run. */
  readonly met: boolean | null;
  readonly margin: string;
}

export interface BenchReport {
  readonly version: 1;
  readonly command: string;
  readonly startedAt: string;
  finishedAt: string | null;
  readonly machine: Machine;
  readonly source?: Source;
  readonly settings: BenchSettings;
  readonly scenarios: ScenarioResult[];
  /** Two executions at once on one account budget (issue 16). */
  overlap?: OverlapResult;
  readonly transform: TransformMeasure[];
  targets: Target[];
  readonly errors: string[];
  /** Observations added to a results file after the run (kept by --render). */
  readonly notes?: string[];
  /**
   * Set by `--render A --transform-from B`: the transform and load figures come from run B (its command, times and
   * load), the rest from run A. The page says so.
   */
  readonly transformRun?: {
    readonly command: string;
    readonly startedAt: string;
    readonly finishedAt: string | null;
    readonly loadAtStart: number[];
    readonly file: string;
  };
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return 'not found';
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? 'unknown';
}

export function describeMachine(python: string): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    java: firstLine('java', ['-version']),
    python: firstLine(python, ['--version']),
    loadAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function describeSource(): Source {
  const git = (args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  const status = git(['status', '--porcelain']);
  return {
    commit: head.status === 0 ? head.stdout.trim() : 'unknown',
    uncommittedFiles: status.status === 0 ? status.stdout.split('\n').filter((l) => l.trim()).length : -1,
  };
}

// ---- targets ---------------------------------------------------------------------------------------------

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const spare = (d: number, digits: number, ok: boolean, unit: string) =>
  `${d.toFixed(digits)}${unit} ${ok ? 'to spare' : 'short'}`;
const limitName = (n: number) => (n > 0 ? `${int(n)}/min` : 'no limit');
const at = (s: ScenarioResult) => `${int(s.medias)} medias @ ${limitName(s.rateLimitPerMinute)}`;

export function evaluateTargets(report: Pick<BenchReport, 'scenarios' | 'settings'>): Target[] {
  const { scenarios, settings } = report;
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
    const goal = `≥ 90% of the ${limitName(settings.limit)} limit through a full pull`;
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
        met: worst >= 0.9,
        margin: `worst ${pct(worst)} vs ≥ 90%: ${spare(Math.abs(worst - 0.9) * 100, 1, worst >= 0.9, ' points')}`,
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
    const goal = 'full pull ≤ 1.05 × the minimum the account needs';
    const full = scenarios.filter((s) => s.pipeline.ratio !== undefined);
    if (full.length === 0) out.push(notMeasured(name, goal));
    else {
      const worst = Math.max(...full.map((s) => s.pipeline.ratio as number));
      out.push({
        name,
        goal,
        measured: `worst ${worst.toFixed(3)}× (${full.map((s) => `${at(s)}: ${(s.pipeline.ratio as number).toFixed(3)}×`).join('; ')})`,
        met: worst <= 1.05,
        margin: `worst ${worst.toFixed(3)}× vs ≤ 1.05×: ${spare(Math.abs(1.05 - worst), 3, worst <= 1.05, '×')}`,
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
  return out;
}

// ---- tables ----------------------------------------------------------------------------------------------

const RUN_COLUMNS = [
  'medias',
  'limit',
  'run',
  'status',
  'requests',
  'minimum',
  'ratio',
  '429s',
  'failed items',
  'wall s',
  'accepted/min',
  'utilization',
  'over the requests',
  'peak RSS MB',
  'live heap MB',
  'vs full pull',
  'complete',
] as const;

function runRow(s: ScenarioResult, kind: string, m: RunMeasure, note: string): string[] {
  return [
    int(s.medias),
    limitName(s.rateLimitPerMinute),
    kind,
    m.status,
    int(m.requests),
    m.minimum ? int(m.minimum.total) : '–',
    m.ratio !== undefined ? `${m.ratio.toFixed(3)}×` : '–',
    String(m.rateLimited),
    kind === 'naive' ? '–' : String(m.failedItems),
    m.wallSeconds.toFixed(1),
    int(m.acceptedPerMinute),
    m.utilization !== null ? pct(m.utilization) : '–',
    m.spanUtilization ? `${pct(m.spanUtilization)} of ${m.requestSpanSeconds?.toFixed(0)} s` : '–',
    m.peakRssMb.toFixed(0),
    m.peakLiveHeapMb ? m.peakLiveHeapMb.toFixed(0) : '–',
    note,
    m.complete ? 'yes' : 'NO',
  ];
}

export function runRows(scenarios: ScenarioResult[]): string[][] {
  const rows: string[][] = [];
  for (const s of scenarios) {
    rows.push(runRow(s, 'full pull', s.pipeline, ''));
    if (s.incremental)
      rows.push(
        runRow(
          s,
          'incremental',
          s.incremental,
          `${pct(s.incremental.vsFull.requests, 2)} req, ${pct(s.incremental.vsFull.wall)} wall`,
        ),
      );
    if (s.naive) rows.push(runRow(s, 'naive', s.naive, `wall ${s.naive.wallVsPipeline.toFixed(2)}× the pipeline's`));
  }
  return rows;
}

const TRANSFORM_COLUMNS = [
  'code',
  'events',
  'medias',
  'visitors',
  'bronze objects',
  'status',
  'job s',
  'spark s',
  'load s',
  'rows loaded',
  'events/s (job)',
  'events/s (spark)',
  'rows/s (load)',
  'driver peak RSS MB',
  'job vs baseline',
] as const;

export function transformRows(t: TransformMeasure[]): string[][] {
  // the ratio to the --baseline commit's job on the same account in the same run (noise cancels in a ratio)
  const base = (m: TransformMeasure) =>
    t.find(
      (b) => b !== m && b.events === m.events && b.kind === m.kind && b.code !== 'current' && m.code === 'current',
    );
  return t.map((m) => [
    codeLabel(m, ' / '),
    int(m.events),
    int(m.medias),
    int(m.visitors),
    int(m.bronzeObjects),
    m.status,
    m.jobSeconds.toFixed(1),
    m.sparkSeconds.toFixed(1),
    m.loadSeconds.toFixed(1),
    int(m.rowsLoaded),
    int(m.eventsPerSecond),
    int(m.sparkEventsPerSecond),
    int(m.loadRowsPerSecond),
    m.driverPeakRssMb !== undefined ? int(m.driverPeakRssMb) : '–',
    base(m) ? `${(m.jobSeconds / (base(m) as TransformMeasure).jobSeconds).toFixed(2)}×` : '–',
  ]);
}

export function textTable(columns: readonly string[], rows: string[][]): string {
  const w = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < 3 || /^[A-Za-z]/.test(c) ? c.padEnd(w[i] ?? 0) : c.padStart(w[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(columns), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(fmt)].join('\n');
}

function mdTable(columns: readonly string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${columns.map(esc).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

const mark = (t: Target) => (t.met === null ? '–' : t.met ? 'met' : 'NOT met');

const OVERLAP_COLUMNS = [
  'execution',
  'status',
  'requests',
  'wall s',
  'failed items',
  'complete',
  'worst rolling minute',
  '429s',
];

/** The overlap scenario's rows: one per execution, then both together. */
export function overlapRows(o: OverlapResult): string[][] {
  return [
    ...o.executions.map((e) => [
      e.label,
      e.status,
      int(e.requests),
      e.wallSeconds.toFixed(1),
      int(e.failedItems),
      e.complete ? 'yes' : 'NO',
      '',
      '',
    ]),
    [
      'both together',
      o.executions.every((e) => e.status === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED',
      int(o.requests),
      o.wallSeconds.toFixed(1),
      int(o.executions.reduce((a, e) => a + e.failedItems, 0)),
      o.executions.every((e) => e.complete) ? 'yes' : 'NO',
      `${int(o.worstRollingMinute)}${o.rateLimitPerMinute > 0 ? ` (limit ${int(o.rateLimitPerMinute)})` : ''}`,
      int(o.rateLimited),
    ],
  ];
}

export function printable(r: BenchReport): string {
  const parts = [
    'Ingestion (simulator over HTTP, fixed latency; requests, 429s from the simulator; wall and peak RSS of the run’s own process)',
    textTable(RUN_COLUMNS, runRows(r.scenarios)),
  ];
  if (r.overlap)
    parts.push(
      '',
      'Two executions at once, one account budget (simulator at the limit; requests per execution from its own clients)',
      textTable(OVERLAP_COLUMNS, overlapRows(r.overlap)),
    );
  if (r.transform.length)
    parts.push(
      '',
      'Transform + load (Glue job entry on local Spark, fresh JVM per size; load into embedded PostgreSQL)',
      textTable(TRANSFORM_COLUMNS, transformRows(r.transform)),
    );
  parts.push(
    '',
    'Targets',
    textTable(
      ['target', 'goal', 'result', 'margin', 'measured'],
      r.targets.map((t) => [t.name, t.goal, mark(t), t.margin, t.measured]),
    ),
  );
  if (r.errors.length) parts.push('', 'Errors', ...r.errors.map((e) => `  ${e}`));
  return parts.join('\n');
}

export function markdown(r: BenchReport, jsonPath: string): string {
  const s = r.settings;
  const m = r.machine;
  const limited = s.sizes.filter((n) => n <= s.limitedMax);
  const scaledOnly = s.sizes.filter((n) => n > s.limitedMax);
  const lines = [
    '# Benchmarks',
    '',
    `One run of \`${r.command}\`, ${r.startedAt.slice(0, 16).replace('T', ' ')} to ${(r.finishedAt ?? 'unfinished').slice(0, 16).replace('T', ' ')} UTC`,
    `(profile \`${s.profile}\`; the figures as JSON: \`${jsonPath}\`, not committed). Regenerate this page from a`,
    'results file with `npx wistia-pipeline bench --render <file.json>`.',
    ...(r.transformRun
      ? [
          '',
          `The transform and load section comes from another run, \`${r.transformRun.command}\`, ` +
            `${r.transformRun.startedAt.slice(0, 16).replace('T', ' ')} to ${(r.transformRun.finishedAt ?? 'unfinished').slice(0, 16).replace('T', ' ')} UTC ` +
            `(load average at its start ${r.transformRun.loadAtStart.join(', ')}; \`${r.transformRun.file}\`), rendered with \`--transform-from\`.`,
        ]
      : []),
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpu}, ${m.cores} cores; memory ${m.memoryGb} GB; ${m.os}`,
    `- Node ${m.node}; ${m.java}; ${m.python}`,
    ...(r.source
      ? [
          `- Code: commit ${r.source.commit}${r.source.uncommittedFiles > 0 ? ` with ${r.source.uncommittedFiles} files changed or added in the working tree (work in progress by others)` : ''}`,
        ]
      : []),
    `- Load average when the run started: ${m.loadAtStart.join(', ')}. The machine is shared (other engineers run`,
    '  tests and Spark on the same 2 cores during the run): wall times and rates are noisy, request counts are not.',
    '',
    '## Targets',
    '',
    mdTable(
      ['target', 'goal', 'result', 'by how much', 'measured'],
      r.targets.map((t) => [t.name, t.goal, `**${mark(t)}**`, t.margin, t.measured]),
    ),
    '',
    '## Ingestion',
    '',
    `Simulator over real HTTP on loopback: seed ${s.seed}, today ${s.today}, ${s.historyDays} days of history,`,
    `${s.eventsPerMediaPerDay} viewing events per media per day (visitors and events proportional to the medias),`,
    `${s.latencyMs} ms latency on every request. Limits: ${limitName(s.limit)} (Wistia's) for ${limited.map(int).join(', ') || 'no'} medias, and`,
    `${limitName(s.scaledLimit)} (to measure the pipeline's own overhead) for ${s.sizes.map(int).join(', ')} medias.` +
      (scaledOnly.length
        ? ` ${scaledOnly.map(int).join(', ')} medias ran at the scaled limit only: a full pull of ${int(Math.max(...scaledOnly))} medias at ${limitName(s.limit)} takes about ${Math.round((r.scenarios.find((x) => x.medias === Math.max(...scaledOnly))?.pipeline.requests ?? 0) / s.limit)} minutes by the request count alone.`
        : ''),
    `The pipeline's budget is ${pct(s.budgetShare, 0)} of the limit (ACCOUNT_REQUESTS_PER_MINUTE, ${Math.round(s.limit * s.budgetShare)} for ${s.limit}).`,
    '',
    mdTable(RUN_COLUMNS, runRows(r.scenarios)),
    '',
    '- **full pull**: a first run of the state machine (backfill of the two years the API keeps), with the same',
    '  handler code as the Lambdas and a no-op Glue step, in a process of its own.',
    '- **minimum**: medias list pages + 1 (the account’s stats by date) + event pages per window + 3 per media needing',
    '  engagement (stats by date, engagement, lifetime stats) + the cheaper of visitor lookups and a visitor scan +',
    '  projects list pages, from the simulator’s truth',
    '  (`local/bench/minimum.ts`; n items cost ⌊n/100⌋ + 1 pages). **ratio** = requests / minimum.',
    '- **accepted/min** = requests the API accepted per minute of the run’s wall time; **utilization** = that / the limit' +
      ' (the target is judged on it); **over the requests** = the same rate from the run’s first request to its last' +
      ' (the simulator’s clock) / the limit: the gap between the two is time with no request in flight (startup, plan, commit).',
    `- **incremental**: the next day, on which ${pct(s.changedShare, 0)} of the medias changed (plays, or an update for images; the`,
    '  simulator’s `activeMediaShare`) and no media was added; **vs full pull** = its requests and wall time / the full pull’s.',
    '- **naive**: `local/bench/naive.ts`, a sequential extractor as typical open-source ones are written (axios, one',
    '  request at a time, sleep on 429 for Retry-After), fetching the same data; **vs full pull** = its wall / the pipeline’s.',
    '- **complete**: every media, event (distinct keys), stats, engagement and visitor the simulator holds was landed',
    '  (incremental: stats and engagement of exactly the medias that changed).',
    '- **peak RSS**: `process.resourceUsage().maxRSS` of the run’s own process (the simulator runs in the parent);',
    '  **live heap**: the largest `heapUsed` right after a full GC (`--expose-gc`, sampled every 2 s): what the run holds.',
  ];
  const phased = r.scenarios.filter((x) => x.rateLimitPerMinute === s.limit && x.pipeline.phases?.length);
  if (phased.length)
    lines.push(
      '',
      `### Where a full pull's requests went at ${limitName(s.limit)}`,
      '',
      'Phase by phase, from the simulator’s request log: seconds from the run’s first request, and the rate between',
      `the phase’s first and last request against the pipeline’s budget (${Math.round(s.limit * s.budgetShare)}/min). Gaps between phases`,
      'are the states in between (plans, the item files); ADR 5 says where the rest goes.',
      '',
      mdTable(
        ['medias', 'phase', 'endpoints', 'requests', 'from s', 'to s', 'per minute', 'of the budget'],
        phased.flatMap((x) =>
          (x.pipeline.phases ?? []).map((p) => [
            int(x.medias),
            p.phase,
            p.routes.map((route) => `\`${route}\``).join(' '),
            int(p.requests),
            p.fromSeconds.toFixed(1),
            p.toSeconds.toFixed(1),
            int(p.perMinute),
            pct(p.perMinute / (s.limit * s.budgetShare)),
          ]),
        ),
      ),
    );
  if (r.overlap)
    lines.push(
      '',
      '### Two executions at once on one account budget',
      '',
      `A full pull (a first run, on a data dir of its own) and a daily run (on a data dir a full pull brought to the`,
      `day before) start at the same moment against one simulator at ${limitName(r.overlap.rateLimitPerMinute)} with ${r.overlap.latencyMs} ms latency,`,
      `both drawing on one account budget of ${int(r.overlap.budgetPerMinute)}/min (one budget file, as the RequestBudget table is in AWS;`,
      'docs/adr/0021). **requests**: each execution’s own clients’ count; **worst rolling minute**: the most requests the',
      'simulator received in any 60 s, both together. Within one data dir the run lease (ADR 14) still refuses a second',
      'execution: the two are two deployments on one Wistia account.',
      '',
      mdTable(OVERLAP_COLUMNS, overlapRows(r.overlap)),
    );
  if (r.transform.length)
    lines.push(
      '',
      '## Transform and load',
      '',
      'Bronze landed straight from the simulator’s world (same layout as a run), then the Glue job entry',
      '(`pyspark/glue_job.py`) on local Spark in a fresh JVM per size, loading the embedded PostgreSQL' +
        (r.transform[0]?.driverMemory ? ` (driver memory ${r.transform[0].driverMemory}).` : '.') +
        ' **job s** includes',
      'the JVM’s start; **spark s** = read + validate, quality gate and star transforms; **load s** = the guarded',
      'MERGE into PostgreSQL; **rows loaded** = rows inserted or updated over all tables. A **warm day** row: a',
      'daily run’s size transformed and loaded three times by one worker (one JVM, as the local runner keeps it);',
      'job s = the last run, rows loaded = the first’s (the later runs change no row).',
      '',
      mdTable(TRANSFORM_COLUMNS, transformRows(r.transform)),
    );
  if (r.notes?.length) lines.push('', '## What the figures say', '', ...r.notes.map((n) => `- ${n}`));
  if (r.errors.length) lines.push('', '## Errors', '', ...r.errors.map((e) => `- ${e}`));
  return `${lines.join('\n')}\n`;
}
