// The benchmark's figures rendered: the table printed at the end of a run and BENCHMARKS.md, from one results file.
import type { ScenarioResult, RunMeasure } from './ingest.ts';
import type { OverlapResult } from './overlap.ts';
import { codeLabel, type TransformMeasure } from './transform.ts';
import { int, limitName, pct } from './format.ts';
import type { BenchReport, Target } from './report.ts';

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
