// Deps in AWS, built once per container at cold start: S3, SSM, Step Functions and DynamoDB clients (traced), the
// token from an SSM SecureString (cached), the account's request budget (BUDGET_TABLE_NAME), configuration
// checked now so that a misconfigured function fails at once.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { clientLogger, tracer } from '../powertools.ts';
import { S3ObjectStore } from '../store/s3-store.ts';
import { AccountBudget } from '../wistia/account-budget.ts';
import { DynamoDbBudgetStore } from '../wistia/budget-dynamodb.ts';
import { WistiaClient } from '../wistia/client.ts';
import { ssmToken } from '../wistia/token.ts';
import { configFromEnv, requireEnv } from './config.ts';
import type { Deps, ExecutionStatus } from './deps.ts';

export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): Deps {
  const bucket = requireEnv(env, 'BUCKET_NAME');
  const parameter = requireEnv(env, 'WISTIA_TOKEN_PARAMETER');
  const config = configFromEnv(env);
  const s3 = tracer.captureAWSv3Client(new S3Client({}));
  const ssm = tracer.captureAWSv3Client(new SSMClient({}));
  const sfn = tracer.captureAWSv3Client(new SFNClient({}));
  const base = new WistiaClient({
    baseUrl: env.WISTIA_API_BASE_URL || undefined,
    // a bad version stops the cold start, naming the variable
    apiVersion: env.WISTIA_API_VERSION ?? 'v1',
    token: ssmToken(ssm, parameter),
    auth: env.WISTIA_AUTH === 'bearer' ? 'bearer' : 'basic',
    budget: 0,
    logger: clientLogger,
  });
  // The account's one request budget (docs/adr/0021): a token bucket in the RequestBudget table, shared by every
  // invocation of every execution. Without BUDGET_TABLE_NAME each invocation spends its fixed share (ADR 5).
  const table = env.BUDGET_TABLE_NAME?.trim();
  const account = table
    ? new AccountBudget(new DynamoDbBudgetStore(tracer.captureAWSv3Client(new DynamoDBClient({})), table), {
        perMinute: config.accountRequestsPerMinute,
      })
    : undefined;
  return {
    store: new S3ObjectStore(s3, bucket),
    config,
    wistia: (rpm) => base.withBudget(account ?? rpm),
    now: () => new Date(),
    // The run lease's question "does its holder still run?": states:DescribeExecution on this state machine's
    // executions (the plan's role; https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
    // ExecutionDoesNotExist: there is no such execution (undefined); any other error fails the plan, named.
    executionStatus: async (executionArn) => {
      try {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return d.status as ExecutionStatus | undefined;
      } catch (e) {
        if ((e as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw e;
      }
    },
  };
}
