// The benchmark's report: what a results file (bench-results/<timestamp>.json) holds, and the machine and code it
// ran on. The targets of issue 6 are judged in targets.ts; the printed table and BENCHMARKS.md are rendered in
// render.ts.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from './ingest.ts';
import type { OverlapResult } from './overlap.ts';
import type { TransformMeasure } from './transform.ts';

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
