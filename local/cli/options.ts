// The options several commands share, each described once for their generated --help.
import { DEFAULT_DATA_DIR } from '../data-dir.ts';
import { num, type OptionSpec, type Options } from './command.ts';

/** --data-dir: the folder a local run writes and the operator commands read. */
export const dataDirOption = (byDefault: string = DEFAULT_DATA_DIR): OptionSpec => ({
  type: 'string',
  value: 'DIR',
  default: byDefault,
  description: 'the data dir: the local store (bronze, run history, watermarks) and the warehouse under it',
});

/** --aws and the execution's state machine in the account (status, graph, replay). */
export const awsExecutionOptions: Options = {
  aws: {
    type: 'boolean',
    default: false,
    description: 'read the executions from Step Functions in AWS instead of the data dir',
  },
  'state-machine-arn': {
    type: 'string',
    value: 'ARN',
    description: "with --aws: the state machine's ARN (default: WISTIA_STATE_MACHINE_ARN; the stack's output)",
  },
  region: {
    type: 'string',
    value: 'R',
    description: "with --aws: the AWS region (default: the SDK's, from AWS_REGION or the profile)",
  },
};

/** The settings of an execution's transform and load, and of its API budget (run, demo, replay). */
export const pipelineOptions: Options = {
  'api-base-url': {
    type: 'string',
    value: 'URL',
    description: "the Wistia API's base URL (default: WISTIA_API_BASE_URL, else Wistia's for WISTIA_API_VERSION)",
  },
  budget: {
    type: 'string',
    value: 'PER_MINUTE',
    default: '570',
    description: "the account's request budget per minute, shared by every map item (Wistia allows 600)",
  },
  'company-hosts': {
    type: 'string',
    value: 'HOST,…',
    default: 'example.com',
    description: "the company's own site hosts, comma-separated: views embedded there are the website channel",
  },
  'hash-pii': {
    type: 'boolean',
    default: false,
    description: "store the visitors' ip and email as SHA-256 in the warehouse",
  },
  'quarantine-threshold': {
    type: 'string',
    value: 'SHARE',
    default: '0.05',
    description: "the share (0 to 1) of an entity's records a run may quarantine before its quality gate fails",
  },
};

/** The pipelineOptions' values, checked (but --api-base-url: apiBaseUrlOf): as runDays and replayLocal take them. */
export function pipelineSettings(v: Record<string, string | boolean | undefined>) {
  return {
    accountRequestsPerMinute: num(v, 'budget', { min: 1 }),
    companyHosts: String(v['company-hosts']),
    hashPii: v['hash-pii'] === true,
    quarantineThreshold: num(v, 'quarantine-threshold', { min: 0, max: 1 }),
  };
}
