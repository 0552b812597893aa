// The whole pipeline in one stack: it only composes constructs.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Storage } from '../constructs/storage.ts';
import { Ingestion } from '../constructs/ingestion.ts';
import { Warehouse } from '../constructs/warehouse.ts';
import { Orchestration, glueJobTimeoutMinutes } from '../constructs/orchestration.ts';
import { DailySchedule } from '../constructs/schedule.ts';
import { Monitoring } from '../constructs/monitoring.ts';
import type { UsageLimitBreachAction, UsageLimitPeriod } from '../constructs/usage-limit.ts';

export interface PipelineStackProps extends StackProps {
  /** SSM SecureString holding the Wistia API token. Default "/wistia/api-token". */
  readonly tokenParameterName?: string;
  /** Customer managed KMS key of the token parameter. Default: none (the AWS managed key aws/ssm). */
  readonly tokenKmsKeyArn?: string;
  /** Delete data stores with the stack (dev only). Default false. */
  readonly destroyOnRemoval?: boolean;
  /** Default "cron(0 6 * * ? *)". */
  readonly scheduleExpression?: string;
  /** Requests per minute the whole account may spend. Default 570 (Wistia allows 600). */
  readonly accountRequestsPerMinute?: number;
  /** First day of the first run's backfill. Default: two years back. */
  readonly backfillStartDate?: string;
  /** The Wistia API the functions speak: "v1" or a dated release (YYYY-MM). Default v1. */
  readonly apiVersion?: string;
  /** Company site hosts for channel attribution, comma separated. */
  readonly companyHosts?: string;
  /** Store visitor email and viewer ip as SHA-256 in the warehouse (docs/adr/0009). Default true. */
  readonly hashPii?: boolean;
  /** The share (0..1) of an entity's records in a run that may be quarantined before the gate fails the run. Default 0.05. */
  readonly quarantineThreshold?: number;
  /**
   * The VPC's three availability zones, in this stack's region. Required: the stack never looks them up (an
   * offline synth must not need AWS). infra/app.ts defaults them to <region>a, <region>b, <region>c.
   */
  readonly availabilityZones: string[];
  /** Most RPUs the workgroup scales to. Default 32. */
  readonly redshiftMaxCapacity?: number;
  /** RPU-hours per period. Default 64. */
  readonly rpuUsageLimit?: number;
  /** Default "daily". */
  readonly rpuUsageLimitPeriod?: UsageLimitPeriod;
  /** Default "deactivate". */
  readonly rpuUsageLimitBreachAction?: UsageLimitBreachAction;
  /** An e-mail address subscribed to the alarm topic. Default: none (subscribe to AlarmTopicArn yourself). */
  readonly alarmEmail?: string;
  /** Share (0..1) of a run's records quarantined above which the QuarantineShare alarm fires. Default 0.02. */
  readonly quarantineShareAlarm?: number;
  /** Share (0..1) of Wistia responses that are 429 above which the RateLimitedShare alarm fires. Default 0.01. */
  readonly rateLimitedShareAlarm?: number;
}

export class PipelineStack extends Stack {
  readonly storage: Storage;
  readonly ingestion: Ingestion;
  readonly warehouse: Warehouse;
  readonly orchestration: Orchestration;
  readonly schedule: DailySchedule;
  readonly monitoring: Monitoring;
  private readonly azs: string[];

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    this.azs = [...props.availabilityZones];
    this.storage = new Storage(this, 'Storage', { destroyOnRemoval: props.destroyOnRemoval ?? false });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      bucket: this.storage.bucket,
      tokenParameterName: props.tokenParameterName ?? '/wistia/api-token',
      ...(props.tokenKmsKeyArn ? { tokenKmsKeyArn: props.tokenKmsKeyArn } : {}),
      ...(props.accountRequestsPerMinute ? { accountRequestsPerMinute: props.accountRequestsPerMinute } : {}),
      ...(props.backfillStartDate ? { backfillStartDate: props.backfillStartDate } : {}),
      ...(props.apiVersion ? { apiVersion: props.apiVersion } : {}),
    });
    this.warehouse = new Warehouse(this, 'Warehouse', {
      bucket: this.storage.bucket,
      availabilityZones: this.azs,
      glueTimeoutMinutes: glueJobTimeoutMinutes(),
      ...(props.companyHosts ? { companyHosts: props.companyHosts } : {}),
      hashPii: props.hashPii ?? true,
      ...(props.quarantineThreshold !== undefined ? { quarantineThreshold: props.quarantineThreshold } : {}),
      destroyOnRemoval: props.destroyOnRemoval ?? false,
      ...(props.redshiftMaxCapacity !== undefined ? { maxCapacity: props.redshiftMaxCapacity } : {}),
      ...(props.rpuUsageLimit !== undefined ? { usageLimitRpuHours: props.rpuUsageLimit } : {}),
      ...(props.rpuUsageLimitPeriod ? { usageLimitPeriod: props.rpuUsageLimitPeriod } : {}),
      ...(props.rpuUsageLimitBreachAction ? { usageLimitBreachAction: props.rpuUsageLimitBreachAction } : {}),
    });
    this.orchestration = new Orchestration(this, 'Orchestration', {
      bucket: this.storage.bucket,
      functions: this.ingestion.functions,
      glueJobName: this.warehouse.jobName,
      destroyOnRemoval: props.destroyOnRemoval ?? false,
    });
    this.schedule = new DailySchedule(this, 'Schedule', {
      stateMachine: this.orchestration.stateMachine,
      ...(props.scheduleExpression ? { expression: props.scheduleExpression } : {}),
    });
    // the first scheduled run finds the tables the bootstrap creates
    this.schedule.node.addDependency(this.warehouse.bootstrap);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachine: this.orchestration.stateMachine,
      functions: this.ingestion.functions,
      glueJobName: this.warehouse.jobName,
      deadLetterQueue: this.schedule.deadLetterQueue,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
      ...(props.quarantineShareAlarm !== undefined ? { quarantineShareThreshold: props.quarantineShareAlarm } : {}),
      ...(props.rateLimitedShareAlarm !== undefined ? { rateLimitedShareThreshold: props.rateLimitedShareAlarm } : {}),
    });

    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out(
      'StateMachineArn',
      this.orchestration.stateMachine.stateMachineArn,
      'Start a run by hand: aws stepfunctions start-execution',
    );
    out('BucketName', this.storage.bucket.bucketName, 'Bronze, run manifests, watermarks');
    out('WorkgroupName', this.warehouse.workgroup.workgroupName, 'Redshift Serverless workgroup');
    out('NamespaceName', this.warehouse.namespace.namespaceName, 'Redshift Serverless namespace');
    out('DatabaseName', this.warehouse.databaseName, 'Redshift database');
    out('GlueJobName', this.warehouse.jobName, 'The transform and load job');
    out('ReaderRoleArn', this.warehouse.readerRole.roleArn, 'Analysts assume it (query editor v2, dashboard --aws)');
    out('AlarmTopicArn', this.monitoring.topic.topicArn, 'Every alarm notifies it: subscribe (e-mail, chat) here');
    out(
      'DashboardUrl',
      `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}`,
      'The CloudWatch dashboard: alarms, executions, API, bronze, transform',
    );
    out('DeadLetterQueueUrl', this.schedule.deadLetterQueue.queueUrl, 'Scheduled runs Scheduler could not start');
  }

  /** The configured zones: never a lookup (which would need credentials at synth). */
  override get availabilityZones(): string[] {
    return this.azs;
  }
}
