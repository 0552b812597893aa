// One way to build the project's Lambdas: NodejsFunction bundled locally by esbuild (no Docker), Node 22 on
// arm64, X-Ray, its own log group, and the AWS SDK bundled in.
//
// NodejsFunction marks `@aws-sdk/*` (and, with the sdkV3ExcludeSmithyPackages flag, `@smithy/*`) external
// by default, so the function would run the Lambda runtime's SDK, not the version package-lock.json pins and
// the tests run (the watermark's conditional write, `IfMatch`, depends on it). `bundleAwsSDK: true` bundles
// it: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs.BundlingOptions.html
// ("bundleAwsSDK: Includes AWS SDK in the bundle asset").
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { acknowledge, nagString } from './nag.ts';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DEFAULT_LAMBDA_MEMORY_MB } from './sizing.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface PipelineFunctionProps {
  /** The entry module, relative to the repository root (e.g. functions/plan/index.ts). */
  readonly entry: string;
  readonly timeout: Duration;
  readonly environment?: Record<string, string>;
  /** Default DEFAULT_LAMBDA_MEMORY_MB (sizing.ts). */
  readonly memorySize?: number;
  /** Shell commands run around esbuild (e.g. copying files into the bundle). */
  readonly commandHooks?: ICommandHooks;
}

export function pipelineFunction(scope: Construct, id: string, props: PipelineFunctionProps): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.THREE_MONTHS });
  const fn = new NodejsFunction(scope, id, {
    entry: join(ROOT, props.entry),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? DEFAULT_LAMBDA_MEMORY_MB,
    timeout: props.timeout,
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    ...(props.environment ? { environment: props.environment } : {}),
    depsLockFilePath: join(ROOT, 'package-lock.json'),
    projectRoot: ROOT,
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      forceDockerBundling: false,
      bundleAwsSDK: true,
      ...(props.commandHooks ? { commandHooks: props.commandHooks } : {}),
    },
  });
  acknowledgeManagedPolicy(
    fn,
    "AWSLambdaBasicExecutionRole only grants writing this function's own CloudWatch logs.",
    'service-role/AWSLambdaBasicExecutionRole',
  );
  acknowledge(
    fn,
    'nodejs22.x is the runtime of record (the local twin and CI run Node 22); upgrades are deliberate.',
    'AwsSolutions-L1',
  );
  return fn;
}

/** Acknowledge AwsSolutions-IAM4 for an AWS managed policy, its ARN rendered as cdk-nag prints it here. */
export function acknowledgeManagedPolicy(scope: Construct, reason: string, name: string): void {
  const arn = iam.ManagedPolicy.fromAwsManagedPolicyName(name).managedPolicyArn;
  acknowledge(scope, reason, `AwsSolutions-IAM4[Policy::${nagString(scope, arn)}]`);
}
