// The Lambda functions: one per handler module in functions/, bundled locally by esbuild (no Docker).
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { acknowledge, logicalIdOf } from './nag.ts';
import { Construct } from 'constructs';
import { join } from 'node:path';

export interface IngestionProps {
  readonly bucket: s3.IBucket;
  /** Name of the SSM SecureString holding the Wistia API token (created by the operator). */
  readonly tokenParameterName: string;
  /** Requests per minute the account may spend (Wistia allows 600). Default 570. */
  readonly accountRequestsPerMinute?: number;
  /** Largest number of concurrent map items. Default 10. */
  readonly maxConcurrency?: number;
  /** First day of the first run's backfill (YYYY-MM-DD). Default: the two years the API keeps. */
  readonly backfillStartDate?: string;
  /** Tolerated failed items (%) in the engagement and visitor maps. Default 5. */
  readonly toleratedFailurePercentage?: number;
  /** Wistia API base URL. Default https://api.wistia.com/v1. */
  readonly apiBaseUrl?: string;
}

/** Handler folder -> function purpose. The ASL substitution names live in the orchestration construct. */
export const HANDLERS = {
  plan: { dir: 'plan', timeout: 900, reads: ['state/', 'runs/'], writes: ['bronze/medias/', 'runs/'] },
  eventPages: { dir: 'event-pages', timeout: 900, reads: ['runs/'], writes: ['bronze/events/', 'runs/'] },
  planEngagement: { dir: 'plan-engagement', timeout: 300, reads: ['runs/'], writes: ['runs/'] },
  mediaEngagement: {
    dir: 'media-engagement',
    timeout: 300,
    reads: [],
    writes: ['bronze/media_stats/', 'bronze/media_engagement/'],
  },
  visitorLookup: { dir: 'visitor-lookup', timeout: 900, reads: [], writes: ['bronze/visitors/'] },
  visitorScan: { dir: 'visitor-scan', timeout: 900, reads: [], writes: ['bronze/visitors/'] },
  commit: { dir: 'commit', timeout: 120, reads: ['runs/', 'state/'], writes: ['state/', 'runs/'] },
} as const;
export type HandlerName = keyof typeof HANDLERS;

const ROOT = join(import.meta.dirname, '..', '..');

export class Ingestion extends Construct {
  readonly functions: Record<HandlerName, NodejsFunction>;
  private readonly bucketLogicalId: string;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucketLogicalId = logicalIdOf(props.bucket);
    const parameterArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: props.tokenParameterName.replace(/^\//, ''),
    });
    const env: Record<string, string> = {
      BUCKET_NAME: props.bucket.bucketName,
      WISTIA_TOKEN_PARAMETER: props.tokenParameterName,
      ACCOUNT_REQUESTS_PER_MINUTE: String(props.accountRequestsPerMinute ?? 570),
      MAX_CONCURRENCY: String(props.maxConcurrency ?? 10),
      TOLERATED_FAILURE_PERCENTAGE: String(props.toleratedFailurePercentage ?? 5),
      POWERTOOLS_SERVICE_NAME: 'wistia-pipeline',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...(props.backfillStartDate ? { BACKFILL_START_DATE: props.backfillStartDate } : {}),
      ...(props.apiBaseUrl ? { WISTIA_API_BASE_URL: props.apiBaseUrl } : {}),
    };
    const fns = {} as Record<HandlerName, NodejsFunction>;
    for (const [name, h] of Object.entries(HANDLERS) as [HandlerName, (typeof HANDLERS)[HandlerName]][]) {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.THREE_MONTHS });
      const fn = new NodejsFunction(this, name, {
        entry: join(ROOT, 'functions', h.dir, 'index.ts'),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout: Duration.seconds(h.timeout),
        tracing: lambda.Tracing.ACTIVE,
        logGroup,
        environment: { ...env, RESERVE_MS: String(Math.min(120_000, Math.floor(h.timeout * 1000 * 0.2))) },
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
        },
      });
      for (const p of h.reads) props.bucket.grantRead(fn, `${p}*`);
      for (const p of h.writes) props.bucket.grantPut(fn, `${p}*`);
      if (h.writes.length || h.reads.length) {
        // listing (seen summaries, map result files) needs ListBucket on the bucket, scoped by prefix
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [props.bucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': [...new Set([...h.reads, ...h.writes])].map((p) => `${p}*`) } },
          }),
        );
      }
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameterArn] }));
      // SecureString decryption with the account's aws/ssm key, only through SSM
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [
            stack.formatArn({ service: 'kms', resource: 'alias', resourceName: 'aws/ssm' }),
            stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' }),
          ],
          conditions: { StringEquals: { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` } },
        }),
      );
      acknowledge(
        fn,
        "AWSLambdaBasicExecutionRole only grants writing this function's own CloudWatch logs.",
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      );
      acknowledge(
        fn,
        'nodejs22.x is the runtime of record (the local twin and CI run Node 22); upgrades are deliberate.',
        'AwsSolutions-L1',
      );
      this.acknowledgeWildcards(fn, h);
      fns[name] = fn;
    }
    this.functions = fns;
  }

  private acknowledgeWildcards(fn: NodejsFunction, h: { reads: readonly string[]; writes: readonly string[] }): void {
    const objects = [...new Set([...h.reads, ...h.writes])].map(
      (p) => `AwsSolutions-IAM5[Resource::<${this.bucketLogicalId}.Arn>/${p}*]`,
    );
    acknowledge(
      fn,
      'Object access is limited to the storage-layout prefixes this handler owns (bronze/<entity>/, runs/, state/).',
      ...objects,
    );
    acknowledge(
      fn,
      'Granted by grantRead/grantPut on those prefixes: object-level actions on the owned prefixes only.',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Action::s3:PutObjectLegalHold]',
      'AwsSolutions-IAM5[Action::s3:PutObjectRetention]',
      'AwsSolutions-IAM5[Action::s3:PutObjectTagging]',
      'AwsSolutions-IAM5[Action::s3:PutObjectVersionTagging]',
    );
    acknowledge(
      fn,
      'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level scope.',
      'AwsSolutions-IAM5[Resource::*]',
    );
    acknowledge(
      fn,
      'The aws/ssm key id is not known at synth time; kms:Decrypt is limited by kms:ViaService to SSM in this region.',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
    );
  }
}
