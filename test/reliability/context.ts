// The reliability suite's shared state (test/reliability.test.ts): its profile, the tokens, the data dirs, the
// simulators, the one Spark worker, what the CLI printed, and the runs it is made of (in-process days, the CLI as
// its own OS process).
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startSimulator, type WistiaSimulator } from '#local/simulator/server.ts';
import { type MisbehaveOptions } from '#local/simulator/misbehave.ts';
import { TransformWorker } from '#local/transform.ts';
import { tempDir } from '../helpers/pipeline.ts';
import {
  postmasterOf,
  profile,
  spawnCli,
  stopProcess,
  todayOf,
  type Cli,
  type DayRun,
  type Proc,
} from '../helpers/reliability.ts';

export const P = profile();
export const TOKEN = `rel-${randomBytes(12).toString('hex')}`;
export const ROTATED = `rel-rotated-${randomBytes(12).toString('hex')}`;
export const FIRST_DAY = '2026-11-20';
const made: Partial<Record<'faulty' | 'reference' | 'bad' | 'empty', string>> = {};
/** The suite's data dirs, each made when a part first asks for it (a file runs some of the parts). */
export const dirs = {
  get faulty(): string {
    return (made.faulty ??= tempDir('wp-rel-faulty-'));
  },
  get reference(): string {
    return (made.reference ??= tempDir('wp-rel-ref-'));
  },
  get bad(): string {
    return (made.bad ??= tempDir('wp-rel-bad-'));
  },
  get empty(): string {
    return (made.empty ??= tempDir('wp-rel-empty-'));
  },
};
/** The data dirs this file's parts made. */
export const usedDirs = (): string[] => Object.values(made);
/** Everything the CLI printed (its handlers log at DEBUG), for the token scan. */
export const outputs: string[] = [];
/** Processes a killed runner left behind: stopped at the end, by pid. */
export const leftovers: Proc[] = [];
const sims: WistiaSimulator[] = [];
// a live binding, set by useSuiteHooks' beforeAll
export let worker: TransformWorker;

/** The suite's hooks: one Spark worker for every in-process run; everything stopped and removed at the end. */
export function useSuiteHooks(): void {
  beforeAll(() => {
    worker = new TransformWorker(); // one Spark JVM for every in-process run of the suite
  });

  afterAll(async () => {
    await worker?.close();
    for (const s of sims) await s.close();
    for (const d of usedDirs()) {
      const pg = postmasterOf(d);
      if (pg) await stopProcess(pg, 'SIGINT'); // fast shutdown of each warehouse, whoever started it
    }
    for (const p of leftovers) await stopProcess(p);
    if (!process.env.WISTIA_RELIABILITY_KEEP) for (const d of usedDirs()) rmSync(d, { recursive: true, force: true });
  }, 120_000);
}

const account = {
  seed: P.seed,
  medias: P.medias,
  today: FIRST_DAY,
  historyDays: P.historyDays,
  eventsPerMediaPerDay: P.eventsPerMediaPerDay,
  rateLimitPerMinute: 0,
};

export async function simulator(opts: Partial<Parameters<typeof startSimulator>[0]> = {}): Promise<WistiaSimulator> {
  const s = await startSimulator({ ...account, token: TOKEN, ...opts });
  sims.push(s);
  return s;
}

export const watermarkBytes = (dir: string) => readFileSync(join(dir, 'store', 'state', 'watermarks.json'));
export const succeeded = (r: DayRun) => [r.record.status, r.record.error, r.transform?.status];
/** The week's records served with a defect (issue 12): the same ones, the same way, in the faulty and the clean week. */
export const MISBEHAVE: MisbehaveOptions = { rate: 0.03, seed: 11 };
/** Above the default 5 %: a small account's day has few medias, and one bad engagement body of ten is 10 %. */
export const WEEK_THRESHOLD = 0.25;

export function cliRun(dir: string, sim: WistiaSimulator, token: string): Cli {
  const cli = spawnCli(
    [
      'run',
      '--api-base-url',
      sim.baseUrl,
      '--today',
      todayOf(sim),
      '--data-dir',
      dir,
      '--budget',
      '60000',
      '--quarantine-threshold',
      String(WEEK_THRESHOLD),
    ],
    { WISTIA_API_TOKEN: token },
  );
  void cli.exited.then(() => outputs.push(cli.output().stdout, cli.output().stderr));
  return cli;
}
