// The daily schedule: EventBridge Scheduler starts one execution a day, in its own schedule group, with a
// dead-letter queue for the invocations it could not make.
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { acknowledge } from './nag.ts';
import { Construct } from 'constructs';

export interface ScheduleProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Default "cron(0 6 * * ? *)": 06:00 UTC daily. */
  readonly expression?: string;
  /** Default "UTC". */
  readonly timezone?: string;
  /** Create the schedule disabled (first deploys). Default false. */
  readonly disabled?: boolean;
}

/**
 * The execution input: the time the schedule was due, e.g. {"scheduledTime":"2022-03-22T18:59:43Z"}
 * (package D's plan reads it). EventBridge Scheduler replaces the keyword in the target's input
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 *
 * The execution is not named after it: StartExecution names "must not contain ... special characters
 * " # % \ ^ | ~ ` $ & , ; : /" (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html),
 * and the scheduled time holds ":".
 */
export const SCHEDULE_INPUT = '{"scheduledTime":"<aws.scheduler.scheduled-time>"}';

export class DailySchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  readonly group: scheduler.CfnScheduleGroup;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // no names: CloudFormation generates them
    this.group = new scheduler.CfnScheduleGroup(this, 'Group', {});
    // Confused-deputy protection: only schedules of this account, in this schedule group, may assume the
    // role ("We recommend using the aws:SourceArn and aws:SourceAccount global condition context keys":
    // https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html;
    // the source ARN is the schedule group's). The group, not the schedule: the schedule names the role, so
    // the role naming the schedule would be a cycle.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.group.attrArn },
        },
      }),
    });
    props.stateMachine.grantStartExecution(role);
    // Dead letters: a standard queue (Scheduler supports no FIFO DLQ), encrypted, TLS only, kept 14 days (the
    // most SQS keeps a message). Scheduler's role needs sqs:SendMessage on it
    // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    acknowledge(
      this.deadLetterQueue,
      "This queue is the schedule's dead-letter queue; a dead-letter queue of its own would only move the dead letters.",
      'AwsSolutions-SQS3',
    );
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      groupName: this.group.ref,
      description: 'Daily Wistia ingestion run',
      scheduleExpression: props.expression ?? 'cron(0 6 * * ? *)',
      scheduleExpressionTimezone: props.timezone ?? 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: props.disabled ? 'DISABLED' : 'ENABLED',
      target: {
        arn: props.stateMachine.stateMachineArn,
        roleArn: role.roleArn,
        input: SCHEDULE_INPUT,
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      },
    });
  }
}
