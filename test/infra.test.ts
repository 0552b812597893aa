// The template `cdk deploy` ships: synthesized once, by the CDK CLI as a separate process, exactly as a deploy
// synthesizes it (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION set, which is what the CLI does when it finds
// credentials), but offline and without any AWS credentials. Then fine-grained assertions on that template
// (CONVENTIONS.md: no snapshots), cfn-lint on it, and a look inside the Lambda bundles in cdk.out.
// cdk-nag AwsSolutions runs inside that synth (infra/app.ts): an unacknowledged finding fails it.
// In-process checks of the app's options (other regions, context, errors) are in infra-config.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glueTaskTimeoutSeconds } from '../infra/constructs/orchestration.ts';
import { ALARMS, readMetricsContract } from '../infra/constructs/monitoring.ts';
import { HANDLERS } from '../infra/constructs/ingestion.ts';
import {
  DEFAULT_BASE_CAPACITY,
  DEFAULT_GLUE_WORKERS,
  GLUE_DPUS_PER_WORKER,
  GLUE_WORKER_TYPE,
  LAMBDA_MEMORY_MB,
} from '../infra/constructs/sizing.ts';
import { DEPLOYED_SIZING } from '#local/ops/cost.ts';
import { FUNCTIONS } from '#local/runner/run.ts';
import { BOOTSTRAP_SQL } from '../infra/constructs/bootstrap.ts';
import { placeholders, readDefinitionText } from '#local/runner/asl.ts';
import { ROOT } from './helpers/sim.ts';
import {
  byPath,
  entries as entriesOf,
  grants,
  identityStatements,
  list,
  type Res,
  roleOf as roleOfFn,
  roleStatements as roleStatementsOf,
  type Statement,
  text,
  type Tpl,
  unscopedProblems,
} from './helpers/template.ts';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const STACK = 'WistiaPipeline';

let out: string;
let synth: { status: number | null; output: string };
let tpl: Tpl & { Outputs: Record<string, { Value: unknown }> };
let t: Template;

/** The environment of a deploy's synth, minus credentials: nothing AWS_* or CDK_* leaks in from this shell. */
function offlineEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')),
  );
  return {
    ...env,
    // no shared credentials/config files and no instance metadata: the CLI finds no credentials at all
    AWS_SHARED_CREDENTIALS_FILE: join(out, 'no-credentials'),
    AWS_CONFIG_FILE: join(out, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    ...extra,
  };
}

function cdk(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  synth = cdk(
    ['synth', '--quiet', '--no-notices', '--output', join(out, 'cdk.out')],
    offlineEnv({ CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: REGION }),
  );
  const file = join(out, 'cdk.out', `${STACK}.template.json`);
  if (synth.status !== 0 || !existsSync(file)) throw new Error(`cdk synth failed:\n${synth.output.slice(-6000)}`);
  tpl = JSON.parse(readFileSync(file, 'utf8')) as typeof tpl;
  t = Template.fromJSON(tpl);
}, 300_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

const entries = (type: string) => entriesOf(tpl, type);
const only = (type: string): [string, Res] => {
  const found = entries(type);
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]!;
};
const props = (type: string) => only(type)[1].Properties ?? {};
const roleStatements = (roleId: string) => roleStatementsOf(tpl, roleId);
const roleOf = (fnId: string) => roleOfFn(tpl, fnId);
const idOf = (type: string, pathPart: string) => {
  const found = byPath(tpl, type, pathPart);
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]![0];
};
const fnId = (handlerDir: string) => {
  const found = entries('AWS::Lambda::Function').filter(([, r]) =>
    JSON.stringify(r.Metadata ?? '').includes(`${STACK}/${handlerDir}/`),
  );
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]![0];
};

describe('the template `cdk deploy` ships (finding 0)', () => {
  it('synthesizes with the CDK CLI for an explicit environment, offline, without credentials, cdk-nag clean', () => {
    // status 0 above: the AwsSolutions plugin found nothing unacknowledged (it fails the synth otherwise)
    expect(synth.status).toBe(0);
    expect(synth.output).not.toMatch(/AwsSolutions-\w+/);
    // environment-specific: the account and region are literals, as a deploy ships them
    expect(props('AWS::Glue::Connection').CatalogId).toBe(ACCOUNT);
    expect(JSON.stringify(tpl)).toContain(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws-glue/*`);
  });

  it('passes cfn-lint with no errors (warnings only those CDK itself causes)', () => {
    const python = process.env.WISTIA_PIPELINE_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
    const cfnLint = join(dirname(python), 'cfn-lint');
    const r = spawnSync(cfnLint, [join(out, 'cdk.out', `${STACK}.template.json`)], { encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`;
    // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational
    expect(r.status === null ? -1 : r.status & 2, `cfn-lint errors:\n${output}`).toBe(0);
    expect(r.error, output).toBeUndefined();
    // W3005: CDK adds DependsOn on a function's role that its GetAtt already implies (harmless)
    const codes = [...new Set([...output.matchAll(/^([EWI]\d{4}) /gm)].map((m) => m[1]))];
    expect(
      codes.filter((c) => c !== 'W3005'),
      `cfn-lint output:\n${output}`,
    ).toEqual([]);
  });

  it('grants no action on Resource "*" without a written reason (infra/constructs/unscoped.ts)', () => {
    const { problems, unused } = unscopedProblems(tpl);
    expect(problems).toEqual([]);
    expect(unused).toEqual([]); // and the list holds nothing stale
  });

  it('names what operators need in its outputs (finding 12)', () => {
    expect(Object.keys(tpl.Outputs).sort()).toEqual(
      [
        'AlarmTopicArn',
        'BucketName',
        'DashboardUrl',
        'DatabaseName',
        'DeadLetterQueueUrl',
        'GlueJobName',
        'NamespaceName',
        'ReaderRoleArn',
        'StateMachineArn',
        'WorkgroupName',
      ].sort(),
    );
    expect(tpl.Outputs.StateMachineArn!.Value).toEqual({ Ref: only('AWS::StepFunctions::StateMachine')[0] });
    expect(tpl.Outputs.GlueJobName!.Value).toEqual({ Ref: only('AWS::Glue::Job')[0] });
    expect(tpl.Outputs.WorkgroupName!.Value).toBe(props('AWS::RedshiftServerless::Workgroup').WorkgroupName);
    expect(tpl.Outputs.NamespaceName!.Value).toBe(props('AWS::RedshiftServerless::Namespace').NamespaceName);
    expect(tpl.Outputs.DatabaseName!.Value).toBe('analytics');
    expect(tpl.Outputs.ReaderRoleArn!.Value).toEqual({ 'Fn::GetAtt': [idOf('AWS::IAM::Role', '/ReaderRole/'), 'Arn'] });
  });
});

describe('storage', () => {
  it('keeps bronze in an encrypted, versioned, private, TLS-only bucket that is retained, with bronze tiering', () => {
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'data-lake/' }),
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              Id: 'bronze-tiering',
              Prefix: 'bronze/',
              Transitions: [
                { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
                { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
              ],
            }),
          ]),
        },
      }),
    });
    const denyInsecure = entries('AWS::S3::BucketPolicy').filter(([, p]) =>
      JSON.stringify(p).includes('"aws:SecureTransport":"false"'),
    );
    expect(denyInsecure.length).toBe(2);
  });
});

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

describe('physical names (finding 12)', () => {
  it('leaves the state machine, Glue job, schedule and schedule group to CloudFormation to name', () => {
    expect(props('AWS::StepFunctions::StateMachine').StateMachineName).toBeUndefined();
    expect(props('AWS::Glue::Job').Name).toBeUndefined();
    expect(props('AWS::Scheduler::Schedule').Name).toBeUndefined();
    expect(props('AWS::Scheduler::ScheduleGroup').Name).toBeUndefined();
  });

  it("derives the names CloudFormation requires from the stack, each valid for its service's pattern", () => {
    const ns = props('AWS::RedshiftServerless::Namespace').NamespaceName as string;
    const wg = props('AWS::RedshiftServerless::Workgroup').WorkgroupName as string;
    // CloudFormation's patterns for both: ^(?=^[a-z0-9-]+$).{3,64}$
    for (const n of [ns, wg]) expect(n).toMatch(/^(?=[a-z0-9-]+$).{3,64}$/);
    expect(ns).toMatch(/^wistiapipeline-analytics-[0-9a-f]{8}$/);
    expect(wg).toMatch(/^wistiapipeline-analytics-wg-[0-9a-f]{8}$/);
    expect(props('AWS::RedshiftServerless::Workgroup').NamespaceName).toBe(ns);
    const conn = (props('AWS::Glue::Connection').ConnectionInput as { Name: string }).Name;
    expect(conn).toMatch(/^wistiapipeline-glue-network-[0-9a-f]{8}$/);
    expect(props('AWS::Glue::SecurityConfiguration').Name).toMatch(/^wistiapipeline-glue-security-[0-9a-f]{8}$/);
    const sfnLogs = tpl.Resources[idOf('AWS::Logs::LogGroup', '/Orchestration/Logs/')]!.Properties!.LogGroupName;
    expect(sfnLogs).toMatch(/^\/aws\/vendedlogs\/states\/wistiapipeline-ingest-[0-9a-f]{8}$/);
    // every other log group's name is generated or follows its function's generated name
    const named = entries('AWS::Logs::LogGroup').filter(([, r]) => typeof r.Properties!.LogGroupName === 'string');
    expect(named.map(([, r]) => r.Properties!.LogGroupName)).toEqual([sfnLogs]);
  });
});

describe('warehouse and transform', () => {
  it('runs Redshift Serverless privately with a managed admin password, capped at 32 RPUs (finding 13)', () => {
    t.hasResourceProperties('AWS::RedshiftServerless::Namespace', {
      ManageAdminPassword: true,
      DbName: 'analytics',
      AdminUsername: 'admin',
      IamRoles: [{ 'Fn::GetAtt': [idOf('AWS::IAM::Role', '/RedshiftCopyRole/'), 'Arn'] }],
    });
    t.hasResourceProperties('AWS::RedshiftServerless::Workgroup', {
      PubliclyAccessible: false,
      EnhancedVpcRouting: true,
      BaseCapacity: 8,
      MaxCapacity: 32,
    });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('retains the warehouse (the namespace) with the stack, and lets Redshift Serverless assume the COPY role', () => {
    t.hasResource('AWS::RedshiftServerless::Namespace', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    // "make sure that it contains redshift-serverless.amazonaws.com and redshift.amazonaws.com"
    // (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-iam.html)
    const trust = tpl.Resources[idOf('AWS::IAM::Role', '/RedshiftCopyRole/')]!.Properties!.AssumeRolePolicyDocument as {
      Statement: Statement[];
    };
    expect(
      trust.Statement.flatMap((st) => list((st.Principal as { Service?: string | string[] }).Service)).sort(),
    ).toEqual(['redshift-serverless.amazonaws.com', 'redshift.amazonaws.com']);
  });

  it('puts the workgroup in subnets of three distinct availability zones, named from context, no lookup (finding 5)', () => {
    const subnets = (props('AWS::RedshiftServerless::Workgroup').SubnetIds as { Ref: string }[]).map((s) => s.Ref);
    expect(subnets).toHaveLength(3);
    const zones = subnets.map((id) => tpl.Resources[id]!.Properties!.AvailabilityZone);
    expect(new Set(zones).size).toBe(3);
    expect(zones.sort()).toEqual([`${REGION}a`, `${REGION}b`, `${REGION}c`]);
  });

  it('limits RPU-hours with a usage limit: CreateUsageLimit / UpdateUsageLimit / DeleteUsageLimit on the workgroup (finding 13)', () => {
    const [, limit] = only('Custom::RedshiftServerlessUsageLimit');
    const call = (k: string) => JSON.parse(text(limit.Properties![k])) as Record<string, unknown>;
    const wg = only('AWS::RedshiftServerless::Workgroup')[0];
    expect(call('Create')).toEqual({
      service: 'RedshiftServerless',
      action: 'CreateUsageLimit',
      parameters: {
        resourceArn: `<${wg}.Workgroup.WorkgroupArn>`,
        usageType: 'serverless-compute',
        amount: 64,
        period: 'daily',
        breachAction: 'deactivate',
      },
      physicalResourceId: { responsePath: 'usageLimit.usageLimitId' },
      outputPaths: ['usageLimit.usageLimitId'],
    });
    expect(call('Update')).toMatchObject({
      action: 'UpdateUsageLimit',
      parameters: { usageLimitId: 'PHYSICAL:RESOURCEID:', amount: 64, breachAction: 'deactivate' },
    });
    expect(call('Delete')).toMatchObject({
      action: 'DeleteUsageLimit',
      parameters: { usageLimitId: 'PHYSICAL:RESOURCEID:' },
    });
  });

  it('lets the workgroup reach S3 only on 443, to the S3 prefix list the gateway endpoint routes (finding 4)', () => {
    const [sgId, sg] = entries('AWS::EC2::SecurityGroup').find(([, r]) =>
      JSON.stringify(r.Metadata).includes('/Warehouse/RedshiftSg/'),
    )!;
    expect(props('AWS::RedshiftServerless::Workgroup').SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    const prefixList = only('Custom::S3PrefixList')[0];
    expect(sg.Properties!.SecurityGroupEgress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        DestinationPrefixListId: { 'Fn::GetAtt': [prefixList, 'PrefixLists.0.PrefixListId'] },
        Description: 'COPY reads S3 through the gateway endpoint (enhanced VPC routing)',
      },
    ]);
    // and nothing else opens its egress from outside the group
    expect(entries('AWS::EC2::SecurityGroupEgress')).toEqual([]);
    const lookup = JSON.parse(text(tpl.Resources[prefixList]!.Properties!.Create)) as { parameters: unknown };
    expect(lookup.parameters).toEqual({
      Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${REGION}.s3`] }],
    });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.anyValue() });
  });

  it('gives the CloudWatch Logs principal the key policy AWS documents, with the encryption-context condition (finding 7)', () => {
    const policy = tpl.Resources[idOf('AWS::KMS::Key', '/Warehouse/GlueKey/')]!.Properties!.KeyPolicy as {
      Statement: Statement[];
    };
    const logs = policy.Statement.filter((s) => JSON.stringify(s.Principal).includes('logs.'));
    expect(logs).toEqual([
      {
        Sid: 'CloudWatchLogsEncryptsGlueLogGroups',
        Effect: 'Allow',
        Principal: { Service: { 'Fn::Join': ['', [`logs.${REGION}.`, { Ref: 'AWS::URLSuffix' }]] } },
        Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: '*',
        Condition: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws-glue/*` },
        },
      },
    ]);
  });

  it('runs the Glue 5 job in the VPC through a NETWORK connection, encrypted, one run at a time, queuing the next (finding 11)', () => {
    t.hasResourceProperties('AWS::Glue::Job', {
      GlueVersion: '5.0',
      WorkerType: 'G.1X',
      NumberOfWorkers: 2,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
      JobRunQueuingEnabled: true,
      Command: Match.objectLike({ Name: 'glueetl', PythonVersion: '3' }),
      SecurityConfiguration: { Ref: only('AWS::Glue::SecurityConfiguration')[0] },
      Connections: { Connections: [{ Ref: only('AWS::Glue::Connection')[0] }] },
    });
    t.hasResourceProperties('AWS::Glue::Connection', {
      ConnectionInput: Match.objectLike({ ConnectionType: 'NETWORK' }),
    });
    t.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: Match.objectLike({
        CloudWatchEncryption: Match.objectLike({ CloudWatchEncryptionMode: 'SSE-KMS' }),
        JobBookmarksEncryption: Match.objectLike({ JobBookmarksEncryptionMode: 'CSE-KMS' }),
      }),
    });
  });

  it("times the Glue job out an hour before the state machine's Glue task gives up", () => {
    const taskSeconds = glueTaskTimeoutSeconds();
    expect(taskSeconds).toBe(21600);
    const jobMinutes = props('AWS::Glue::Job').Timeout as number;
    expect(jobMinutes).toBe(300);
    expect(jobMinutes * 60 + 3600).toBeLessThanOrEqual(taskSeconds);
  });

  it('gives the job no empty argument: every DefaultArguments value is a non-empty string (finding 17)', () => {
    const args = props('AWS::Glue::Job').DefaultArguments as Record<string, unknown>;
    expect(Object.keys(args).length).toBeGreaterThan(5);
    for (const [k, v] of Object.entries(args)) {
      expect([k, text(v).trim().length > 0]).toEqual([k, true]);
    }
    expect(args).not.toHaveProperty('--company_hosts'); // no companyHosts in context: omitted, not ''
    expect(args['--redshift_workgroup']).toBe(props('AWS::RedshiftServerless::Workgroup').WorkgroupName);
    expect(args['--redshift_database']).toBe('analytics');
    expect(args['--enable-metrics']).toBe('true');
  });

  it('scopes the Data API and GetCredentials to the workgroup, status calls to own statements, no PassRole (finding 16)', () => {
    const glueRole = idOf('AWS::IAM::Role', '/Warehouse/GlueRole/');
    const sts = roleStatements(glueRole);
    const wg = `<${only('AWS::RedshiftServerless::Workgroup')[0]}.Workgroup.WorkgroupArn>`;
    for (const a of [
      'redshift-data:BatchExecuteStatement',
      'redshift-data:ExecuteStatement',
      'redshift-serverless:GetCredentials',
    ])
      expect([a, grants(sts, a)]).toEqual([a, [wg]]);
    const own = sts.filter((s) => list(s.Action).includes('redshift-data:DescribeStatement'));
    expect(own).toEqual([
      {
        Effect: 'Allow',
        Action: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'],
        Resource: '*',
        Condition: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
      },
    ]);
    expect(identityStatements(tpl).filter(({ st }) => list(st.Action).includes('iam:PassRole'))).toEqual([]);
    expect(JSON.stringify(tpl)).not.toContain('workgroup/*');
  });

  it("lets the job put metrics to the Glue namespace and the pipeline's own only, through a CloudWatch monitoring endpoint (finding 10, issue 14)", () => {
    const sts = roleStatements(idOf('AWS::IAM::Role', '/Warehouse/GlueRole/'));
    expect(sts.filter((s) => list(s.Action).includes('cloudwatch:PutMetricData'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': ['Glue', 'WistiaPipeline'] } },
      },
    ]);
    const endpoints = entries('AWS::EC2::VPCEndpoint').map(([, e]) => text(e.Properties!.ServiceName));
    expect(endpoints).toContain(`com.amazonaws.${REGION}.monitoring`);
    expect(props('AWS::Glue::Job').DefaultArguments).toMatchObject({ '--enable-metrics': 'true' });
  });

  it('maps the Glue role to wistia_loader and an analysts role to wistia_reader with GetCredentials on the workgroup (finding 3)', () => {
    const tags = (id: string) => tpl.Resources[id]!.Properties!.Tags;
    const glueRole = idOf('AWS::IAM::Role', '/Warehouse/GlueRole/');
    const reader = idOf('AWS::IAM::Role', '/Warehouse/ReaderRole/');
    expect(tags(glueRole)).toEqual([{ Key: 'RedshiftDbRoles', Value: 'wistia_loader' }]);
    expect(tags(reader)).toEqual([{ Key: 'RedshiftDbRoles', Value: 'wistia_reader' }]);
    const wg = `<${only('AWS::RedshiftServerless::Workgroup')[0]}.Workgroup.WorkgroupArn>`;
    expect(grants(roleStatements(reader), 'redshift-serverless:GetCredentials')).toEqual([wg]);
    expect(JSON.stringify(tpl.Resources[reader]!.Properties!.AssumeRolePolicyDocument)).toContain(
      `:iam::${ACCOUNT}:root`,
    );
    // signing in with IAM credentials, the tag is honoured only with these two tagging reads
    // (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html)
    for (const role of [glueRole, reader])
      for (const action of ['tag:GetResources', 'tag:GetTagKeys'])
        expect(grants(roleStatements(role), action), `${role} ${action}`).toEqual(['*']);
  });

  it('bootstraps the warehouse after the workgroup, least privilege, with a DDL hash (finding 3)', () => {
    const [crId, bootstrap] = only('Custom::WarehouseBootstrap');
    const fn = fnId('Warehouse/Bootstrap/Function');
    expect(bootstrap.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [fn, 'Arn'] },
      ServiceTimeout: '960',
      NamespaceName: props('AWS::RedshiftServerless::Namespace').NamespaceName,
      WorkgroupName: props('AWS::RedshiftServerless::Workgroup').WorkgroupName,
      Database: 'analytics',
      DdlHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(list(bootstrap.DependsOn)).toContain(only('AWS::RedshiftServerless::Workgroup')[0]);
    const sts = roleStatements(roleOf(fn));
    const ns = props('AWS::RedshiftServerless::Namespace').NamespaceName as string;
    expect(grants(sts, 'redshift-serverless:GetNamespace')).toEqual([
      `<${only('AWS::RedshiftServerless::Namespace')[0]}.Namespace.NamespaceArn>`,
    ]);
    const wg = `<${only('AWS::RedshiftServerless::Workgroup')[0]}.Workgroup.WorkgroupArn>`;
    expect(grants(sts, 'redshift-data:BatchExecuteStatement')).toEqual([wg]);
    expect(grants(sts, 'secretsmanager:GetSecretValue')).toEqual([
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:redshift!${ns}-admin-??????`,
    ]);
    expect(grants(sts, 'redshift-serverless:GetCredentials')).toEqual([]);
    // the first scheduled run comes after the tables exist
    expect(list(only('AWS::Scheduler::Schedule')[1].DependsOn)).toContain(crId);
  });
});

describe('monitoring (issue 14)', () => {
  type Alarm = Record<string, unknown> & {
    AlarmActions: unknown[];
    AlarmDescription: string;
    Metrics?: { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: Record<string, unknown> }[];
  };
  const topicId = () => only('AWS::SNS::Topic')[0];
  const alarmOf = (id: keyof typeof ALARMS): Alarm =>
    tpl.Resources[idOf('AWS::CloudWatch::Alarm', `/Monitoring/${id}/`)]!.Properties as Alarm;
  const smRef = () => ({ Ref: only('AWS::StepFunctions::StateMachine')[0] });
  const contract = readMetricsContract();

  it('has exactly the alarms of the runbook, each notifying the topic and naming its first step and runbook section', () => {
    const alarms = entries('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(Object.keys(ALARMS).length);
    for (const [id, section] of Object.entries(ALARMS)) {
      const a = alarmOf(id as keyof typeof ALARMS);
      expect(a.AlarmActions, id).toEqual([{ Ref: topicId() }]);
      expect(a.AlarmDescription, id).toContain(' First: ');
      expect(a.AlarmDescription, id).toContain(`section "${section}"`);
      expect(a.ActionsEnabled ?? true, id).toBe(true);
    }
    // the README's runbook has every section the alarms point to
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const runbook = readme.slice(readme.indexOf('## Alarms (runbook)'));
    expect(runbook.length).toBeGreaterThan(20);
    for (const section of new Set(Object.values(ALARMS))) {
      const heading = [...runbook.matchAll(/^### (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      );
      expect(heading, section).toContain(section);
    }
    for (const id of Object.keys(ALARMS)) expect(runbook, id).toContain(`\`${id}\``);
  });

  it('alarms on any failed, timed-out or aborted execution of the state machine within 5 minutes', () => {
    for (const [id, metric] of [
      ['ExecutionsFailed', 'ExecutionsFailed'],
      ['ExecutionsTimedOut', 'ExecutionsTimedOut'],
      ['ExecutionsAborted', 'ExecutionsAborted'],
    ] as const)
      expect(alarmOf(id)).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: smRef() }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
  });

  it('alarms when no execution succeeded in 26 hours (a missed schedule), hours without data breaching', () => {
    const a = alarmOf('NoSuccessfulRun');
    expect(a).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsSucceeded',
      Dimensions: [{ Name: 'StateMachineArn', Value: smRef() }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    // PutMetricAlarm: Period x EvaluationPeriods at most 7 days
    expect((a.Period as number) * (a.EvaluationPeriods as number)).toBeLessThanOrEqual(604_800);
  });

  it("alarms on the Glue job's FAILED, TIMEOUT and ERROR state changes, the rule sending the job's own message", () => {
    const [ruleId, rule] = only('AWS::Events::Rule');
    expect(rule.Properties!.EventPattern).toEqual({
      source: ['aws.glue'],
      'detail-type': ['Glue Job State Change'],
      detail: { jobName: [{ Ref: only('AWS::Glue::Job')[0] }], state: ['FAILED', 'TIMEOUT', 'ERROR'] },
    });
    const targetsOf = rule.Properties!.Targets as {
      Arn: unknown;
      InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
    }[];
    expect(targetsOf).toHaveLength(1);
    expect(targetsOf[0]!.Arn).toEqual({ Ref: topicId() });
    expect(Object.values(targetsOf[0]!.InputTransformer.InputPathsMap).sort()).toEqual(
      ['$.detail.jobName', '$.detail.jobRunId', '$.detail.message', '$.detail.state'].sort(),
    );
    expect(targetsOf[0]!.InputTransformer.InputTemplate).toContain('the-glue-job-failed');
    expect(alarmOf('GlueJobFailed')).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: ruleId } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // EventBridge may publish to the topic (the topic policy) and use its key (the key policy)
    const topicPolicy = only('AWS::SNS::TopicPolicy')[1].Properties!.PolicyDocument as { Statement: Statement[] };
    expect(
      topicPolicy.Statement.filter((st) => JSON.stringify(st.Principal ?? '').includes('events.amazonaws.com')),
    ).toHaveLength(1);
  });

  it('alarms on any error or throttle of the seven handlers, summed in one expression each', () => {
    const fnIds = entries('AWS::Lambda::Function')
      .filter(([, r]) => JSON.stringify(r.Metadata ?? '').includes(`${STACK}/Ingestion/`))
      .map(([id]) => id)
      .sort();
    expect(fnIds).toHaveLength(7);
    for (const [id, metric] of [
      ['LambdaErrors', 'Errors'],
      ['LambdaThrottles', 'Throttles'],
    ] as const) {
      const a = alarmOf(id);
      expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      const ms = a.Metrics!;
      const expr = ms.filter((m) => m.Expression);
      expect(expr).toHaveLength(1);
      const inputs = ms.filter((m) => m.MetricStat);
      expect(expr[0]!.Expression!.split(' + ').sort()).toEqual(inputs.map((m) => m.Id).sort());
      const stats = inputs.map(
        (m) => m.MetricStat as { Metric: Record<string, unknown>; Period: number; Stat: string },
      );
      expect(stats.map((st) => [st.Metric.Namespace, st.Metric.MetricName, st.Period, st.Stat])).toEqual(
        fnIds.map(() => ['AWS/Lambda', metric, 300, 'Sum']),
      );
      expect(stats.map((st) => (st.Metric.Dimensions as { Value: { Ref: string } }[])[0]!.Value.Ref).sort()).toEqual(
        fnIds,
      );
    }
  });

  it("alarms when the Scheduler's dead-letter queue holds a message", () => {
    expect(alarmOf('ScheduleDeadLetters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [only('AWS::SQS::Queue')[0], 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it("alarms on the quarantine share and the 429 share from the run's own metrics (contracts/metrics.json)", () => {
    for (const [id, part, whole, threshold] of [
      ['QuarantineShare', 'RecordsQuarantined', 'RecordsRead', 0.02],
      ['RateLimitedShare', 'WistiaRateLimited', 'WistiaRequests', 0.01],
    ] as const) {
      const a = alarmOf(id);
      expect(a).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanThreshold' });
      const ms = a.Metrics!;
      const byName = Object.fromEntries(
        ms
          .filter((m) => m.MetricStat)
          .map((m) => {
            const st = m.MetricStat as { Metric: Record<string, unknown>; Period: number; Stat: string };
            return [st.Metric.MetricName as string, { id: m.Id, st }];
          }),
      );
      expect(Object.keys(byName).sort()).toEqual([part, whole].sort());
      for (const { st } of Object.values(byName))
        expect(st).toMatchObject({
          Metric: {
            Namespace: contract.namespace,
            Dimensions: [{ Name: 'service', Value: contract.service }],
          },
          Period: 3600,
          Stat: 'Sum',
        });
      const expr = ms.find((m) => m.Expression)!;
      expect(expr.Expression).toBe(`IF(${byName[whole]!.id} > 0, ${byName[part]!.id} / ${byName[whole]!.id}, 0)`);
      expect(expr.ReturnData ?? true).toBe(true);
    }
  });

  it('notifies one KMS-encrypted, TLS-only topic that CloudWatch (this account) and EventBridge may use', () => {
    const [, topic] = only('AWS::SNS::Topic');
    const keyId = idOf('AWS::KMS::Key', '/Monitoring/TopicKey/');
    expect(topic.Properties!.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const key = tpl.Resources[keyId]!.Properties!;
    expect(key.EnableKeyRotation).toBe(true);
    const keyStatements = (key.KeyPolicy as { Statement: Statement[] }).Statement;
    const forService = (svc: string) => keyStatements.filter((st) => JSON.stringify(st.Principal ?? '').includes(svc));
    expect(forService('cloudwatch.amazonaws.com')).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` },
        },
      }),
    ]);
    expect(forService('events.amazonaws.com')).toEqual([
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    ]);
    const topicPolicy = only('AWS::SNS::TopicPolicy')[1].Properties!.PolicyDocument as { Statement: Statement[] };
    expect(topicPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(topicPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      }),
    );
    // no e-mail without context alarmEmail (infra-config.test.ts checks it with)
    expect(entries('AWS::SNS::Subscription')).toEqual([]);
    expect(tpl.Outputs.AlarmTopicArn!.Value).toEqual({ Ref: topicId() });
  });

  it('has a dashboard with every alarm and every metric of the contract, its URL an output', () => {
    const [dashId, dash] = only('AWS::CloudWatch::Dashboard');
    const body = text(dash.Properties!.DashboardBody);
    const parsed = JSON.parse(body.replace(/<[^>]+>/g, 'X')) as {
      widgets: { type: string; properties: Record<string, unknown> }[];
    };
    expect(parsed.widgets.length).toBeGreaterThanOrEqual(10);
    const alarmWidget = parsed.widgets.find((w) => w.properties.title === 'Alarms')!;
    expect((alarmWidget.properties.alarms as unknown[]).length).toBe(Object.keys(ALARMS).length);
    for (const id of Object.keys(ALARMS))
      expect(body, id).toContain(`<${idOf('AWS::CloudWatch::Alarm', `/Monitoring/${id}/`)}.Arn>`);
    // (a SEARCH expression quotes its metric name inside the expression's string)
    for (const name of Object.keys(contract.metrics)) expect(body, name).toMatch(new RegExp(`\\\\?"${name}\\\\?"`));
    for (const m of ['ExecutionsSucceeded', 'ExecutionsFailed', 'Errors', 'Throttles', 'Duration'])
      expect(body, m).toContain(`"${m}"`);
    expect(text(tpl.Outputs.DashboardUrl!.Value)).toContain(
      `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/<${dashId}>`,
    );
  });
});

describe('the sizes the cost estimate bills by (issue 14)', () => {
  it('are what the template deploys: Lambda memory per function, Glue workers, Redshift base capacity', () => {
    // each handler's MemorySize, by the name the local runner records its usage under (wistia-<handler dir>)
    const deployed = Object.fromEntries(
      Object.entries(HANDLERS).map(([name, h]) => [
        `wistia-${h.dir}`,
        tpl.Resources[fnId(`Ingestion/${name}`)]!.Properties!.MemorySize,
      ]),
    );
    expect(Object.keys(deployed).sort()).toEqual(
      Object.values(FUNCTIONS)
        .map((f) => f.name)
        .sort(),
    );
    expect(Object.keys(LAMBDA_MEMORY_MB).sort()).toEqual(
      Object.values(HANDLERS)
        .map((h) => h.dir)
        .sort(),
    );
    for (const [fn, mb] of Object.entries(deployed)) {
      expect(mb, fn).toBeTypeOf('number');
      expect(DEPLOYED_SIZING.lambdaMemoryMb(fn), fn).toBe(mb);
    }
    // Glue: the job's workers x DPUs per worker
    const job = props('AWS::Glue::Job');
    expect([job.WorkerType, job.NumberOfWorkers]).toEqual([GLUE_WORKER_TYPE, DEFAULT_GLUE_WORKERS]);
    expect(DEPLOYED_SIZING.glueDpus).toBe(
      (job.NumberOfWorkers as number) * GLUE_DPUS_PER_WORKER[job.WorkerType as string]!,
    );
    // Redshift Serverless: the workgroup's base capacity
    const wg = props('AWS::RedshiftServerless::Workgroup');
    expect(wg.BaseCapacity).toBe(DEFAULT_BASE_CAPACITY);
    expect(DEPLOYED_SIZING.baseRpus).toBe(wg.BaseCapacity);
  });
});
