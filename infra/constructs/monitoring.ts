// Operating the pipeline (issue 14): one SNS topic for every alarm, the alarms an operator of a daily run needs
// (a failed, timed-out or aborted execution, a missed schedule, a failed Glue job, Lambda errors and throttles,
// the Scheduler's dead letters, a run quarantining or drawing 429s above its share) and one CloudWatch dashboard
// with the run's metrics beside them. The metric names come from contracts/metrics.json, the one definition the
// Lambdas (EMF), the Glue job (PutMetricData) and the local twin also read. Each alarm's description names the
// README runbook section to read first (README "Alarms (runbook)").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { derivedName } from './names.ts';

export const METRICS_CONTRACT = join(import.meta.dirname, '..', '..', 'contracts', 'metrics.json');

interface MetricsContract {
  readonly namespace: string;
  readonly service: string;
  readonly metrics: Record<string, { unit: string; source: 'lambda' | 'glue'; dimensions?: string[] }>;
}

export function readMetricsContract(file = METRICS_CONTRACT): MetricsContract {
  return JSON.parse(readFileSync(file, 'utf8')) as MetricsContract;
}

/** The alarms, by construct id: what each watches and the runbook section its description points to. */
export const ALARMS = {
  ExecutionsFailed: 'a-run-failed',
  ExecutionsTimedOut: 'a-run-failed',
  ExecutionsAborted: 'a-run-failed',
  NoSuccessfulRun: 'no-successful-run-in-26-hours',
  GlueJobFailed: 'the-glue-job-failed',
  LambdaErrors: 'lambda-errors-or-throttles',
  LambdaThrottles: 'lambda-errors-or-throttles',
  ScheduleDeadLetters: 'the-schedule-could-not-start-a-run',
  QuarantineShare: 'quarantine-share-above-threshold',
  RateLimitedShare: '429-share-above-threshold',
} as const;
export type AlarmId = keyof typeof ALARMS;

export interface MonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly functions: Record<string, lambda.IFunction>;
  readonly glueJobName: string;
  readonly deadLetterQueue: sqs.IQueue;
  /** An address subscribed to the alarm topic (it must confirm the subscription). Default: none. */
  readonly alarmEmail?: string;
  /** Hours without a successful execution before NoSuccessfulRun alarms. Default 26 (a daily schedule + 2 h). */
  readonly noSuccessHours?: number;
  /** Share (0..1) of a run's records quarantined above which QuarantineShare alarms. Default 0.02. */
  readonly quarantineShareThreshold?: number;
  /** Share (0..1) of Wistia responses that are 429 above which RateLimitedShare alarms. Default 0.01. */
  readonly rateLimitedShareThreshold?: number;
}

const RUNBOOK = 'README.md, "Alarms (runbook)"';

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly alarms: Record<AlarmId, cloudwatch.Alarm>;
  readonly dashboard: cloudwatch.Dashboard;
  readonly glueFailureRule: events.Rule;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const contract = readMetricsContract();
    const noSuccessHours = props.noSuccessHours ?? 26;
    const quarantineShare = props.quarantineShareThreshold ?? 0.02;
    const rateLimitedShare = props.rateLimitedShareThreshold ?? 0.01;
    for (const [k, v] of [
      ['quarantineShareThreshold', quarantineShare],
      ['rateLimitedShareThreshold', rateLimitedShare],
    ] as const)
      if (!(v > 0 && v < 1)) throw new Error(`${k} must be a share between 0 and 1 (exclusive), got ${v}`);
    // "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds" (seven days; one day for periods
    // under an hour): https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
    if (!Number.isInteger(noSuccessHours) || noSuccessHours < 1 || noSuccessHours * 3600 > 604_800)
      throw new Error(`noSuccessHours must be a whole number of hours from 1 to 168, got ${noSuccessHours}`);

    // The topic is encrypted with a key of its own. CloudWatch and EventBridge publish to an encrypted topic only
    // if the key policy lets their service principals use it ("Enable compatibility between event sources from
    // AWS services and encrypted topics": https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
    // CloudWatch's grant is limited to this account's alarms; EventBridge's (added by the rule's SnsTopic target
    // below) cannot carry aws:SourceAccount / aws:SourceArn (not supported for EventBridge in a KMS key policy).
    this.key = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Wistia pipeline alarm topic' });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Wistia pipeline alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // CloudWatch alarms of this account only (confused-deputy protection)
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);

    const alarms = {} as Record<AlarmId, cloudwatch.Alarm>;
    const alarm = (
      alarmId: AlarmId,
      metric: cloudwatch.IMetric,
      o: {
        threshold: number;
        comparison?: cloudwatch.ComparisonOperator;
        evaluationPeriods?: number;
        missing?: cloudwatch.TreatMissingData;
        what: string;
        first: string;
      },
    ) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        alarmName: derivedName(this, alarmId, { maxLength: 255, allowed: '-_' }),
        metric,
        threshold: o.threshold,
        comparisonOperator: o.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: o.evaluationPeriods ?? 1,
        datapointsToAlarm: o.evaluationPeriods ?? 1,
        treatMissingData: o.missing ?? cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${o.what} First: ${o.first} Runbook: ${RUNBOOK}, section "${ALARMS[alarmId]}".`,
      });
      a.addAlarmAction(notify);
      alarms[alarmId] = a;
      return a;
    };

    // Executions (AWS/States, per state machine): https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
    const sm = props.stateMachine;
    const fiveMinutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    const executionsFailed = sm.metricFailed(fiveMinutes);
    const executionsTimedOut = sm.metricTimedOut(fiveMinutes);
    const executionsAborted = sm.metricAborted(fiveMinutes);
    const firstForRun =
      'open the execution in the Step Functions console (or `npx wistia-pipeline status --aws`), read the failed state and its error name; redrive once the cause is fixed.';
    alarm('ExecutionsFailed', executionsFailed, {
      threshold: 1,
      what: 'A pipeline execution failed.',
      first: firstForRun,
    });
    alarm('ExecutionsTimedOut', executionsTimedOut, {
      threshold: 1,
      what: 'A pipeline execution timed out.',
      first: firstForRun,
    });
    alarm('ExecutionsAborted', executionsAborted, {
      threshold: 1,
      what: 'A pipeline execution was aborted (stopped by hand or by a deploy).',
      first: 'check who stopped it (CloudTrail StopExecution); start a run again if the day is missing.',
    });
    // A missed schedule: no success in any of the last N hours. Hourly sums, every one of N must breach; an hour
    // without data (no execution ended) counts as breaching.
    const succeeded = sm.metricSucceeded({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM });
    alarm('NoSuccessfulRun', succeeded, {
      threshold: 1,
      comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: noSuccessHours,
      missing: cloudwatch.TreatMissingData.BREACHING,
      what: `No pipeline execution succeeded in ${noSuccessHours} hours: the daily run was missed or keeps failing.`,
      first:
        'check the schedule is ENABLED and its dead-letter queue, then the last executions; start a run by hand (aws stepfunctions start-execution).',
    });

    // The Glue job: its "Glue Job State Change" events (https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html)
    // in the abnormal end states (https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html). The rule
    // sends the event's own message (the job's error) to the topic; the alarm counts the rule's matches
    // (AWS/Events TriggeredRules: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html) so
    // that the failure shows on the dashboard and in the alarm list like every other.
    this.glueFailureRule = new events.Rule(this, 'GlueJobFailedRule', {
      description: 'The Wistia transform job ended FAILED, TIMEOUT or ERROR',
      eventPattern: {
        source: ['aws.glue'],
        detailType: ['Glue Job State Change'],
        detail: { jobName: [props.glueJobName], state: ['FAILED', 'TIMEOUT', 'ERROR'] },
      },
    });
    this.glueFailureRule.addTarget(
      new targets.SnsTopic(this.topic, {
        message: events.RuleTargetInput.fromText(
          `Glue job ${events.EventField.fromPath('$.detail.jobName')} run ${events.EventField.fromPath('$.detail.jobRunId')} ended ${events.EventField.fromPath('$.detail.state')}: ${events.EventField.fromPath('$.detail.message')}. Runbook: ${RUNBOOK}, section "the-glue-job-failed".`,
        ),
      }),
    );
    const glueFailures = new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: this.glueFailureRule.ruleName },
      ...fiveMinutes,
    });
    alarm('GlueJobFailed', glueFailures, {
      threshold: 1,
      what: 'The Glue transform job failed, timed out or could not start (the quality gate fails it too).',
      first:
        "read the job run's error in the Glue console (its driver log in /aws-glue/jobs/error), then the run report under runs/<execution>/; quarantine and gate figures are in the report.",
    });

    // Lambda errors and throttles, summed over the seven handlers (a metric math alarm takes up to 10 metrics:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html).
    const fns = Object.entries(props.functions);
    const sumOf = (what: 'Errors' | 'Throttles') => {
      const usingMetrics: Record<string, cloudwatch.IMetric> = {};
      fns.forEach(([, f], i) => {
        usingMetrics[`${what.toLowerCase()}${i}`] =
          what === 'Errors' ? f.metricErrors(fiveMinutes) : f.metricThrottles(fiveMinutes);
      });
      return new cloudwatch.MathExpression({
        expression: Object.keys(usingMetrics).join(' + '),
        usingMetrics,
        label: `Lambda ${what.toLowerCase()} (all handlers)`,
        period: Duration.minutes(5),
      });
    };
    if (fns.length > 10) throw new Error(`a metric math alarm takes at most 10 metrics, got ${fns.length} functions`);
    const lambdaErrors = sumOf('Errors');
    const lambdaThrottles = sumOf('Throttles');
    alarm('LambdaErrors', lambdaErrors, {
      threshold: 1,
      what: 'A pipeline Lambda ended an invocation with an error (Step Functions retries the retryable ones; the execution may still succeed).',
      first:
        "find the function in the dashboard's Lambda widget, then its log lines with level ERROR (each carries the execution and item ids).",
    });
    alarm('LambdaThrottles', lambdaThrottles, {
      threshold: 1,
      what: "A pipeline Lambda was throttled: the account's concurrency is exhausted.",
      first: "compare the map's MaxConcurrency with the account's Lambda concurrency quota and other workloads.",
    });

    // Scheduler's dead letters: a daily run it could not start (https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html)
    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.MAXIMUM,
    });
    alarm('ScheduleDeadLetters', deadLetters, {
      threshold: 1,
      what: 'EventBridge Scheduler could not start a scheduled run (a message is in its dead-letter queue).',
      first:
        "read the message's attributes (ERROR_CODE, ERROR_MESSAGE) in the SQS console, fix the role or target, start the run by hand and delete the message.",
    });

    // The run's own metrics (namespace and names from contracts/metrics.json, the dimension `service` alone).
    const own = (name: string, period = Duration.hours(1)) => {
      if (!contract.metrics[name]) throw new Error(`${METRICS_CONTRACT}: no metric ${name}`);
      return new cloudwatch.Metric({
        namespace: contract.namespace,
        metricName: name,
        dimensionsMap: { service: contract.service },
        statistic: cloudwatch.Stats.SUM,
        period,
      });
    };
    // ids distinct per expression: one graph shows both, and ids must be unique in it
    const shareOf = (id: string, part: string, whole: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `IF(${id}_whole > 0, ${id}_part / ${id}_whole, 0)`,
        usingMetrics: { [`${id}_part`]: own(part), [`${id}_whole`]: own(whole) },
        label,
        period: Duration.hours(1),
      });
    const quarantined = shareOf('quarantine', 'RecordsQuarantined', 'RecordsRead', 'quarantined share of records read');
    const rateLimited = shareOf('ratelimited', 'WistiaRateLimited', 'WistiaRequests', '429 share of Wistia requests');
    alarm('QuarantineShare', quarantined, {
      threshold: quarantineShare,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      what: `A run quarantined more than ${quarantineShare * 100} % of the records it read (the gate fails an entity only above its own threshold).`,
      first:
        "SELECT reason, COUNT(*) FROM analytics.quarantine for the run's reasons; a new reason usually means the API changed (analytics.schema_drift).",
    });
    alarm('RateLimitedShare', rateLimited, {
      threshold: rateLimitedShare,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      what: `More than ${rateLimitedShare * 100} % of Wistia responses in an hour were 429 Too Many Requests.`,
      first:
        'look for another client of the same Wistia account or overlapping executions; lower accountRequestsPerMinute if it persists.',
    });
    this.alarms = alarms;

    // The dashboard: the alarms first, then executions, the API, bronze, the transform and the Lambdas.
    const entitySearch = (name: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${contract.namespace},entity,service} MetricName="${name}"', 'Sum', 3600)`,
        label,
        period: Duration.hours(1),
      });
    const tableSearch = (name: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${contract.namespace},service,table} MetricName="${name}"', 'Sum', 3600)`,
        label: name,
        period: Duration.hours(1),
      });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: derivedName(this, 'dashboard', { maxLength: 255, allowed: '-_' }),
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: Object.values(alarms),
            width: 24,
            height: 4,
          }),
        ],
        [
          graph('Executions', [
            sm.metricSucceeded({ period: Duration.hours(1), statistic: 'Sum' }),
            executionsFailed,
            executionsTimedOut,
            executionsAborted,
          ]),
          graph('Wistia requests, retries and 429s', [
            own('WistiaRequests'),
            own('WistiaRetries'),
            own('WistiaRateLimited'),
          ]),
          graph('Shares', [quarantined, rateLimited]),
        ],
        [
          graph('Records landed in bronze by entity', [entitySearch('RecordsLanded', 'landed')]),
          graph('Bronze pages and bytes', [own('BronzePages'), own('BronzeBytes')]),
          graph('Transform: records read, loaded, quarantined', [
            own('RecordsRead'),
            own('RecordsLoaded'),
            own('RecordsQuarantined'),
            own('DriftFindings'),
          ]),
        ],
        [
          graph('Warehouse rows inserted by table', [tableSearch('RowsInserted')]),
          graph('Warehouse rows updated by table', [tableSearch('RowsUpdated')]),
          graph('Transform seconds and failures', [own('TransformSeconds'), own('TransformFailed'), glueFailures]),
        ],
        [
          graph('Lambda errors and throttles', [lambdaErrors, lambdaThrottles]),
          graph(
            'Lambda duration (p90) by handler',
            fns.map(([name, f]) => f.metricDuration({ period: Duration.minutes(5), statistic: 'p90', label: name })),
          ),
          graph('Scheduler dead letters', [deadLetters]),
        ],
        [
          new cloudwatch.TextWidget({
            markdown:
              'Cost per run: `npx wistia-pipeline status --cost` (list prices in config/prices.json). Runbook: README "Alarms (runbook)".',
            width: 24,
            height: 2,
          }),
        ],
      ],
    });
  }
}
