// The template `cdk deploy` ships (test/helpers/synth.ts: the CDK CLI's offline synth for an explicit environment,
// once per test run): the synth itself (cdk-nag clean), cfn-lint, the written reasons for Resource "*", the
// outputs, storage, the physical names, and the sizes the cost estimate bills by. Fine-grained assertions
// (CONVENTIONS.md: no snapshots). In-process checks of the app's options (other regions, context, errors) are in
// infra-config.test.ts; the rest of the template in infra-pipeline, infra-warehouse and infra-monitoring.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
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
import { ROOT } from './helpers/sim.ts';
import {
  ACCOUNT,
  REGION,
  STACK,
  out,
  synth,
  tpl,
  t,
  entries,
  only,
  props,
  idOf,
  fnId,
  useSynth,
} from './helpers/synth.ts';
import { unscopedProblems } from './helpers/template.ts';

useSynth();

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
