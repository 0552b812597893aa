// wistia-pipeline: the command line of the local twin (and of operators' tools).
import { resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { WistiaError } from '#shared/wistia/errors.ts';
import { envToken } from '#shared/wistia/token.ts';
import { DEFAULT_SIMULATOR_TOKEN, WistiaSimulator } from '../simulator/server.ts';
import { printCostSummary, printDaySummary, runDays } from './run.ts';
import { LocalWarehouse, WarehouseUnavailableError } from '../warehouse/postgres.ts';
import {
  apiBaseUrlOf,
  EXIT,
  isoDay,
  num,
  parseCommand,
  UsageError,
  type Command,
  type Options,
  type OptionSpec,
} from './command.ts';
import { statusCommand } from './status.ts';
import { replayCommand } from './replay.ts';
import { graphCommand } from './graph.ts';
import { dashboardCommand } from './dashboard.ts';
import { benchCommand } from './bench.ts';
import { buildSimulator, recordSimulator, simulatorOptions } from './simulate.ts';
import { dataDirOption, pipelineOptions, pipelineSettings } from './options.ts';
import { dataDirPaths } from '../data-dir.ts';

export { EXIT } from './command.ts';

const DAYS: OptionSpec = {
  type: 'string',
  value: 'N',
  default: '1',
  description: 'how many days to run, one execution a day (1 to 366; above 1 needs --simulate: its clock moves a day)',
};

/** run's and demo's own options (demo: always against the simulator, into a fresh data dir). */
const runOwnOptions: Options = {
  simulate: {
    type: 'boolean',
    default: false,
    description: 'run against an in-process Wistia API simulator (with the simulator options) instead of the API',
  },
  days: DAYS,
  ...pipelineOptions,
  'full-refresh': {
    type: 'boolean',
    default: false,
    description: "ignore the watermarks: pull everything again as a first run does (the API's two years)",
  },
  'fail-medias': {
    type: 'string',
    value: 'K',
    default: '0',
    description: 'with --simulate: this many medias fail (HTTP 500) on every request, for replay to fetch later',
  },
};

/** The simulator's options as run takes them: with --simulate only. */
const withSimulate = (o: Options): Options =>
  Object.fromEntries(
    Object.entries(o).map(([k, x]) => [k, { ...x, description: `with --simulate: ${x.description}` }]),
  );

const runOptions: Options = {
  ...runOwnOptions,
  'data-dir': dataDirOption('.data'),
  ...withSimulate(simulatorOptions),
  today: {
    type: 'string',
    value: 'YYYY-MM-DD',
    description: "the run's day, YYYY-MM-DD (default: today's UTC date); with --simulate the simulator's first day",
  },
};

/** `beforeStart`: called once the options are checked, before anything is written (demo clears its data dir). */
async function runCommand(v: Record<string, string | boolean | undefined>, beforeStart?: () => void): Promise<number> {
  const days = num(v, 'days', { min: 1, max: 366, int: true });
  const dataDir = String(v['data-dir'] ?? '.data');
  const settings = pipelineSettings(v);
  let sim: WistiaSimulator | undefined;
  let token = envToken();
  let apiBaseUrl = apiBaseUrlOf(v);
  if (v.simulate) {
    sim = buildSimulator(v);
    const failing = num(v, 'fail-medias', { min: 0, int: true });
    if (failing > 0) {
      // Medias whose stats keep failing (HTTP 500) on every run of this command: their items end in the FAILED
      // manifests, for `replay` to fetch later against a healed simulator.
      const victims = sim.world.visibleMedias().slice(0, failing);
      sim.configure({ failMedias: Object.fromEntries(victims.map((m) => [m.hashedId, 500])) });
      process.stderr.write(`simulator: ${victims.length} medias fail permanently (--fail-medias)\n`);
    }
    beforeStart?.();
    recordSimulator(dataDir, sim);
    await sim.listen();
    apiBaseUrl = sim.baseUrlFor(process.env.WISTIA_API_VERSION);
    const simToken = sim.config.token;
    token = async () => simToken;
    process.stderr.write(
      `simulator: ${apiBaseUrl} (seed ${String(v.seed)}, ${String(v.medias)} medias, today ${String((sim.state() as { today: string }).today)}, rate limit ${String(v['rate-limit'])}/min)\n`,
    );
  } else {
    if (days > 1)
      throw new UsageError(
        '--days above 1 needs --simulate (against a real API each run is one day: schedule it daily)',
      );
    await token(); // a missing token stops the run before it starts, naming the variable
  }
  // Without --simulate, --today is the run's day (re-running a day); with it, the simulator's first day.
  const today = !sim && typeof v.today === 'string' ? isoDay('today', v.today) : undefined;
  try {
    const results = await runDays({
      dataDir,
      days,
      sim,
      apiBaseUrl,
      token,
      today,
      fullRefresh: v['full-refresh'] === true,
      ...settings,
    });
    printDaySummary(results, dataDir);
    await printCostSummary(dataDir);
    return results.every((r) => r.record.status === 'SUCCEEDED') && results.length === days ? EXIT.ok : EXIT.failed;
  } finally {
    await sim?.close();
  }
}

function printRows(rows: Record<string, unknown>[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(no rows)\n');
    return;
  }
  const cols = Object.keys(rows[0] as object);
  const cell = (v: unknown) =>
    v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = cols.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (vals: string[]) => vals.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(cols)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => cell(r[c])))}\n`);
  process.stdout.write(`(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
}

export const COMMANDS: Record<string, Command> = {
  status: statusCommand,
  replay: replayCommand,
  graph: graphCommand,
  dashboard: dashboardCommand,
  bench: benchCommand,
  simulator: {
    summary: 'serve the Wistia API simulator on loopback',
    usage:
      'wistia-pipeline simulator [--port P] [--seed S] [--medias N] [--token T] [--rate-limit PER_MINUTE] [--legacy-rate-limit]\n' +
      '                          [--faults RATE] [--fault-kinds 500,502,503,504,429,slow,reset,truncated] [--latency-ms MS]\n' +
      '                          [--today YYYY-MM-DD] [--history-days D] [--events-per-media-per-day X] [--live-ms-per-request MS]\n' +
      '                          [--bad-records RATE]\n\n' +
      "--bad-records serves that share of each entity's records with one defect each (a key missing, a time that does\n" +
      'not parse, a number as a string, another type, an unknown field, a null, a value out of range), seeded by --seed.\n' +
      `The token is --token, else WISTIA_API_TOKEN, else the local default "${DEFAULT_SIMULATOR_TOKEN}".\n` +
      'Control endpoints: GET /__sim/state, GET /__sim/counters, POST /__sim/counters/reset, POST /__sim/advance?days=N, POST /__sim/config.',
    options: {
      port: {
        type: 'string',
        value: 'P',
        default: '8600',
        description: 'the loopback port to listen on (0: any free port)',
      },
      token: {
        type: 'string',
        value: 'T',
        description: `the API token it accepts (default: WISTIA_API_TOKEN, else "${DEFAULT_SIMULATOR_TOKEN}")`,
      },
      ...simulatorOptions,
    },
    async run(v) {
      const sim = buildSimulator(v, typeof v.token === 'string' ? v.token : undefined);
      const port = num(v, 'port', { min: 0, max: 65535, int: true });
      try {
        await sim.listen(port);
      } catch (e) {
        if ((e as { code?: string }).code === 'EADDRINUSE') {
          process.stderr.write(`port ${port} is busy: pick another with --port\n`);
          return EXIT.config;
        }
        throw e;
      }
      const st = sim.state() as Record<string, unknown>;
      process.stdout.write(
        `Wistia API simulator listening on ${sim.baseUrl}\n  today ${String(st.today)}: ${String(st.medias)} medias, ${String(st.events)} events, ${String(st.visitors)} visitors\n  token: ${v.token ? 'from --token' : process.env.WISTIA_API_TOKEN ? 'from WISTIA_API_TOKEN' : `the local default (${DEFAULT_SIMULATOR_TOKEN})`}\n  Ctrl-C to stop.\n`,
      );
      await new Promise<void>((r) => {
        process.once('SIGINT', r);
        process.once('SIGTERM', r);
      });
      await sim.close();
      return EXIT.ok;
    },
  },
  run: {
    summary: 'run the ingestion state machine locally (one day, or --days N against the simulator)',
    usage:
      'wistia-pipeline run [--simulate [simulator options]] [--days N] [--api-base-url URL] [--data-dir DIR] [--full-refresh] [--budget PER_MINUTE]\n' +
      '                    [--company-hosts HOST,…] [--hash-pii] [--quarantine-threshold SHARE] [--today YYYY-MM-DD]\n\n' +
      'Executes statemachine/ingest.asl.json with the same handler code as the Lambdas. Without --simulate it reads\n' +
      'WISTIA_API_TOKEN, WISTIA_API_VERSION (v1, the default, or a dated release YYYY-MM of the modern API) and\n' +
      "WISTIA_API_BASE_URL (default Wistia's for the version), and --today is the run's day\n" +
      "(default: today's UTC date; with --simulate it is the simulator's first day). --budget is the account's\n" +
      'request budget per minute shared by all concurrent map items (Wistia allows 600). Each run ends with the\n' +
      'transform (PySpark) and the load into the local warehouse under <data dir>/warehouse; --company-hosts names\n' +
      'the company site for the website channel, --hash-pii stores ip and email as SHA-256, and\n' +
      "--quarantine-threshold (default 0.05) is the share of an entity's records a run may quarantine before the\n" +
      'quality gate fails it and nothing is published.',
    options: runOptions,
    run: (v) => runCommand(v),
  },
  sql: {
    summary: 'query the local warehouse (starting it if needed)',
    usage:
      'wistia-pipeline sql [--data-dir DIR] [--json] "SELECT …"\n\nThe schema is analytics (dim_project, dim_media, dim_visitor, dim_date, fct_viewing_event, fct_media_engagement, …).',
    options: {
      'data-dir': dataDirOption(),
      json: { type: 'boolean', default: false, description: 'print the rows as one JSON array instead of a table' },
    },
    async run(v, positionals) {
      const text = positionals.join(' ').trim();
      if (!text)
        throw new UsageError(
          'give the SQL to run, e.g. wistia-pipeline sql "SELECT COUNT(*) FROM analytics.fct_viewing_event"',
        );
      const wh = await new LocalWarehouse(resolve(String(v['data-dir']))).start();
      try {
        printRows(await wh.query(text), v.json === true);
        return EXIT.ok;
      } catch (e) {
        if (e instanceof WarehouseUnavailableError) throw e;
        process.stderr.write(`sql: ${(e as Error).message}\n`);
        return EXIT.failed;
      } finally {
        await wh.stop();
      }
    },
  },
  demo: {
    summary: 'the main job: a simulated week of production, end to end',
    usage:
      'wistia-pipeline demo [--days N] [simulator options] [--data-dir DIR]\n\nSame as: run --simulate --days 7 --data-dir .data/demo (a fresh data dir each time).',
    options: {
      ...runOwnOptions,
      simulate: { type: 'boolean', default: false, description: 'always on for demo (accepted, as run takes it)' },
      days: { ...DAYS, default: '7' },
      'data-dir': {
        ...dataDirOption(),
        description: `${dataDirOption().description}; its store and warehouse are cleared first`,
      },
      ...simulatorOptions,
    },
    async run(v) {
      const dir = resolve(String(v['data-dir']));
      // the previous demo is cleared only once the options are known good: a typo keeps it
      return runCommand({ ...v, simulate: true }, () => {
        rmSync(dataDirPaths(dir).store, { recursive: true, force: true });
        rmSync(dataDirPaths(dir).warehouse, { recursive: true, force: true });
      });
    },
  },
};

/** The order of --help: the everyday commands first. */
const ORDER = ['demo', 'run', 'status', 'graph', 'replay', 'dashboard', 'sql', 'bench', 'simulator'];

function help(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'wistia-pipeline: Wistia analytics to a warehouse (local twin and operator tools)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS)
      .sort(([a], [b]) => ORDER.indexOf(a) - ORDER.indexOf(b))
      .map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    'Run "wistia-pipeline <command> --help" for a command\'s options.',
    `Exit codes: ${EXIT.ok} ok, ${EXIT.failed} run failed, ${EXIT.usage} bad usage, ${EXIT.config} configuration error, ${EXIT.api} Wistia API error.`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`unknown command "${name}"\n\n${help()}\n`);
    return EXIT.usage;
  }
  try {
    const { help: usage, values, positionals } = parseCommand(name, cmd, rest);
    if (usage !== null) {
      process.stdout.write(usage);
      return EXIT.ok;
    }
    return await cmd.run(values, positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${name}: ${(e as Error).message}\nRun "wistia-pipeline ${name} --help".\n`);
      return EXIT.usage;
    }
    if (e instanceof WistiaError) {
      process.stderr.write(`${name} failed: ${e.name}: ${e.message}\n`);
      return e.name === 'WistiaConfigError' ? EXIT.config : EXIT.api;
    }
    process.stderr.write(`${name} failed: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failed;
  }
}
