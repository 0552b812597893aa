// The template `cdk deploy` ships (test/helpers/synth.ts, one synth per test run): monitoring (issue 14), the
// runbook's alarms, the topic they notify and the dashboard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALARMS, readMetricsContract } from '../infra/constructs/monitoring.ts';
import { ROOT } from './helpers/sim.ts';
import { ACCOUNT, REGION, STACK, tpl, entries, only, idOf, useSynth } from './helpers/synth.ts';
import { text, type Statement } from './helpers/template.ts';

useSynth();

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
