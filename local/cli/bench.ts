// `wistia-pipeline bench` (`npm run bench`): ingestion against the simulator's rate limit (full pull, an
// incremental day, a naive sequential extractor on the same account), then transform + load times; prints a
// table and writes bench-results/<timestamp>.json and BENCHMARKS.md.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { addNaive, runScenario, type IngestScenario } from '../bench/ingest.ts';
import { runOverlapScenario } from '../bench/overlap.ts';
import {
  baselineCode,
  benchTransform,
  benchWarmDay,
  transformLine,
  type TransformMeasure,
} from '../bench/transform.ts';
import { describeMachine, describeSource, type BenchReport, type BenchSettings } from '../bench/report.ts';
import { markdown, printable } from '../bench/render.ts';
import { evaluateTargets } from '../bench/targets.ts';
import { pythonPath, ROOT } from '../transform.ts';
import { EXIT, num, UsageError, type Command } from './command.ts';

const PROFILES = {
  full: { sizes: [100, 1000, 10_000], limitedMax: 1000, transformSizes: [10_000, 100_000, 1_000_000] },
  quick: { sizes: [50, 200], limitedMax: 200, transformSizes: [10_000] },
} as const;

const BASE = {
  seed: 42,
  today: '2026-11-20',
  historyDays: 365,
  eventsPerMediaPerDay: 0.2,
  changedShare: 0.01,
  budgetShare: 0.95,
};

function sizesOf(v: unknown, name: string): number[] {
  if (typeof v !== 'string') throw new UsageError(`--${name}: expected a comma-separated list of integers`);
  const out = v.split(',').map((x) => x.trim().replace(/_/g, ''));
  return out.map((x) => {
    const n = Number(x);
    if (x === '' || !Number.isInteger(n) || n < 1 || n > 10_000_000)
      throw new UsageError(`--${name}: expected positive integers separated by commas, got "${x}" in "${v}"`);
    return n;
  });
}

function write(report: BenchReport, jsonPath: string, mdPath: string | undefined): void {
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  if (mdPath) writeFileSync(mdPath, markdown(report, relative(ROOT, jsonPath)));
}

export const benchCommand: Command = {
  summary: 'benchmarks: ingestion against the rate limit, incremental day, naive extractor, transform + load',
  usage:
    'wistia-pipeline bench [--profile full|quick] [--sizes N,…] [--limit PER_MINUTE] [--scaled-limit PER_MINUTE]\n' +
    '                      [--limited-max N] [--latency-ms MS] [--skip-naive] [--skip-overlap] [--skip-ingest]\n' +
    '                      [--skip-transform]\n' +
    '                      [--transform-sizes N,…] [--baseline GIT-REF] [--out DIR] [--markdown FILE|none]\n' +
    '       wistia-pipeline bench --render FILE.json [--markdown FILE]\n\n' +
    'For each account size (medias; visitors and events proportional), against the simulator with a fixed latency:\n' +
    "a full pull by the pipeline (the local state machine, no transform) at Wistia's limit (--limit, 600/min) for\n" +
    'sizes up to --limited-max and at --scaled-limit (60,000/min: the pipeline’s own overhead) for all, the next day\n' +
    'with 1% of medias changed, and a naive sequential extractor of the same data; then a full pull and a daily run\n' +
    'at once on one account budget at --limit (the largest size up to --limited-max). Each run is a child process\n' +
    '(peak RSS is its own). Then the transform + load for --transform-sizes events, and of a daily run’s size on a\n' +
    'warm worker (three runs in one JVM; --baseline REF: REF’s job too, in the same run). Profiles: full (100, 1,000,\n' +
    '10,000 medias; 10k, 100k, 1M events; 3-4 h on 2 busy cores) and quick (50, 200 medias; 10k events; 10-15 min).\n' +
    'Writes <out>/<timestamp>.json (default bench-results/) and, for the full profile, BENCHMARKS.md (--markdown).\n' +
    '--render regenerates the markdown from a results file without running anything (--transform-from takes the\n' +
    'transform and load figures from another results file, and the page says so).',
  options: {
    profile: {
      type: 'string',
      default: 'full',
      choices: Object.keys(PROFILES),
      description: 'what to run: full (3-4 h) or quick (10-15 min), their sizes in the notes below',
    },
    sizes: {
      type: 'string',
      value: 'N,…',
      description: "account sizes in medias, comma-separated (default: the profile's)",
    },
    limit: {
      type: 'string',
      value: 'PER_MINUTE',
      default: '600',
      description: "Wistia's rate limit, requests per minute",
    },
    'scaled-limit': {
      type: 'string',
      value: 'PER_MINUTE',
      default: '60000',
      description: "a rate limit high enough to measure the pipeline's own overhead, per minute",
    },
    'limited-max': {
      type: 'string',
      value: 'N',
      description: 'the largest size also run at --limit (default: 1000 for the full profile, 200 for quick)',
    },
    'latency-ms': {
      type: 'string',
      value: 'MS',
      default: '150',
      description: "the simulator's latency on every request, in ms",
    },
    'skip-naive': { type: 'boolean', default: false, description: 'do not run the naive sequential extractor' },
    'skip-overlap': {
      type: 'boolean',
      default: false,
      description: 'do not run two executions at once on one account budget',
    },
    'skip-transform': { type: 'boolean', default: false, description: 'do not measure the transform + load' },
    'skip-ingest': { type: 'boolean', default: false, description: 'do not measure the ingestion (no --sizes)' },
    'transform-sizes': {
      type: 'string',
      value: 'N,…',
      description: "transform + load sizes in events, comma-separated (default: the profile's)",
    },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'bench-results',
      description: 'the folder of the results file <timestamp>.json',
    },
    markdown: {
      type: 'string',
      value: 'FILE|none',
      description: 'the markdown page to write, or none (default: BENCHMARKS.md for the full profile, else none)',
    },
    render: {
      type: 'string',
      value: 'FILE.json',
      description: 'regenerate the markdown (default: BENCHMARKS.md) from this results file, running nothing',
    },
    'transform-from': {
      type: 'string',
      value: 'FILE.json',
      description: 'with --render: take the transform and load figures from this other results file',
    },
    baseline: {
      type: 'string',
      value: 'GIT-REF',
      description: 'a git ref whose Glue job is measured too, in the same run, for a ratio (e.g. a commit)',
    },
  },
  async run(v) {
    if (typeof v.render === 'string') {
      const file = resolve(v.render);
      let report: BenchReport;
      try {
        report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
      } catch (e) {
        throw new UsageError(`--render: cannot read ${file}: ${(e as Error).message}`);
      }
      if (report.version !== 1 || !Array.isArray(report.scenarios))
        throw new UsageError(`--render: ${file} is not a bench results file`);
      if (typeof v['transform-from'] === 'string') {
        const other = resolve(v['transform-from']);
        let t: BenchReport;
        try {
          t = JSON.parse(readFileSync(other, 'utf8')) as BenchReport;
        } catch (e) {
          throw new UsageError(`--transform-from: cannot read ${other}: ${(e as Error).message}`);
        }
        if (t.version !== 1 || !Array.isArray(t.transform) || t.transform.length === 0)
          throw new UsageError(`--transform-from: ${other} holds no transform results`);
        report = {
          ...report,
          transform: t.transform,
          transformRun: {
            command: t.command,
            startedAt: t.startedAt,
            finishedAt: t.finishedAt,
            loadAtStart: t.machine.loadAtStart,
            file: relative(ROOT, other),
          },
        };
      }
      report.targets = evaluateTargets(report);
      const md = resolve(typeof v.markdown === 'string' ? v.markdown : join(ROOT, 'BENCHMARKS.md'));
      writeFileSync(md, markdown(report, relative(ROOT, file)));
      process.stdout.write(`${printable(report)}\n\nwrote ${md}\n`);
      return EXIT.ok;
    }
    const profileName = String(v.profile);
    if (!(profileName in PROFILES)) throw new UsageError(`--profile: expected full or quick, got "${profileName}"`);
    const profile = PROFILES[profileName as keyof typeof PROFILES];
    const sizes = v['skip-ingest'] ? [] : v.sizes !== undefined ? sizesOf(v.sizes, 'sizes') : [...profile.sizes];
    const limit = num(v, 'limit', { min: 1, int: true });
    const scaledLimit = num(v, 'scaled-limit', { min: 1, int: true });
    const limitedMax =
      v['limited-max'] !== undefined ? num(v, 'limited-max', { min: 0, int: true }) : profile.limitedMax;
    const latencyMs = num(v, 'latency-ms', { min: 0, max: 10_000 });
    const transformSizes = v['skip-transform']
      ? []
      : v['transform-sizes'] !== undefined
        ? sizesOf(v['transform-sizes'], 'transform-sizes')
        : [...profile.transformSizes];
    const outDir = resolve(String(v.out));
    const mdOption = typeof v.markdown === 'string' ? v.markdown : profileName === 'full' ? 'BENCHMARKS.md' : 'none';
    const mdPath = mdOption === 'none' ? undefined : resolve(mdOption);
    const python = transformSizes.length ? pythonPath() : 'python3';

    const settings: BenchSettings = {
      profile: profileName,
      ...BASE,
      latencyMs,
      limit,
      scaledLimit,
      sizes,
      limitedMax,
      transformSizes,
    };
    const startedAt = new Date().toISOString();
    mkdirSync(outDir, { recursive: true });
    const jsonPath = join(outDir, `${startedAt.replace(/[:.]/g, '-')}.json`);
    const report: BenchReport = {
      version: 1,
      command: `npx wistia-pipeline bench ${process.argv.slice(3).join(' ')}`.trim(),
      startedAt,
      finishedAt: null,
      machine: describeMachine(python),
      source: describeSource(),
      settings,
      scenarios: [],
      transform: [],
      targets: [],
      errors: [],
    };
    const say = (l: string) => process.stderr.write(`[bench] ${l}\n`);
    const save = () => {
      report.targets = evaluateTargets(report);
      write(report, jsonPath, mdPath);
    };
    say(`results: ${jsonPath}${mdPath ? ` and ${mdPath}` : ''}`);

    const plan: IngestScenario[] = [];
    for (const [rate, list] of [
      [limit, sizes.filter((n) => n <= limitedMax)],
      [scaledLimit, sizes],
    ] as const)
      for (const medias of list)
        plan.push({
          ...BASE,
          medias,
          rateLimitPerMinute: rate,
          budgetPerMinute: Math.floor(rate * BASE.budgetShare),
          latencyMs,
          naive: v['skip-naive'] !== true,
          incremental: true,
        });
    // The naive extractor of the accounts too large for the real limit is the longest step (one request at a
    // time): it runs last, so that everything else is measured (and saved) first.
    const deferred: number[] = [];
    for (const s of plan) {
      const defer = s.naive && s.medias > limitedMax;
      try {
        report.scenarios.push(await runScenario({ ...s, naive: s.naive && !defer }, say));
        if (defer) deferred.push(report.scenarios.length - 1);
      } catch (e) {
        report.errors.push(`${s.medias} medias @ ${s.rateLimitPerMinute}/min: ${(e as Error).message}`);
        say(`FAILED: ${(e as Error).message}`);
      }
      save();
    }
    // two executions at once on one account budget (issue 16): the largest size measured at the real limit
    const overlapSize = Math.max(0, ...sizes.filter((n) => n <= limitedMax));
    if (overlapSize > 0 && v['skip-overlap'] !== true) {
      const s = plan.find((p) => p.medias === overlapSize && p.rateLimitPerMinute === limit);
      try {
        if (s) report.overlap = await runOverlapScenario({ ...s, naive: false }, say);
      } catch (e) {
        report.errors.push(`overlap scenario, ${overlapSize} medias @ ${limit}/min: ${(e as Error).message}`);
        say(`FAILED: ${(e as Error).message}`);
      }
      save();
    }
    // --baseline REF: the same sizes through REF's job too, in this run, for a before/after ratio
    const codes = [...(typeof v.baseline === 'string' ? [baselineCode(v.baseline)] : []), undefined];
    const measure = async (what: string, code: (typeof codes)[number], f: () => Promise<TransformMeasure>) => {
      say(`transform + load of ${what} (${code?.label ?? 'current'} code)…`);
      try {
        const m = await f();
        report.transform.push(m);
        say(`  ${transformLine(m)}`);
      } catch (e) {
        report.errors.push(`transform of ${what} (${code?.label ?? 'current'}): ${(e as Error).message}`);
        say(`FAILED: ${(e as Error).message}`);
      }
      save();
    };
    for (const n of transformSizes)
      for (const code of codes) await measure(`about ${n} events`, code, () => benchTransform(n, code));
    // a daily run's size on a warm worker (issue 13's "warm incremental day"), each code in the same run
    if (transformSizes.length)
      for (const code of codes) await measure("a daily run's size on a warm worker", code, () => benchWarmDay(code));
    // the baseline's extracted code (its pyspark/ and sql/ under one temporary directory) is not kept
    for (const code of codes) if (code) rmSync(dirname(code.dir), { recursive: true, force: true });
    for (const i of deferred) {
      const r = report.scenarios[i];
      const s = plan.find((p) => p.medias === r?.medias && p.rateLimitPerMinute === r?.rateLimitPerMinute);
      if (!r || !s) continue;
      try {
        report.scenarios[i] = await addNaive(s, r, say);
      } catch (e) {
        report.errors.push(
          `naive extractor, ${s.medias} medias @ ${s.rateLimitPerMinute}/min: ${(e as Error).message}`,
        );
        say(`FAILED: ${(e as Error).message}`);
      }
      save();
    }
    report.finishedAt = new Date().toISOString();
    save();
    process.stdout.write(
      `\n${printable(report)}\n\nwrote ${relative(process.cwd(), jsonPath)}${mdPath ? ` and ${relative(process.cwd(), mdPath)}` : ''}\n`,
    );
    const failed =
      report.errors.length > 0 ||
      report.scenarios.some((s) => [s.pipeline, s.incremental, s.naive].some((m) => m && m.status !== 'SUCCEEDED')) ||
      (report.overlap?.executions.some((e) => e.status !== 'SUCCEEDED') ?? false) ||
      report.transform.some((t) => t.status !== 'SUCCEEDED');
    return failed ? EXIT.failed : EXIT.ok;
  },
};
