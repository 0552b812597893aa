// The template `cdk deploy` ships (test/helpers/synth.ts, one synth per test run): ingestion (the seven handlers and
// what their roles may do), the Lambda bundles in cdk.out, and the orchestration (the state machine, its role,
// the schedule).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_SQL } from '../infra/constructs/bootstrap.ts';
import { placeholders, readDefinitionText } from '#local/runner/asl.ts';
import { ROOT } from './helpers/sim.ts';
import {
  ACCOUNT,
  REGION,
  out,
  tpl,
  t,
  entries,
  only,
  props,
  roleStatements,
  roleOf,
  idOf,
  fnId,
  useSynth,
} from './helpers/synth.ts';
import { grants, list } from './helpers/template.ts';

useSynth();

describe('ingestion', () => {
  const handlers = () =>
    entries('AWS::Lambda::Function').filter(
      ([, f]) =>
        (f.Properties!.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
          ?.WISTIA_TOKEN_PARAMETER,
    );

  it('runs seven handlers on nodejs22.x, arm64, with X-Ray, configured by environment', () => {
    expect(handlers()).toHaveLength(7);
    for (const [, f] of handlers()) {
      expect(f.Properties!.Runtime).toBe('nodejs22.x');
      expect(f.Properties!.Architectures).toEqual(['arm64']);
      expect(f.Properties!.TracingConfig).toEqual({ Mode: 'Active' });
      const env = (f.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.WISTIA_TOKEN_PARAMETER).toBe('/wistia/api-token');
      expect(env.ACCOUNT_REQUESTS_PER_MINUTE).toBe('570');
      expect(env.BUCKET_NAME).toEqual({ Ref: idOf('AWS::S3::Bucket', '/Storage/DataLake/') });
    }
  });

  it('lets the handlers read only the token parameter and, with aws/ssm, grants no kms:Decrypt (finding 0)', () => {
    for (const [id] of handlers()) {
      const sts = roleStatements(roleOf(id));
      expect(grants(sts, 'ssm:GetParameter')).toEqual([`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/wistia/api-token`]);
      expect(grants(sts, 'kms:Decrypt')).toEqual([]);
    }
    // no statement anywhere grants on every key of the account
    expect(JSON.stringify(tpl)).not.toMatch(/:key\/\*/);
  });

  it('lets plan take the run lease and check its holder, commit release it (package D, finding 11)', () => {
    const plan = roleStatements(roleOf(fnId('Ingestion/plan')));
    const commit = roleStatements(roleOf(fnId('Ingestion/commit')));
    const lake = idOf('AWS::S3::Bucket', '/Storage/DataLake/');
    const lease = `<${lake}.Arn>/state/run-lease.json`;
    expect(grants(plan, 's3:PutObject')).toContain(lease);
    expect(grants(plan, 's3:GetObject*')).toContain(`<${lake}.Arn>/state/*`);
    const sm = only('AWS::StepFunctions::StateMachine')[0];
    expect(grants(plan, 'states:DescribeExecution')).toEqual([
      `arn:aws:states:${REGION}:${ACCOUNT}:execution:<${sm}.Name>:*`,
    ]);
    expect(grants(commit, 's3:DeleteObject')).toEqual([lease]);
    // nobody else deletes the lease or asks after executions
    for (const name of ['eventPages', 'planEngagement', 'mediaEngagement', 'visitorLookup', 'visitorScan']) {
      const sts = roleStatements(roleOf(fnId(`Ingestion/${name}`)));
      expect(grants(sts, 's3:DeleteObject')).toEqual([]);
      expect(grants(sts, 'states:DescribeExecution')).toEqual([]);
    }
  });
});

describe('the account request budget (issue 16, docs/adr/0021)', () => {
  const WISTIA = ['plan', 'eventPages', 'mediaEngagement', 'visitorLookup', 'visitorScan'];
  it('keeps it in an on-demand, encrypted DynamoDB table keyed by pk, with TTL on expiresAt', () => {
    const [id, table] = only('AWS::DynamoDB::Table');
    expect(id).toMatch(/^IngestionRequestBudget/);
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(table.Properties!.ProvisionedThroughput).toBeUndefined();
  });
  it('lets only the Wistia-calling handlers GetItem, PutItem and UpdateItem on that table, named in their env', () => {
    const [table] = only('AWS::DynamoDB::Table');
    for (const name of WISTIA) {
      const f = fnId(`Ingestion/${name}`);
      const sts = roleStatements(roleOf(f));
      for (const a of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
        expect(grants(sts, a), `${name} ${a}`).toEqual([`<${table}.Arn>`]);
      const dynamo = sts.filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
      expect(dynamo.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action])).sort()).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      const env = (tpl.Resources[f]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.BUDGET_TABLE_NAME).toEqual({ Ref: table });
    }
    for (const name of ['planEngagement', 'commit']) {
      const f = fnId(`Ingestion/${name}`);
      expect(JSON.stringify(roleStatements(roleOf(f)))).not.toContain('dynamodb:');
      const env = (tpl.Resources[f]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.BUDGET_TABLE_NAME).toBeUndefined();
    }
    // no other role of the stack touches it
    const users = entries('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p).includes('dynamodb:'));
    expect(users).toHaveLength(WISTIA.length);
  });
});

describe('Lambda bundles in cdk.out (finding 15)', () => {
  /** Module specifiers a bundle still loads at run time: import/export from, import(), and require-like calls. */
  function externalSdkImports(file: string): string[] {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
    const found: string[] = [];
    const sdk = /^@(aws-sdk|smithy)\/[a-z0-9][a-z0-9._-]*(\/[\w./-]+)?$/;
    const visit = (n: ts.Node): void => {
      if (
        (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) &&
        n.moduleSpecifier &&
        ts.isStringLiteral(n.moduleSpecifier)
      ) {
        if (sdk.test(n.moduleSpecifier.text)) found.push(n.moduleSpecifier.text);
      } else if (
        ts.isCallExpression(n) &&
        (ts.isIdentifier(n.expression) || n.expression.kind === ts.SyntaxKind.ImportKeyword) &&
        n.arguments[0] &&
        ts.isStringLiteralLike(n.arguments[0]) &&
        sdk.test(n.arguments[0].text)
      )
        found.push(n.arguments[0].text); // require("…"), import("…"), esbuild's __require shim
      ts.forEachChild(n, visit);
    };
    visit(sf);
    return found;
  }
  const bundleOf = (id: string) => {
    const key = (tpl.Resources[id]!.Properties!.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    return join(out, 'cdk.out', `asset.${key}`);
  };
  const ours = () =>
    entries('AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => existsSync(join(bundleOf(id), 'index.mjs')));

  it('bundles the pinned AWS SDK into every project Lambda: no @aws-sdk/ or @smithy/ import is left external', () => {
    expect(ours()).toHaveLength(8); // the seven handlers and the warehouse bootstrap
    const pinned = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    ).dependencies['@aws-sdk/client-s3'];
    for (const id of ours()) {
      const file = join(bundleOf(id), 'index.mjs');
      expect([id, externalSdkImports(file)]).toEqual([id, []]);
      // the handlers carry the client at the version package.json pins (its package.json is bundled in)
      if (id.startsWith('Ingestion')) expect(readFileSync(file, 'utf8')).toContain(`version:"${pinned}"`);
    }
  });

  it("copies the bootstrap's SQL into its bundle under the repository's paths (finding 3)", () => {
    const id = fnId('Warehouse/Bootstrap/Function');
    for (const f of BOOTSTRAP_SQL)
      expect(readFileSync(join(bundleOf(id), f), 'utf8')).toBe(readFileSync(join(ROOT, f), 'utf8'));
  });
});

describe('orchestration', () => {
  it('builds the state machine from the ASL file with a substitution for every placeholder, logging errors only (finding 13)', () => {
    const sm = props('AWS::StepFunctions::StateMachine');
    expect(Object.keys(sm.DefinitionSubstitutions as object).sort()).toEqual(placeholders(readDefinitionText()));
    expect(sm.StateMachineType).toBe('STANDARD');
    expect(sm.TracingConfiguration).toEqual({ Enabled: true });
    expect(sm.LoggingConfiguration).toEqual({
      Destinations: [
        {
          CloudWatchLogsLogGroup: {
            LogGroupArn: { 'Fn::GetAtt': [idOf('AWS::Logs::LogGroup', '/Orchestration/Logs/'), 'Arn'] },
          },
        },
      ],
      IncludeExecutionData: false,
      Level: 'ERROR',
    });
    // the definition is the ASL file itself, shipped as an asset (never rebuilt in CDK code)
    expect(sm.DefinitionS3Location).toEqual(
      expect.objectContaining({ Bucket: expect.anything(), Key: expect.stringMatching(/\.json$/) }),
    );
    expect(sm.DefinitionString).toBeUndefined();
    expect((sm.DefinitionSubstitutions as Record<string, unknown>).GlueJobName).toEqual({
      Ref: only('AWS::Glue::Job')[0],
    });
  });

  it('grants the state machine exactly what Distributed Map, ItemReader/ResultWriter, redrive, Lambda and Glue .sync need', () => {
    const [smId, sm] = only('AWS::StepFunctions::StateMachine');
    const roleId = (sm.Properties!.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const sts = roleStatements(roleId);
    const self = `arn:aws:states:${REGION}:${ACCOUNT}`;
    expect(grants(sts, 'states:StartExecution')).toEqual([`<${smId}>`]);
    expect(grants(sts, 'states:RedriveExecution')).toEqual(
      [`${self}:execution:<${smId}.Name>:*`, `${self}:execution:<${smId}.Name>/*`].sort(),
    );
    expect(grants(sts, 'states:DescribeMapRun')).toEqual([`<${smId}>`, `${self}:mapRun:<${smId}.Name>/*`].sort());
    expect(grants(sts, 'glue:StartJobRun')).toEqual([
      `arn:aws:glue:${REGION}:${ACCOUNT}:job/<${only('AWS::Glue::Job')[0]}>`,
    ]);
    expect(grants(sts, 's3:PutObject').every((r) => r.endsWith('/runs/*/map-results/*'))).toBe(true);
    expect(sts.some((s) => list(s.Action).includes('*') || list(s.Action).includes('s3:*'))).toBe(false);
    // the statements naming the state machine are not in the default policy the state machine depends on
    const defaultPolicy = entries('AWS::IAM::Policy').find(([id]) =>
      id.startsWith('OrchestrationRoleDefaultPolicy'),
    )![1];
    expect(JSON.stringify(defaultPolicy)).not.toContain(smId);
  });

  it('starts one execution a day with EventBridge Scheduler, passing the scheduled time (finding 11)', () => {
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      GroupName: { Ref: only('AWS::Scheduler::ScheduleGroup')[0] },
      Target: Match.objectLike({
        Arn: { Ref: only('AWS::StepFunctions::StateMachine')[0] },
        Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
      }),
    });
    expect(JSON.parse((props('AWS::Scheduler::Schedule').Target as { Input: string }).Input)).toEqual({
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
  });

  it("limits the Scheduler role's trust to this account and schedule group, with an encrypted TLS-only dead-letter queue (finding 19)", () => {
    const target = props('AWS::Scheduler::Schedule').Target as {
      RoleArn: { 'Fn::GetAtt': string[] };
      DeadLetterConfig: unknown;
    };
    const roleId = target.RoleArn['Fn::GetAtt'][0]!;
    const [queueId, queue] = only('AWS::SQS::Queue');
    expect(tpl.Resources[roleId]!.Properties!.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ACCOUNT },
            ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [only('AWS::Scheduler::ScheduleGroup')[0], 'Arn'] } },
          },
        },
      ],
    });
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    expect(queue.Properties).toEqual({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    const queuePolicy = only('AWS::SQS::QueuePolicy')[1];
    expect(JSON.stringify(queuePolicy)).toContain('"aws:SecureTransport":"false"');
    expect(grants(roleStatements(roleId), 'sqs:SendMessage')).toEqual([`<${queueId}.Arn>`]);
  });
});
