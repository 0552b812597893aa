// `wistia-pipeline status`: recent executions (most recent first), the watermarks and the warehouse's row counts.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '#shared/store/s3-store.ts';
import { gatherStatus, type ExecutionSummary, type StatusReport } from '../ops/status.ts';
import { gatherAwsStatus } from '../ops/sfn.ts';
import { formatMs } from '../ops/graph.ts';
import { PricesError } from '../ops/cost.ts';
import { EXIT, num, UsageError, type Command } from './command.ts';
import { awsExecutionOptions, dataDirOption } from './options.ts';

/** --state-machine-arn, else WISTIA_STATE_MACHINE_ARN (the stack's output). */
export function stateMachineArn(v: Record<string, string | boolean | undefined>): string {
  const arn =
    typeof v['state-machine-arn'] === 'string' ? v['state-machine-arn'] : process.env.WISTIA_STATE_MACHINE_ARN;
  if (!arn)
    throw new UsageError('--aws needs --state-machine-arn (or WISTIA_STATE_MACHINE_ARN): see the stack outputs');
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/.test(arn))
    throw new UsageError(
      `--state-machine-arn: expected arn:aws:states:<region>:<account>:stateMachine:<name>, got "${arn}"`,
    );
  return arn;
}

const dash = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
const shortTime = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

function table(header: string[], rows: string[][], right: Set<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function executionRows(xs: ExecutionSummary[]): string[] {
  const rows = xs.map((x) => [
    x.id,
    x.status,
    shortTime(x.startedAt),
    shortTime(x.stoppedAt),
    x.durationMs === null ? '-' : formatMs(x.durationMs),
    String(x.itemsSucceeded),
    String(x.itemsFailed),
    x.itemsAborted + x.itemsPending ? String(x.itemsAborted + x.itemsPending) : '0',
    dash(x.requests),
    dash(x.rowsInserted),
    dash(x.rowsUpdated),
  ]);
  const lines = table(
    [
      'execution',
      'status',
      'started',
      'ended',
      'duration',
      'items ok',
      'failed',
      'not run',
      'requests',
      'rows ins',
      'upd',
    ],
    rows,
    new Set([4, 5, 6, 7, 8, 9, 10]),
  );
  // The reason of each failure right under its row.
  const out = lines.slice(0, 2);
  xs.forEach((x, i) => {
    out.push(lines[i + 2] as string);
    if (x.error) out.push(`    ${x.error}: ${(x.cause ?? '').replace(/\s+/g, ' ').slice(0, 160)}`);
    else if (x.transform === 'FAILED')
      out.push('    the transform reported FAILED (see runs/<execution>/transform.json)');
  });
  return out;
}

/** USD with six decimals (a run costs fractions of a cent). */
export const usd = (v: number) => `$${v.toFixed(6)}`;

function metricsRows(xs: ExecutionSummary[]): string[] {
  const rows = xs.map((x) => {
    const m = x.metrics;
    return [
      x.id,
      dash(m?.requests),
      dash(m?.retries),
      dash(m?.rateLimited),
      dash(m?.recordsLanded),
      dash(m?.recordsQuarantined),
      m?.quarantineShare === null || m?.quarantineShare === undefined
        ? '-'
        : `${(100 * m.quarantineShare).toFixed(1)}%`,
      m?.transformSeconds === null || m?.transformSeconds === undefined ? '-' : m.transformSeconds.toFixed(1),
    ];
  });
  return table(
    ['execution', 'requests', 'retries', '429s', 'records landed', 'quarantined', 'share', 'transform s'],
    rows,
    new Set([1, 2, 3, 4, 5, 6, 7]),
  );
}

/** Components of the cost table, in order: the estimate's lines grouped by service. */
const COST_COLUMNS: [string, (component: string) => boolean][] = [
  ['lambda', (c) => c.startsWith('Lambda')],
  ['step functions', (c) => c === 'Step Functions'],
  ['glue', (c) => c === 'Glue'],
  ['redshift', (c) => c === 'Redshift Serverless'],
  ['s3', (c) => c.startsWith('S3')],
];

function costRows(xs: ExecutionSummary[]): string[] {
  const rows = xs.map((x) => {
    const c = x.cost;
    if (!c) return [x.id, ...COST_COLUMNS.map(() => '-'), '-'];
    const cell = (f: (component: string) => boolean) =>
      usd(c.lines.filter((l) => f(l.component)).reduce((s, l) => s + l.usd, 0));
    return [x.id, ...COST_COLUMNS.map(([, f]) => cell(f)), usd(c.totalUsd)];
  });
  return table(
    ['execution', ...COST_COLUMNS.map(([h]) => h), 'total'],
    rows,
    new Set(COST_COLUMNS.map((_, i) => i + 1).concat(COST_COLUMNS.length + 1)),
  );
}

export function formatStatus(r: StatusReport): string {
  const out: string[] = [r.stateMachineArn ? `State machine ${r.stateMachineArn}` : `Data dir ${r.dataDir}`, ''];
  const total = r.totalExecutions === null ? 'more in AWS' : String(r.totalExecutions);
  out.push(
    r.executions.length
      ? `Executions (most recent first, ${r.executions.length} of ${total}):`
      : 'Executions: none yet (run `wistia-pipeline run` or `demo`).',
  );
  if (r.executions.length) out.push(...executionRows(r.executions).map((l) => `  ${l}`));
  if (r.executions.some((x) => x.metrics)) {
    out.push('', 'Run metrics (contracts/metrics.json; quarantined and transform s from the transform):');
    out.push(...metricsRows(r.executions).map((l) => `  ${l}`));
  }
  const priced = r.executions.find((x) => x.cost);
  if (priced?.cost) {
    out.push(
      '',
      `Cost in AWS per execution (an estimate, USD, ${priced.cost.region} list prices checked ${priced.cost.pricesChecked}, config/prices.json):`,
    );
    out.push(...costRows(r.executions).map((l) => `  ${l}`));
    const notes = [...new Set(r.executions.flatMap((x) => x.cost?.notes ?? []))];
    for (const n of notes) out.push(`  note: ${n}`);
  }
  const p = r.projection;
  if (p) {
    out.push(
      '',
      `Projection over ${p.days} days (USD): ${p.firstRun} once as the backfill (${usd(p.firstRunUsd)}), then ` +
        `${p.runsPerDay * p.days - 1} daily runs at the average of the ${p.dailyRuns} later executions (${usd(p.dailyRunUsd)}):`,
    );
    const rows = COST_COLUMNS.map(([h, f]) => [
      h,
      usd(
        Object.entries(p.byComponent)
          .filter(([c]) => f(c))
          .reduce((s, [, v]) => s + v, 0),
      ),
    ]);
    out.push(...table(['component', 'usd'], [...rows, ['total', usd(p.totalUsd)]], new Set([1])).map((l) => `  ${l}`));
  }
  const last = r.executions.find((x) => x.records);
  if (last?.records) {
    // what each entity's records became in the latest run that loaded (issue 12)
    out.push('', `Records of ${last.id} (served = loaded + quarantined + deduplicated + skipped):`);
    const rows = Object.entries(last.records).map(([e, c]) => [
      e,
      String(c.served),
      String(c.loaded),
      String(c.quarantined),
      c.served ? `${((100 * c.quarantined) / c.served).toFixed(1)}%` : '-',
      String(c.deduplicated),
      String(c.skipped),
    ]);
    out.push(
      ...table(
        ['entity', 'served', 'loaded', 'quarantined', 'share', 'deduplicated', 'skipped'],
        rows,
        new Set([1, 2, 3, 4, 5, 6]),
      ).map((l) => `  ${l}`),
    );
  }
  const found = r.executions.find((x) => x.findings);
  if (found?.findings?.length) {
    // issue 17: what the audit reported without failing the run (the account's days against its medias')
    out.push('', `Findings of ${found.id} (reported, not failures):`);
    for (const f of found.findings) out.push(`  ${f.table}: ${f.detail}`);
  }
  out.push('', 'Watermarks (state/watermarks.json):');
  const w = r.watermarks;
  if (!w && r.stateMachineArn) out.push('  not read: give --bucket (the pipeline bucket) to read them from S3');
  else if (!w) out.push('  none yet: no run has committed');
  else {
    out.push(
      `  events through       ${dash(w.events?.throughDay)} (newest event received ${dash(w.events?.maxReceivedAt)})`,
      `  medias updated up to ${dash(w.medias?.maxUpdated)}`,
      `  visitors (estimate)  ${dash(w.visitors?.estimatedTotal)}`,
      `  carried over         ${w.carryOver?.medias.length ?? 0} medias, ${w.carryOver?.visitors.length ?? 0} visitors`,
      `  last commit          ${dash(w.lastRun?.runId)} at ${dash(w.lastRun?.committedAt)}`,
    );
  }
  out.push('', `Warehouse (schema analytics${r.warehouse.dir ? `, ${r.warehouse.dir}` : ''}):`);
  if (r.tables) {
    const rows = Object.entries(r.tables).map(([t, n]) => [t, String(n)]);
    out.push(...table(['table', 'rows'], rows, new Set([1])).map((l) => `  ${l}`));
  } else if ('message' in r.warehouse) out.push(`  ${r.warehouse.state}: ${r.warehouse.message}`);
  return `${out.join('\n')}\n`;
}

export const statusCommand: Command = {
  summary: 'recent executions, watermarks and warehouse row counts of a data dir',
  usage:
    'wistia-pipeline status [--data-dir DIR] [--limit N] [--json] [--no-warehouse]\n' +
    '                       [--cost [--prices FILE] [--project DAYS]]\n' +
    '                       [--aws --state-machine-arn ARN [--region R] [--bucket BUCKET]]\n\n' +
    'Lists the most recent executions first (id, start, end, status, map items succeeded / failed / not run,\n' +
    'Wistia requests, warehouse rows inserted / updated by its load), the current watermarks and the row count\n' +
    'of every table of schema analytics (starting the local warehouse if needed; --no-warehouse skips it), and\n' +
    "each execution's run metrics (requests, retries, 429s, records landed, quarantined, transform seconds).\n" +
    '--cost adds what each execution would cost in AWS (local/ops/cost.ts, prices from config/prices.json or\n' +
    '--prices FILE): Lambda, Step Functions, Glue, Redshift Serverless, S3, and the total. --project DAYS adds\n' +
    'what DAYS days would cost: the oldest execution once (the backfill), then one run a day at the average of\n' +
    'the later ones (all executions of the data dir, whatever --limit).\n' +
    'Default data dir: .data/demo. --json prints one object:\n' +
    '  {"dataDir", "executions": [{"id", "status", "startedAt", "stoppedAt", "durationMs", "itemsSucceeded",\n' +
    '    "itemsFailed", "itemsAborted", "itemsPending", "requests", "rowsLoaded", "rowsInserted", "rowsUpdated",\n' +
    '    "quarantined", "records", "findings", "transform", "error", "cause", "maps", "metrics", "cost" (with --cost:\n' +
    '    {"region", "pricesChecked", "lines": [{"component", "quantity", "unit", "price", "usd", "basis"}],\n' +
    '    "totalUsd", "notes"})}], "totalExecutions", "watermarks", "projection" (with --project: {"days",\n' +
    '    "runsPerDay", "firstRun", "firstRunUsd", "dailyRuns", "dailyRunUsd", "totalUsd", "byComponent"}),\n' +
    '   "tables": {"<table>": rows} | null, "warehouse": {"state": "ok" | "none" | "unavailable" | "skipped", …}}\n' +
    'With --aws: the executions of the state machine (--state-machine-arn or WISTIA_STATE_MACHINE_ARN) from Step\n' +
    'Functions with their map items, and the watermarks from --bucket (or WISTIA_BUCKET) if given.\n' +
    'Exit codes: 0 ok (also when the warehouse is missing or cannot start: "warehouse" says why), 2 bad usage\n' +
    '(e.g. no such data dir), 3 a prices file that is not usable (the message names the field).',
  options: {
    'data-dir': dataDirOption(),
    limit: {
      type: 'string',
      value: 'N',
      default: '10',
      description: 'how many executions to list, newest first (1 to 1000)',
    },
    json: {
      type: 'boolean',
      default: false,
      description: 'print one JSON object (its fields below) instead of tables',
    },
    'no-warehouse': {
      type: 'boolean',
      default: false,
      description: "skip the warehouse's row counts (no PostgreSQL started)",
    },
    cost: { type: 'boolean', default: false, description: 'add what each execution would cost in AWS' },
    prices: {
      type: 'string',
      value: 'FILE',
      description: 'with --cost: the prices file (default: config/prices.json)',
    },
    project: {
      type: 'string',
      value: 'DAYS',
      description: 'with --cost: what this many days would cost, a backfill then a run a day (1 to 3660)',
    },
    ...awsExecutionOptions,
    bucket: {
      type: 'string',
      value: 'BUCKET',
      description: "with --aws: the pipeline's bucket, for the watermarks (default: WISTIA_BUCKET; none: not read)",
    },
  },
  async run(v, positionals) {
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const limit = num(v, 'limit', { min: 1, max: 1000, int: true });
    if (v.aws && v.cost) throw new UsageError('--cost reads a local data dir: it cannot be used with --aws');
    if (v.project !== undefined && v.cost !== true) throw new UsageError('--project needs --cost');
    const projectDays = v.project === undefined ? undefined : num(v, 'project', { min: 1, max: 3660, int: true });
    if (v.aws) {
      const arn = stateMachineArn(v);
      const region = typeof v.region === 'string' ? { region: v.region } : {};
      const bucket = typeof v.bucket === 'string' ? v.bucket : process.env.WISTIA_BUCKET;
      const report = await gatherAwsStatus({
        sfn: new SFNClient(region),
        stateMachineArn: arn,
        limit: Math.min(limit, 100),
        ...(bucket ? { store: new S3ObjectStore(new S3Client(region), bucket) } : {}),
      });
      process.stdout.write(v.json === true ? `${JSON.stringify(report)}\n` : formatStatus(report));
      return EXIT.ok;
    }
    const dataDir = resolve(String(v['data-dir']));
    if (!existsSync(dataDir))
      throw new UsageError(`no data dir at ${dataDir} (run "wistia-pipeline demo" first, or pass --data-dir)`);
    let report: StatusReport;
    try {
      report = await gatherStatus({
        dataDir,
        limit,
        warehouse: v['no-warehouse'] !== true,
        cost: v.cost === true,
        ...(typeof v.prices === 'string' ? { pricesFile: resolve(v.prices) } : {}),
        ...(projectDays !== undefined ? { projectDays } : {}),
      });
    } catch (e) {
      if (!(e instanceof PricesError)) throw e;
      process.stderr.write(`status: the prices are not usable: ${e.message}\n`);
      return EXIT.config;
    }
    process.stdout.write(v.json === true ? `${JSON.stringify(report)}\n` : formatStatus(report));
    return EXIT.ok;
  },
};
