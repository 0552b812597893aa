// `wistia-pipeline replay <execution>`: fetch again only the map items an execution failed on, then transform,
// load and commit as if they had never failed. Locally: a new execution of the state machine with input
// {replay: "<execution>"} (the plan reads the original's ResultWriter manifests). Against AWS (--aws): redrive
// the execution where Step Functions allows it, else start that replay execution in the account.
import { resolve } from 'node:path';
import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { envToken, type TokenSource } from '#shared/wistia/token.ts';
import { readWatermarks } from '#shared/pipeline/watermarks.ts';
import { localStore, runPipeline, type ExecutionRecord } from '../runner/run.ts';
import { localGlue, TransformWorker, type TransformReport } from '../transform.ts';
import { LocalWarehouse } from '../warehouse/postgres.ts';
import type { WistiaSimulator } from '../simulator/server.ts';
import { apiBaseUrlOf, EXIT, UsageError, type Command } from './command.ts';
import { findExecution, UnknownExecutionError, unfinishedItems } from '../ops/catalog.ts';
import { recordedSimulator } from './simulate.ts';
import { dataDirPaths } from '../data-dir.ts';
import { awsExecutionOptions, dataDirOption, pipelineOptions, pipelineSettings } from './options.ts';

/** An ended execution of the data dir by reference (a name or latest-failed); unknown ones are a usage error. */
async function findLocal(dataDir: string, ref: string): Promise<ExecutionRecord> {
  try {
    return (await findExecution(localStore(resolve(dataDir)), ref, dataDirPaths(dataDir).runs)).record;
  } catch (e) {
    if (e instanceof UnknownExecutionError) throw new UsageError(e.message);
    throw e;
  }
}

export { unfinishedItems };

export interface ReplayResult {
  readonly original: ExecutionRecord;
  readonly record: ExecutionRecord;
  readonly transform: TransformReport | undefined;
}

/** Replays an execution of a local data dir (the warehouse there is started if needed). */
export async function replayLocal(o: {
  dataDir: string;
  execution: string;
  apiBaseUrl: string;
  token: TokenSource;
  accountRequestsPerMinute?: number;
  companyHosts?: string;
  hashPii?: boolean;
  quarantineThreshold?: number;
  retryDelayScale?: number;
  clientOptions?: Parameters<typeof runPipeline>[0]['clientOptions'];
  onEvent?: Parameters<typeof runPipeline>[0]['onEvent'];
  /** A Spark worker to run the transform on, left running (a test's, shared by its runs); default: a new one. */
  worker?: TransformWorker;
}): Promise<ReplayResult> {
  const original = await findLocal(o.dataDir, o.execution);
  const warehouse = await new LocalWarehouse(resolve(o.dataDir)).start();
  const worker = o.worker ?? new TransformWorker();
  let transform: TransformReport | undefined;
  try {
    const record = await runPipeline({
      dataDir: resolve(o.dataDir),
      apiBaseUrl: o.apiBaseUrl,
      token: o.token,
      input: { replay: original.name },
      executionName: `replay-${original.name}`.slice(0, 60) + `-${Date.now().toString(36)}`,
      ...(o.accountRequestsPerMinute ? { config: { accountRequestsPerMinute: o.accountRequestsPerMinute } } : {}),
      ...(o.retryDelayScale !== undefined ? { retryDelayScale: o.retryDelayScale } : {}),
      ...(o.clientOptions ? { clientOptions: o.clientOptions } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      glue: localGlue({
        warehouse,
        worker,
        companyHosts: o.companyHosts,
        hashPii: o.hashPii,
        quarantineThreshold: o.quarantineThreshold,
        onReport: (r) => (transform = r),
      }),
    });
    return { original, record, transform };
  } finally {
    if (!o.worker) await worker.close();
    await warehouse.stop();
  }
}

/** The AWS side: redrive where Step Functions allows it, else a new execution that replays the failed items. */
export async function replayAws(
  sfn: Pick<SFNClient, 'send'>,
  o: { stateMachineArn: string; execution: string },
): Promise<{ action: 'redrive' | 'start'; executionArn: string; reason: string }> {
  const executionArn = o.execution.startsWith('arn:')
    ? o.execution
    : `${o.stateMachineArn.replace(':stateMachine:', ':execution:')}:${o.execution}`;
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (d.status === 'RUNNING') throw new UsageError(`${executionArn} is still running: wait for it to end`);
  if (d.redriveStatus === 'REDRIVABLE') {
    await sfn.send(new RedriveExecutionCommand({ executionArn, clientToken: `replay-${Date.now()}` }));
    return {
      action: 'redrive',
      executionArn,
      reason: `${d.status}: redriven from its failed state (a Distributed Map reruns only its failed items)`,
    };
  }
  const name = executionArn.split(':').pop() as string;
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: o.stateMachineArn,
      name: `replay-${name}`.slice(0, 70) + `-${Date.now().toString(36)}`,
      input: JSON.stringify({ replay: name }),
    }),
  );
  return {
    action: 'start',
    executionArn: String(started.executionArn),
    reason: `${d.status}${d.redriveStatusReason ? ` (${d.redriveStatusReason})` : ''}: not redrivable, so a new execution replays its failed items`,
  };
}

export const replayCommand: Command = {
  summary: "fetch again only an execution's failed map items, then transform, load and commit",
  usage:
    'wistia-pipeline replay <execution | latest-failed> [--data-dir DIR] [--simulate] [--api-base-url URL] [--budget PER_MINUTE]\n' +
    '                       [--aws --state-machine-arn ARN [--region R]]\n\n' +
    'Locally it starts a new execution with input {"replay": "<execution>"}: each map reads only the original\'s\n' +
    'items that did not succeed (from its ResultWriter manifests), then the transform and load run, and the commit\n' +
    'takes the replayed items off the carry-over (or, if the original failed, commits as it would have). --simulate\n' +
    "serves the data dir's simulator again (same seed, the execution's day, no injected failures); without it the\n" +
    'real API is called with WISTIA_API_TOKEN. With --aws: a FAILED execution is redriven (Step Functions reruns only\n' +
    'the failed items of a Distributed Map); otherwise (it succeeded within tolerance, or is past redrive) a new\n' +
    'execution with the replay input is started. Exit 0 when every replayed item succeeded.',
  options: {
    'data-dir': dataDirOption(),
    simulate: {
      type: 'boolean',
      default: false,
      description: "serve the data dir's simulator again (same account, the execution's day, no injected failures)",
    },
    ...pipelineOptions,
    ...awsExecutionOptions,
  },
  async run(v, positionals) {
    const [execution, ...extra] = positionals;
    if (!execution || extra.length)
      throw new UsageError(
        'give one execution name (or latest-failed), e.g. wistia-pipeline replay daily-2026-11-20-abc',
      );
    if (v.aws) {
      const arn =
        typeof v['state-machine-arn'] === 'string' ? v['state-machine-arn'] : process.env.WISTIA_STATE_MACHINE_ARN;
      if (!arn)
        throw new UsageError('--aws needs --state-machine-arn (or WISTIA_STATE_MACHINE_ARN): see the stack outputs');
      const sfn = new SFNClient(typeof v.region === 'string' ? { region: v.region } : {});
      const r = await replayAws(sfn, { stateMachineArn: arn, execution });
      process.stdout.write(`${r.action === 'redrive' ? 'redrove' : 'started'} ${r.executionArn}\n  ${r.reason}\n`);
      return EXIT.ok;
    }
    const dataDir = String(v['data-dir']);
    const original = await findLocal(dataDir, execution);
    const failed = unfinishedItems(original);
    if (original.status === 'SUCCEEDED' && failed === 0) {
      process.stdout.write(`${original.name} succeeded with every item: nothing to replay\n`);
      return EXIT.ok;
    }
    let sim: WistiaSimulator | undefined;
    let token = envToken();
    let apiBaseUrl = apiBaseUrlOf(v);
    if (v.simulate) {
      const day = String((original.input as { today?: string }).today ?? original.startDate.slice(0, 10));
      sim = recordedSimulator(dataDir, day);
      await sim.listen();
      apiBaseUrl = sim.baseUrlFor(process.env.WISTIA_API_VERSION);
      const simToken = sim.config.token;
      token = async () => simToken;
      process.stderr.write(`simulator: ${apiBaseUrl} (the data dir's account on ${day}, no injected failures)\n`);
    } else await token();
    try {
      process.stdout.write(
        `replaying ${original.name} (${original.status}, ${failed} items did not succeed) into ${resolve(dataDir)}\n`,
      );
      const r = await replayLocal({
        dataDir,
        execution: original.name,
        apiBaseUrl,
        token,
        ...pipelineSettings(v),
      });
      for (const m of r.record.mapRuns)
        process.stdout.write(
          `  ${m.label}: ${m.items} items replayed${m.children !== m.items ? ` in ${m.children} batches` : ''}, ${m.counts.succeeded} succeeded, ${m.counts.failed} failed\n`,
        );
      const l = r.transform?.loaded ?? {};
      const ins = Object.values(l).reduce((a, x) => a + x.inserted, 0);
      const upd = Object.values(l).reduce((a, x) => a + x.updated, 0);
      if (r.transform) process.stdout.write(`  transform + load: ${ins} rows inserted, ${upd} updated\n`);
      const wm = (await readWatermarks(localStore(resolve(dataDir)))).value;
      process.stdout.write(
        `${r.record.status === 'SUCCEEDED' ? '✔' : '✘'} ${r.record.name} ${r.record.status} in ${(r.record.durationMs / 1000).toFixed(1)} s, ${r.record.requests} requests` +
          (r.record.error ? `\n  ${r.record.error}: ${String(r.record.cause).slice(0, 300)}` : '') +
          `\n  carried over now: ${wm?.carryOver?.medias.length ?? 0} medias, ${wm?.carryOver?.visitors.length ?? 0} visitors` +
          `\n  graph: npx wistia-pipeline graph ${r.record.name} --data-dir ${dataDir}\n`,
      );
      return r.record.status === 'SUCCEEDED' && unfinishedItems(r.record) === 0 ? EXIT.ok : EXIT.failed;
    } finally {
      await sim?.close();
    }
  },
};
