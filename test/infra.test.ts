// The CDK app: fine-grained assertions on what matters, cdk-nag AwsSolutions with no unacknowledged finding,
// and `npx cdk synth` offline without credentials.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineStack } from '../infra/stacks/pipeline-stack.ts';
import { placeholders, readDefinitionText } from '#local/runner/asl.ts';
import { ROOT } from './helpers/sim.ts';

let app: App;
let stack: PipelineStack;
let t: Template;
beforeAll(() => {
  app = new App({ context: { '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true } });
  stack = new PipelineStack(app, 'WistiaPipeline', { tokenParameterName: '/wistia/api-token' });
  t = Template.fromStack(stack);
}, 120_000);

const resolveJoin = (v: unknown): string => JSON.stringify(v);

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
    const policies = t.findResources('AWS::S3::BucketPolicy');
    const denyInsecure = Object.values(policies).filter((p) =>
      resolveJoin(p).includes('"aws:SecureTransport":"false"'),
    );
    expect(denyInsecure.length).toBe(2);
  });
});

describe('ingestion', () => {
  it('runs seven handlers on nodejs22.x, arm64, with X-Ray, configured by environment', () => {
    const fns = t.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
    expect(Object.keys(fns)).toHaveLength(7);
    for (const f of Object.values(fns) as { Properties: Record<string, unknown> }[]) {
      expect(f.Properties.Architectures).toEqual(['arm64']);
      expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      const env = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.WISTIA_TOKEN_PARAMETER).toBe('/wistia/api-token');
      expect(env.ACCOUNT_REQUESTS_PER_MINUTE).toBe('570');
      expect(env.BUCKET_NAME).toBeDefined();
    }
  });

  it('lets the handlers read only the token parameter', () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).map((p) => resolveJoin(p));
    const ssm = policies.filter((p) => p.includes('ssm:GetParameter'));
    expect(ssm.length).toBe(7);
    for (const p of ssm) expect(p).toContain(':parameter/wistia/api-token"');
  });
});

describe('orchestration', () => {
  it('builds the state machine from the ASL file with a substitution for every placeholder', () => {
    const sms = t.findResources('AWS::StepFunctions::StateMachine');
    const [sm] = Object.values(sms) as { Properties: Record<string, unknown> }[];
    expect(Object.keys(sm?.Properties.DefinitionSubstitutions as object).sort()).toEqual(
      placeholders(readDefinitionText()),
    );
    expect(sm?.Properties.StateMachineType).toBe('STANDARD');
    expect(sm?.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(resolveJoin(sm?.Properties.LoggingConfiguration)).toContain('"Level":"ALL"');
    // the definition is the ASL file itself, shipped as an asset (never rebuilt in CDK code)
    expect(sm?.Properties.DefinitionS3Location).toEqual(
      expect.objectContaining({ Bucket: expect.anything(), Key: expect.stringMatching(/\.json$/) }),
    );
    expect(sm?.Properties.DefinitionString).toBeUndefined();
  });

  it('grants the state machine exactly what Distributed Map, ItemReader/ResultWriter, redrive, Lambda and Glue .sync need', () => {
    const role = Object.entries(t.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('OrchestrationRoleDefaultPolicy'),
    );
    const doc = resolveJoin(role?.[1]);
    expect(doc).toContain(
      '"Action":"states:StartExecution","Effect":"Allow","Resource":{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":states:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":stateMachine:wistia-ingest"]]}',
    );
    expect(doc).toContain('"states:RedriveExecution"');
    expect(doc).toContain('"Action":["glue:StartJobRun","glue:GetJobRun","glue:GetJobRuns","glue:BatchStopJobRun"]');
    expect(doc).toContain('/runs/*/map-results/*');
    expect(doc).not.toContain('"Action":"*"');
    expect(doc).not.toMatch(/"Action":"s3:\*"/);
  });

  it('starts one execution a day with EventBridge Scheduler', () => {
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('OrchestrationStateMachine') } }),
    });
  });
});

describe('warehouse and transform', () => {
  it('runs Redshift Serverless privately with a managed admin password', () => {
    t.hasResourceProperties('AWS::RedshiftServerless::Namespace', {
      ManageAdminPassword: true,
      DbName: 'analytics',
      IamRoles: Match.anyValue(),
    });
    t.hasResourceProperties('AWS::RedshiftServerless::Workgroup', {
      PubliclyAccessible: false,
      EnhancedVpcRouting: true,
    });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('runs the Glue 5 job in the VPC through a NETWORK connection, encrypted, one run at a time', () => {
    t.hasResourceProperties('AWS::Glue::Job', {
      GlueVersion: '5.0',
      WorkerType: 'G.1X',
      NumberOfWorkers: 2,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
      Command: Match.objectLike({ Name: 'glueetl', PythonVersion: '3' }),
      SecurityConfiguration: Match.anyValue(),
      Connections: { Connections: [Match.anyValue()] },
      DefaultArguments: Match.objectLike({
        '--job-bookmark-option': 'job-bookmark-disable',
        '--redshift_database': 'analytics',
      }),
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
});

describe('compliance', () => {
  it('passes cdk-nag AwsSolutions with every finding acknowledged with a reason', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(
      report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('`npx cdk synth` succeeds offline, without AWS credentials', () => {
    const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
    try {
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')),
      );
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', '--output', out],
        { cwd: ROOT, env, encoding: 'utf8' },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-3000)).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
