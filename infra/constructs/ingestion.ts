// The Lambda functions: one per handler module in functions/, bundled locally by esbuild (no Docker), the
// pinned AWS SDK included (see lambda.ts).
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { acknowledge, acknowledgeWildcardResources } from './nag.ts';
import { pipelineFunction } from './lambda.ts';
import { DEFAULT_LAMBDA_MEMORY_MB, LAMBDA_MEMORY_MB } from './sizing.ts';
import { Construct } from 'constructs';
// the run lease (docs/adr/0014): the plan function takes it, the commit function releases it
import { LEASE_KEY } from '../../functions/shared/pipeline/keys.ts';

export interface IngestionProps {
  readonly bucket: s3.IBucket;
  /** Name of the SSM SecureString holding the Wistia API token (created by the operator). */
  readonly tokenParameterName: string;
  /**
   * ARN of the customer managed KMS key the token parameter is encrypted with. Default: none, the parameter
   * uses the AWS managed key aws/ssm, whose key policy already lets every principal of the account decrypt
   * through Parameter Store, so no kms:Decrypt is granted.
   */
  readonly tokenKmsKeyArn?: string;
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
  /** WISTIA_API_VERSION: "v1" (the default) or a dated release of the modern API (YYYY-MM). */
  readonly apiVersion?: string;
}

interface Handler {
  readonly dir: string;
  readonly timeout: number;
  /** Prefixes it reads (GetObject) and lists. */
  readonly reads: readonly string[];
  /** Prefixes it writes (PutObject) and lists. */
  readonly writes: readonly string[];
  /** Single objects it writes. */
  readonly putKeys?: readonly string[];
  /** Single objects it deletes. */
  readonly deleteKeys?: readonly string[];
  /** Calls the Wistia API: spends the account's request budget (the RequestBudget table, docs/adr/0021). */
  readonly wistia?: boolean;
}

/** Handler folder -> function purpose. The ASL substitution names live in the orchestration construct. */
export const HANDLERS = {
  plan: {
    dir: 'plan',
    timeout: 900,
    reads: ['state/', 'runs/'],
    writes: ['bronze/medias/', 'runs/'],
    putKeys: [LEASE_KEY],
    wistia: true,
  },
  eventPages: {
    dir: 'event-pages',
    timeout: 900,
    reads: ['runs/'],
    writes: ['bronze/events/', 'runs/'],
    wistia: true,
  },
  planEngagement: { dir: 'plan-engagement', timeout: 300, reads: ['runs/'], writes: ['runs/'] },
  mediaEngagement: {
    dir: 'media-engagement',
    timeout: 300,
    reads: [],
    writes: ['bronze/media_stats/', 'bronze/media_engagement/'],
    wistia: true,
  },
  visitorLookup: { dir: 'visitor-lookup', timeout: 900, reads: [], writes: ['bronze/visitors/'], wistia: true },
  visitorScan: { dir: 'visitor-scan', timeout: 900, reads: [], writes: ['bronze/visitors/'], wistia: true },
  commit: {
    dir: 'commit',
    timeout: 120,
    reads: ['runs/', 'state/'],
    writes: ['state/', 'runs/'],
    deleteKeys: [LEASE_KEY],
  },
} as const satisfies Record<string, Handler>;
export type HandlerName = keyof typeof HANDLERS;

export class Ingestion extends Construct {
  readonly functions: Record<HandlerName, NodejsFunction>;
  /** The account's request budget: one token-bucket item per Wistia account (docs/adr/0021). */
  readonly budgetTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // On-demand: a few writes a second while a run is on, nothing between runs. TTL deletes a bucket idle for a
    // day (expiresAt, epoch seconds: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html).
    // The item is seconds of rate-limiter state: nothing to keep with the stack or to restore.
    this.budgetTable = new dynamodb.Table(this, 'RequestBudget', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.budgetTable,
      'The table holds one token bucket per Wistia account: seconds of rate-limiter state that a restore would ' +
        'only make stale (an absent item reads as a full bucket). Point-in-time recovery would back up nothing of value.',
      'AwsSolutions-DDB3',
    );
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
      ...(props.apiVersion && props.apiVersion !== 'v1' ? { WISTIA_API_VERSION: props.apiVersion } : {}),
    };
    const fns = {} as Record<HandlerName, NodejsFunction>;
    for (const [name, h] of Object.entries(HANDLERS) as [HandlerName, Handler][]) {
      const fn = pipelineFunction(this, name, {
        entry: `functions/${h.dir}/index.ts`,
        timeout: Duration.seconds(h.timeout),
        memorySize: LAMBDA_MEMORY_MB[h.dir] ?? DEFAULT_LAMBDA_MEMORY_MB,
        environment: {
          ...env,
          RESERVE_MS: String(Math.min(120_000, Math.floor(h.timeout * 1000 * 0.2))),
          ...(h.wistia ? { BUDGET_TABLE_NAME: this.budgetTable.tableName } : {}),
        },
      });
      // the budget's store: a consistent read and the two conditional writes (budget-dynamodb.ts), that table only
      if (h.wistia)
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
            resources: [this.budgetTable.tableArn],
          }),
        );
      for (const p of h.reads) props.bucket.grantRead(fn, `${p}*`);
      for (const p of h.writes) props.bucket.grantPut(fn, `${p}*`);
      for (const k of h.putKeys ?? []) props.bucket.grantPut(fn, k);
      if (h.deleteKeys?.length)
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:DeleteObject'],
            resources: h.deleteKeys.map((k) => props.bucket.arnForObjects(k)),
          }),
        );
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
      // Decrypting the SecureString. With the AWS managed key aws/ssm nothing is granted: "The AWS managed key
      // for Parameter Store (aws/ssm) grants Decrypt permission to all IAM principals in the AWS account"
      // (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html); its key
      // policy allows them through SSM (kms:ViaService ssm.<region>.amazonaws.com, kms:CallerAccount).
      // With a customer managed key (context tokenKmsKeyArn), Decrypt on that key only, and only through SSM
      // (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
      if (props.tokenKmsKeyArn)
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [props.tokenKmsKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}` } },
          }),
        );
      this.acknowledgeWildcards(fn, h, props.bucket);
      fns[name] = fn;
    }
    this.functions = fns;
  }

  private acknowledgeWildcards(fn: NodejsFunction, h: Handler, bucket: s3.IBucket): void {
    acknowledgeWildcardResources(
      fn,
      'Object access is limited to the storage-layout prefixes this handler owns (bronze/<entity>/, runs/, state/).',
      [...new Set([...h.reads, ...h.writes])].map((p) => bucket.arnForObjects(`${p}*`)),
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
      'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level scope (infra/constructs/unscoped.ts).',
      'AwsSolutions-IAM5[Resource::*]',
    );
  }
}
