// The CDK app, as a function: bin/app.ts (what `cdk synth` / `cdk deploy` run) and the tests build the very
// same stack with it.
//
// The stack is environment-specific: `cdk deploy` runs with credentials, the CLI then sets
// CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION, and that is the template that ships. So there is no
// environment-agnostic variant: without an account and a region, synthesis stops and says how to give them.
//
// CDK context (`-c key=value`, or cdk.json), each with its default:
//   account, region          the environment for an offline synth (else CDK_DEFAULT_ACCOUNT / _REGION)
//   stackName                WistiaPipeline
//   availabilityZones        <region>a,<region>b,<region>c (comma list; three zones Redshift Serverless
//                            supports in your account: some regions name theirs differently, e.g. one
//                            without "b": set them explicitly there)
//   tokenParameterName       /wistia/api-token (SSM SecureString)
//   tokenKmsKeyArn           none: the parameter uses aws/ssm. The ARN of a customer managed key grants
//                            kms:Decrypt on that key only, through SSM only.
//   redshiftMaxCapacity      32 RPUs (a multiple of 8, at least the base 8)
//   rpuUsageLimit            64 RPU-hours per period
//   rpuUsageLimitPeriod      daily (daily | weekly | monthly)
//   rpuUsageLimitBreachAction deactivate (log | emit-metric | deactivate)
//   scheduleExpression       cron(0 6 * * ? *)
//   backfillStartDate        two years back
//   apiVersion               v1 (or a dated release of Wistia's modern API, YYYY-MM such as 2026-03)
//   companyHosts             none
//   hashPii                  true ("false" stores email and ip in clear)
//   quarantineThreshold      0.05 (the share of an entity's records a run may quarantine; above it the run fails)
//   destroyOnRemoval         false (data is retained)
//   alarmEmail               none: an address subscribed to the alarm topic (it confirms by e-mail)
//   quarantineShareAlarm     0.02 (QuarantineShare alarms above this share of a run's records quarantined)
//   rateLimitedShareAlarm    0.01 (RateLimitedShare alarms above this share of 429 responses in an hour)
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseApiVersion, versionLabel } from '../functions/shared/wistia/api-version.ts';
import { PipelineStack } from './stacks/pipeline-stack.ts';
import {
  USAGE_LIMIT_BREACH_ACTIONS,
  USAGE_LIMIT_PERIODS,
  type UsageLimitBreachAction,
  type UsageLimitPeriod,
} from './constructs/usage-limit.ts';

export interface PipelineAppOptions {
  /** Default: context `account`, else CDK_DEFAULT_ACCOUNT. */
  readonly account?: string;
  /** Default: context `region`, else CDK_DEFAULT_REGION. */
  readonly region?: string;
  /** CDK context (merged with what the CLI passes). */
  readonly context?: Record<string, unknown>;
  /** The cloud assembly directory. Default: the CLI's, else a temporary one. */
  readonly outdir?: string;
  /** Where CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION are read. Default process.env. */
  readonly env?: Record<string, string | undefined>;
  /** Run cdk-nag AwsSolutions as a validation plugin at synth (errors fail it). Default true. */
  readonly nag?: boolean;
}

export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function pipelineApp(opts: PipelineAppOptions = {}): { app: App; stack: PipelineStack } {
  const app = new App({
    ...(opts.context ? { context: opts.context } : {}),
    ...(opts.outdir ? { outdir: opts.outdir } : {}),
  });
  const ctx = (k: string): string | undefined => {
    const v = app.node.tryGetContext(k) as unknown;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const env = opts.env ?? process.env;
  const account = opts.account ?? ctx('account') ?? env.CDK_DEFAULT_ACCOUNT;
  const region = opts.region ?? ctx('region') ?? env.CDK_DEFAULT_REGION;
  const missing = [...(account ? [] : ['account']), ...(region ? [] : ['region'])];
  if (missing.length)
    throw new EnvironmentError(
      `The Wistia pipeline stack needs an explicit AWS environment (missing: ${missing.join(' and ')}). ` +
        'With AWS credentials the CDK CLI sets CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (e.g. AWS_PROFILE=<profile> npx cdk synth); ' +
        'offline, pass them as context: npx cdk synth -c account=111111111111 -c region=us-east-1 ' +
        '(or set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION).',
    );
  if (!ACCOUNT.test(account!)) throw new EnvironmentError(`account must be 12 digits, got "${account}"`);
  if (!REGION.test(region!)) throw new EnvironmentError(`region must look like us-east-1, got "${region}"`);

  const azs = (ctx('availabilityZones') ?? ['a', 'b', 'c'].map((s) => `${region}${s}`).join(','))
    .split(',')
    .map((z) => z.trim())
    .filter(Boolean);
  for (const z of azs)
    if (!z.startsWith(region!) || !/^[a-z]$/.test(z.slice(region!.length)))
      throw new EnvironmentError(`availabilityZones: "${z}" is not a zone of ${region} (like ${region}a)`);
  if (new Set(azs).size !== 3)
    throw new EnvironmentError(
      `availabilityZones: Redshift Serverless needs three distinct zones, got "${azs.join(',')}"`,
    );
  const int = (k: string): number | undefined => {
    const v = ctx(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new EnvironmentError(`${k} must be a whole number, got "${v}"`);
    return Number(v);
  };
  const oneOf = <T extends string>(k: string, allowed: readonly T[]): T | undefined => {
    const v = ctx(k);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v))
      throw new EnvironmentError(`${k} must be one of ${allowed.join(', ')}, got "${v}"`);
    return v as T;
  };
  const tokenKey = ctx('tokenKmsKeyArn');
  if (tokenKey && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(tokenKey))
    throw new EnvironmentError(
      `tokenKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "${tokenKey}"`,
    );
  const threshold = ctx('quarantineThreshold');
  if (threshold !== undefined && !/^(0(\.\d+)?|1(\.0+)?)$/.test(threshold))
    throw new EnvironmentError(
      `quarantineThreshold must be a share between 0 and 1 (e.g. 0.05 for 5 %), got "${threshold}"`,
    );
  const share = (k: string): number | undefined => {
    const v = ctx(k);
    if (v === undefined) return undefined;
    if (!/^0\.\d*[1-9]\d*$/.test(v))
      throw new EnvironmentError(`${k} must be a share between 0 and 1 (e.g. 0.02 for 2 %), got "${v}"`);
    return Number(v);
  };
  const quarantineShareAlarm = share('quarantineShareAlarm');
  const rateLimitedShareAlarm = share('rateLimitedShareAlarm');
  const alarmEmail = ctx('alarmEmail');
  if (alarmEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))
    throw new EnvironmentError(`alarmEmail must be an e-mail address, got "${alarmEmail}"`);
  let apiVersion: string | undefined;
  try {
    apiVersion = ctx('apiVersion') === undefined ? undefined : versionLabel(parseApiVersion(ctx('apiVersion')));
  } catch (e) {
    throw new EnvironmentError(`apiVersion: ${(e as Error).message.replace(/^WISTIA_API_VERSION /, '')}`);
  }
  const maxCapacity = int('redshiftMaxCapacity');
  const usageLimit = int('rpuUsageLimit');
  const period = oneOf<UsageLimitPeriod>('rpuUsageLimitPeriod', USAGE_LIMIT_PERIODS);
  const breach = oneOf<UsageLimitBreachAction>('rpuUsageLimitBreachAction', USAGE_LIMIT_BREACH_ACTIONS);

  const stack = new PipelineStack(app, ctx('stackName') ?? 'WistiaPipeline', {
    description:
      'Wistia video analytics: Step Functions ingestion, bronze on S3, Glue star schema, Redshift Serverless',
    env: { account: account!, region: region! },
    availabilityZones: azs,
    ...(ctx('tokenParameterName') ? { tokenParameterName: ctx('tokenParameterName') } : {}),
    ...(tokenKey ? { tokenKmsKeyArn: tokenKey } : {}),
    ...(ctx('scheduleExpression') ? { scheduleExpression: ctx('scheduleExpression') } : {}),
    ...(ctx('backfillStartDate') ? { backfillStartDate: ctx('backfillStartDate') } : {}),
    ...(apiVersion ? { apiVersion } : {}),
    ...(ctx('companyHosts') ? { companyHosts: ctx('companyHosts') } : {}),
    ...(maxCapacity !== undefined ? { redshiftMaxCapacity: maxCapacity } : {}),
    ...(usageLimit !== undefined ? { rpuUsageLimit: usageLimit } : {}),
    ...(period ? { rpuUsageLimitPeriod: period } : {}),
    ...(breach ? { rpuUsageLimitBreachAction: breach } : {}),
    // PII (visitor email, viewer ip) is stored as SHA-256 in the warehouse unless the context says hashPii=false.
    hashPii: ctx('hashPii') !== 'false',
    ...(threshold !== undefined ? { quarantineThreshold: Number(threshold) } : {}),
    destroyOnRemoval: ctx('destroyOnRemoval') === 'true',
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(quarantineShareAlarm !== undefined ? { quarantineShareAlarm } : {}),
    ...(rateLimitedShareAlarm !== undefined ? { rateLimitedShareAlarm } : {}),
  });
  if (opts.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
