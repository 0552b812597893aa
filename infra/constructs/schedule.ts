// The daily schedule: EventBridge Scheduler starts one execution a day.
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
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

export class DailySchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
    props.stateMachine.grantStartExecution(role);
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      name: 'wistia-ingest-daily',
      description: 'Daily Wistia ingestion run',
      scheduleExpression: props.expression ?? 'cron(0 6 * * ? *)',
      scheduleExpressionTimezone: props.timezone ?? 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: props.disabled ? 'DISABLED' : 'ENABLED',
      target: {
        arn: props.stateMachine.stateMachineArn,
        roleArn: role.roleArn,
        input: '{}',
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      },
    });
  }
}
