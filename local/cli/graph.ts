// `wistia-pipeline graph <execution>`: the state machine drawn with one execution's outcomes, as an HTML file.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { renderExecutionGraph } from '../ops/graph.ts';
import { renderAwsExecutionGraph } from '../ops/sfn.ts';
import { resolveExecution, UnknownExecutionError } from '../ops/status.ts';
import { EXIT, UsageError, type Command } from './command.ts';
import { dataDirPaths } from '../data-dir.ts';
import { awsExecutionOptions, dataDirOption } from './options.ts';
import { stateMachineArn } from './status.ts';

export const graphCommand: Command = {
  summary: "draw an execution's state machine with each state's outcome (an HTML file)",
  usage:
    'wistia-pipeline graph <execution | latest> [--data-dir DIR] [--out FILE.html]\n' +
    '                      [--aws --state-machine-arn ARN [--region R]]\n\n' +
    "Draws statemachine/ingest.asl.json with the execution's outcome of every state (succeeded, failed, caught,\n" +
    'not entered), its duration and retries; Map states show their items succeeded / failed / pending and the\n' +
    'failed items (input, error, cause). One self-contained HTML file (no network), written to --out (default\n' +
    '<data dir>/graphs/<execution>.html); prints its path. "latest" is the most recent execution.\n' +
    'Default data dir: .data/demo. With --aws the execution (name or ARN) is read from Step Functions\n' +
    '(GetExecutionHistory, DescribeMapRun, the failed child executions) and drawn with the definition it ran.\n' +
    'Exit codes: 0 written, 2 bad usage or unknown execution.',
  options: {
    'data-dir': dataDirOption(),
    out: {
      type: 'string',
      value: 'FILE.html',
      description: 'the HTML file to write (default: <data dir>/graphs/<execution>.html)',
    },
    ...awsExecutionOptions,
  },
  async run(v, positionals) {
    const [execution, ...extra] = positionals;
    if (!execution) throw new UsageError('name the execution to draw (or "latest"), e.g. wistia-pipeline graph latest');
    if (extra.length) throw new UsageError(`one execution at a time (got also "${extra.join(' ')}")`);
    const dataDir = resolve(String(v['data-dir']));
    if (!v.aws && !existsSync(dataDir))
      throw new UsageError(`no data dir at ${dataDir} (run "wistia-pipeline demo" first, or pass --data-dir)`);
    try {
      let name: string;
      let html: string;
      if (v.aws) {
        const sfn = new SFNClient(typeof v.region === 'string' ? { region: v.region } : {});
        ({ name, html } = await renderAwsExecutionGraph({ sfn, stateMachineArn: stateMachineArn(v), execution }));
      } else {
        name = await resolveExecution(dataDir, execution);
        html = await renderExecutionGraph({ dataDir, execution: name });
      }
      const out = resolve(typeof v.out === 'string' ? v.out : join(dataDirPaths(dataDir).graphs, `${name}.html`));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, html);
      process.stdout.write(`${out}\n`);
      return EXIT.ok;
    } catch (e) {
      if (e instanceof UnknownExecutionError) {
        process.stderr.write(`graph: ${e.message}\n`);
        return EXIT.usage;
      }
      throw e;
    }
  },
};
