// The CDK app's options, in process (infra/app.ts pipelineApp, the function bin/app.ts runs): the environment
// it requires, the context it reads, and cdk-nag AwsSolutions on environment-specific stacks in two regions
// (nothing account- or region-specific is hard-coded in an acknowledgement). Lambda bundling is skipped here
// (context aws:cdk:bundling-stacks = []): infra-pipeline.test.ts checks the bundles of the CLI's synth.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentError, pipelineApp } from '../infra/app.ts';
import type { PipelineStack } from '../infra/stacks/pipeline-stack.ts';
import { ROOT } from './helpers/sim.ts';
import { byPath, entries, roleOf, roleStatements, text, type Tpl, unscopedProblems } from './helpers/template.ts';

// path metadata (aws:cdk:path) as the CLI writes it, to find resources by construct path
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true };
const KEY = 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let dirs: string[] = [];
function build(opts: Parameters<typeof pipelineApp>[0]) {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-app-'));
  dirs.push(outdir);
  return pipelineApp({ nag: false, outdir, ...opts, context: { ...NO_BUNDLING, ...opts?.context } });
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** The default stack in us-east-1 (environment from context, over the CLI's defaults) and a second one. */
let a: { stack: PipelineStack; app: ReturnType<typeof pipelineApp>['app']; tpl: Tpl };
let b: { stack: PipelineStack; app: ReturnType<typeof pipelineApp>['app']; tpl: Tpl };
beforeAll(() => {
  const one = build({
    env: { CDK_DEFAULT_ACCOUNT: '999999999999', CDK_DEFAULT_REGION: 'ap-southeast-2' },
    context: { account: '111111111111', region: 'us-east-1' },
  });
  a = { ...one, tpl: Template.fromStack(one.stack).toJSON() as Tpl };
  const two = build({
    account: '222222222222',
    region: 'eu-west-1',
    env: {},
    context: {
      stackName: 'WistiaPipelineStaging',
      availabilityZones: 'eu-west-1b, eu-west-1c,eu-west-1a',
      tokenKmsKeyArn: KEY,
      companyHosts: ' www.example.com , shop.example.com ',
      redshiftMaxCapacity: '64',
      rpuUsageLimit: '100',
      rpuUsageLimitPeriod: 'weekly',
      rpuUsageLimitBreachAction: 'emit-metric',
    },
  });
  b = { ...two, tpl: Template.fromStack(two.stack).toJSON() as Tpl };
}, 300_000);

describe('the environment (finding 0)', () => {
  it('refuses to build without an account and a region, naming how to give them', () => {
    const err = (() => {
      try {
        build({ env: {} });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(EnvironmentError);
    const msg = (err as Error).message;
    expect(msg).toContain('missing: account and region');
    expect(msg).toContain('CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION');
    expect(msg).toContain('-c account=111111111111 -c region=us-east-1');
    expect(() => build({ env: { CDK_DEFAULT_ACCOUNT: '111111111111' } })).toThrow(/missing: region/);
  });

  it('`cdk synth` without credentials or an environment stops with that message', () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')),
    );
    const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
    dirs.push(out);
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', '--no-notices', '--output', out],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: {
          ...env,
          AWS_SHARED_CREDENTIALS_FILE: join(out, 'none'),
          AWS_CONFIG_FILE: join(out, 'none'),
          AWS_EC2_METADATA_DISABLED: 'true',
          CDK_DISABLE_CLI_TELEMETRY: 'true',
        },
      },
    );
    expect(r.status).not.toBe(0);
    const output = `${r.stdout}${r.stderr}`.replace(/\s+/g, ' ');
    // without credentials the CLI still sets CDK_DEFAULT_REGION (its default region), never the account
    expect(output).toContain('needs an explicit AWS environment (missing: account)');
    expect(output).toContain('-c account=111111111111 -c region=us-east-1');
  }, 120_000);

  it('takes context account/region (offline synth) over the CLI defaults', () => {
    expect([a.stack.account, a.stack.region]).toEqual(['111111111111', 'us-east-1']);
    expect([b.stack.account, b.stack.region, b.stack.stackName]).toEqual([
      '222222222222',
      'eu-west-1',
      'WistiaPipelineStaging',
    ]);
  });

  it('refuses a malformed account or region', () => {
    expect(() => build({ account: '1234', region: 'us-east-1', env: {} })).toThrow(/account must be 12 digits/);
    expect(() => build({ account: '111111111111', region: 'useast1', env: {} })).toThrow(/region must look like/);
  });
});

describe('cdk-nag AwsSolutions on environment-specific stacks in two regions (finding 0)', () => {
  it.each([
    ['111111111111 / us-east-1', () => a],
    ['222222222222 / eu-west-1', () => b],
  ])('has no unacknowledged finding in %s', (_name, get) => {
    const { app, stack } = get();
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(
      report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('grants nothing on Resource "*" without a written reason in the second stack either', () => {
    expect(unscopedProblems(b.tpl)).toEqual({ problems: [], unused: [] });
  });
});

describe('context', () => {
  const subnetsZones = (tpl: Tpl) => {
    const [, wg] = entries(tpl, 'AWS::RedshiftServerless::Workgroup')[0]!;
    return (wg.Properties!.SubnetIds as { Ref: string }[]).map(
      (s) => tpl.Resources[s.Ref]!.Properties!.AvailabilityZone,
    );
  };

  it('places the workgroup in the availability zones of context availabilityZones, default <region>a,b,c (finding 5)', () => {
    expect(subnetsZones(a.tpl)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(subnetsZones(b.tpl)).toEqual(['eu-west-1b', 'eu-west-1c', 'eu-west-1a']);
    const base = { account: '111111111111', region: 'us-east-1', env: {} };
    expect(() => build({ ...base, context: { availabilityZones: 'us-east-1a,us-east-1b' } })).toThrow(
      /three distinct zones/,
    );
    expect(() => build({ ...base, context: { availabilityZones: 'us-east-1a,us-east-1a,us-east-1b' } })).toThrow(
      /three distinct zones/,
    );
    expect(() => build({ ...base, context: { availabilityZones: 'us-east-1a,us-east-1b,eu-west-1c' } })).toThrow(
      /"eu-west-1c" is not a zone of us-east-1/,
    );
  });

  it('with tokenKmsKeyArn, lets the handlers decrypt with that key only, through SSM only (finding 0)', () => {
    const fns = entries(b.tpl, 'AWS::Lambda::Function').filter(
      ([, f]) =>
        (f.Properties!.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
          ?.WISTIA_TOKEN_PARAMETER,
    );
    expect(fns).toHaveLength(7);
    for (const [id] of fns) {
      const decrypt = roleStatements(b.tpl, roleOf(b.tpl, id)).filter((s) => [s.Action].flat().includes('kms:Decrypt'));
      expect(decrypt).toHaveLength(1);
      expect(decrypt[0]!.Resource).toBe(KEY);
      expect(text(decrypt[0]!.Condition!.StringEquals!['kms:ViaService'])).toBe('ssm.eu-west-1.<AWS::URLSuffix>');
    }
    expect(() =>
      build({ account: '111111111111', region: 'us-east-1', env: {}, context: { tokenKmsKeyArn: 'alias/aws/ssm' } }),
    ).toThrow(/tokenKmsKeyArn must be a KMS key ARN/);
  });

  it('derives different physical names for a second stack, valid for each service (finding 12)', () => {
    const names = (tpl: Tpl) => [
      entries(tpl, 'AWS::RedshiftServerless::Namespace')[0]![1].Properties!.NamespaceName as string,
      entries(tpl, 'AWS::RedshiftServerless::Workgroup')[0]![1].Properties!.WorkgroupName as string,
      (entries(tpl, 'AWS::Glue::Connection')[0]![1].Properties!.ConnectionInput as { Name: string }).Name,
      entries(tpl, 'AWS::Glue::SecurityConfiguration')[0]![1].Properties!.Name as string,
      byPath(tpl, 'AWS::Logs::LogGroup', '/Orchestration/Logs/')[0]![1].Properties!.LogGroupName as string,
    ];
    const [na, nb] = [names(a.tpl), names(b.tpl)];
    for (let i = 0; i < na.length; i++) expect(nb[i]).not.toBe(na[i]);
    expect(nb[0]).toMatch(/^wistiapipelinestaging-analytics-[0-9a-f]{8}$/);
    for (const n of [...na.slice(0, 2), ...nb.slice(0, 2)]) expect(n).toMatch(/^(?=[a-z0-9-]+$).{3,64}$/);
  });

  it('passes companyHosts to the job trimmed, and caps the workgroup and its RPU-hours as configured (findings 13, 17)', () => {
    const [, job] = entries(b.tpl, 'AWS::Glue::Job')[0]!;
    expect((job.Properties!.DefaultArguments as Record<string, string>)['--company_hosts']).toBe(
      'www.example.com,shop.example.com',
    );
    const [, wg] = entries(b.tpl, 'AWS::RedshiftServerless::Workgroup')[0]!;
    expect(wg.Properties!.MaxCapacity).toBe(64);
    const limits = entries(b.tpl, 'Custom::RedshiftServerlessUsageLimit');
    expect(limits).toHaveLength(1);
    expect(JSON.stringify(limits[0]![1].Metadata)).toContain('/RpuUsageLimit/Limit-weekly/');
    const create = JSON.parse(text(limits[0]![1].Properties!.Create)) as { parameters: Record<string, unknown> };
    expect(create.parameters).toMatchObject({ amount: 100, period: 'weekly', breachAction: 'emit-metric' });
  });

  it('refuses capacity and usage-limit settings Redshift Serverless would not take', () => {
    const base = { account: '111111111111', region: 'us-east-1', env: {} };
    expect(() => build({ ...base, context: { redshiftMaxCapacity: '36' } })).toThrow(/multiple of 8/);
    expect(() => build({ ...base, context: { redshiftMaxCapacity: 'lots' } })).toThrow(/whole number/);
    expect(() => build({ ...base, context: { rpuUsageLimitPeriod: 'hourly' } })).toThrow(/daily, weekly, monthly/);
    expect(() => build({ ...base, context: { rpuUsageLimitBreachAction: 'stop' } })).toThrow(
      /log, emit-metric, deactivate/,
    );
    expect(() => build({ ...base, context: { rpuUsageLimit: '0' } })).toThrow(/positive whole number/);
  });

  it('passes quarantineThreshold to the job as --quarantine_threshold, and refuses one that is not a share (issue 12)', () => {
    const base = { account: '111111111111', region: 'us-east-1', env: {} };
    const args = (context: Record<string, string>) => {
      const { stack } = build({ ...base, context });
      const [, job] = entries(Template.fromStack(stack).toJSON() as Tpl, 'AWS::Glue::Job')[0]!;
      return job.Properties!.DefaultArguments as Record<string, string>;
    };
    expect(args({ quarantineThreshold: '0.2' })['--quarantine_threshold']).toBe('0.2');
    expect(args({})['--quarantine_threshold']).toBeUndefined(); // the job's own default, 0.05
    for (const bad of ['5%', '1.5', '-0.1', 'lots'])
      expect(() => build({ ...base, context: { quarantineThreshold: bad } })).toThrow(
        `quarantineThreshold must be a share between 0 and 1 (e.g. 0.05 for 5 %), got "${bad}"`,
      );
  });

  it('sets WISTIA_API_VERSION on every Wistia-calling function from context apiVersion, and refuses a bad one (issue 17)', () => {
    const base = { account: '111111111111', region: 'us-east-1', env: {} };
    const versions = (context: Record<string, string>) => {
      const { stack } = build({ ...base, context });
      const fns = entries(Template.fromStack(stack).toJSON() as Tpl, 'AWS::Lambda::Function');
      const vars = fns.map(
        ([, f]) => (f.Properties!.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {},
      );
      // the Wistia-calling functions are the ones with the token parameter
      return vars.filter((v) => 'WISTIA_TOKEN_PARAMETER' in v).map((v) => v.WISTIA_API_VERSION);
    };
    const dated = versions({ apiVersion: '2026-03' });
    expect(dated.length).toBeGreaterThanOrEqual(5);
    expect(new Set(dated)).toEqual(new Set(['2026-03']));
    // v1 (the default, or said) sets nothing: the client's default
    expect(new Set(versions({}))).toEqual(new Set([undefined]));
    expect(new Set(versions({ apiVersion: 'v1' }))).toEqual(new Set([undefined]));
    for (const bad of ['2026-13', 'modern', '2025-06'])
      expect(() => build({ ...base, context: { apiVersion: bad } })).toThrow(/^apiVersion: /);
  });

  it("subscribes context alarmEmail to the alarm topic and takes the share alarms' thresholds, refusing bad ones (issue 14)", () => {
    const base = { account: '111111111111', region: 'us-east-1', env: {} };
    const { stack } = build({
      ...base,
      context: { alarmEmail: 'ops@example.com', quarantineShareAlarm: '0.1', rateLimitedShareAlarm: '0.05' },
    });
    const tplC = Template.fromStack(stack).toJSON() as Tpl;
    const subs = entries(tplC, 'AWS::SNS::Subscription').map(([, r]) => r.Properties);
    const [topicId] = entries(tplC, 'AWS::SNS::Topic')[0]!;
    expect(subs).toEqual([{ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } }]);
    const threshold = (part: string) =>
      entries(tplC, 'AWS::CloudWatch::Alarm').find(([, r]) => JSON.stringify(r.Metadata ?? '').includes(part))![1]
        .Properties!.Threshold;
    expect(threshold('/Monitoring/QuarantineShare/')).toBe(0.1);
    expect(threshold('/Monitoring/RateLimitedShare/')).toBe(0.05);
    for (const bad of ['0', '1', '5%', '0.0', 'x'])
      expect(() => build({ ...base, context: { quarantineShareAlarm: bad } })).toThrow(
        `quarantineShareAlarm must be a share between 0 and 1 (e.g. 0.02 for 2 %), got "${bad}"`,
      );
    expect(() => build({ ...base, context: { alarmEmail: 'ops at example' } })).toThrow(
      'alarmEmail must be an e-mail address, got "ops at example"',
    );
  });
});
