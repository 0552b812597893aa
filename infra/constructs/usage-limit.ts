// An RPU-hours usage limit on the Redshift Serverless workgroup. CloudFormation has no resource type for
// Redshift Serverless usage limits, so an AwsCustomResource calls the API:
//   CreateUsageLimit {resourceArn, usageType: serverless-compute, amount, period, breachAction}
//     https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_CreateUsageLimit.html
//     ("amount ... If time-based, this amount is in Redshift Processing Units (RPU) consumed per hour";
//     period daily | weekly | monthly; breachAction log | emit-metric | deactivate)
//   UpdateUsageLimit {usageLimitId, amount, breachAction} ("You can't update the usage type or period of a
//     usage limit": https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_UpdateUsageLimit.html),
//     so the period is part of the construct id: a new period is a new resource (created, then the old one
//     deleted by CloudFormation's cleanup).
//   DeleteUsageLimit {usageLimitId}.
// What a limit does: https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-workgroup-max-rpu.html.
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as rs from 'aws-cdk-lib/aws-redshiftserverless';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from './nag.ts';

export const USAGE_LIMIT_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export const USAGE_LIMIT_BREACH_ACTIONS = ['log', 'emit-metric', 'deactivate'] as const;
export type UsageLimitPeriod = (typeof USAGE_LIMIT_PERIODS)[number];
export type UsageLimitBreachAction = (typeof USAGE_LIMIT_BREACH_ACTIONS)[number];

export interface RpuUsageLimitProps {
  readonly workgroup: rs.CfnWorkgroup;
  /** RPU-hours per period (a positive integer). */
  readonly amount: number;
  readonly period: UsageLimitPeriod;
  readonly breachAction: UsageLimitBreachAction;
}

export class RpuUsageLimit extends Construct {
  readonly resource: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: RpuUsageLimitProps) {
    super(scope, id);
    if (!Number.isInteger(props.amount) || props.amount < 1)
      throw new Error(`RPU usage limit: amount must be a positive whole number of RPU-hours, got ${props.amount}`);
    if (!USAGE_LIMIT_PERIODS.includes(props.period))
      throw new Error(`RPU usage limit: period must be one of ${USAGE_LIMIT_PERIODS.join(', ')}, got ${props.period}`);
    if (!USAGE_LIMIT_BREACH_ACTIONS.includes(props.breachAction))
      throw new Error(
        `RPU usage limit: breach action must be one of ${USAGE_LIMIT_BREACH_ACTIONS.join(', ')}, got ${props.breachAction}`,
      );
    const stack = Stack.of(this);
    const workgroupArn = props.workgroup.attrWorkgroupWorkgroupArn;
    // the limit's own ARN carries the id CreateUsageLimit returns, so Update/Delete are scoped to this
    // account's and region's usage limits [unconfirmed: which resource type each call is authorized on; both
    // the workgroup and the usage limit are listed, the stricter reading of "resource types" would be one]
    const usageLimits = stack.formatArn({
      service: 'redshift-serverless',
      resource: 'usagelimit',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const service = 'RedshiftServerless';
    const limitId = cr.PhysicalResourceId.fromResponse('usageLimit.usageLimitId');
    this.resource = new cr.AwsCustomResource(this, `Limit-${props.period}`, {
      resourceType: 'Custom::RedshiftServerlessUsageLimit',
      onCreate: {
        service,
        action: 'CreateUsageLimit',
        parameters: {
          resourceArn: workgroupArn,
          usageType: 'serverless-compute',
          amount: props.amount,
          period: props.period,
          breachAction: props.breachAction,
        },
        physicalResourceId: limitId,
        outputPaths: ['usageLimit.usageLimitId'],
      },
      onUpdate: {
        service,
        action: 'UpdateUsageLimit',
        parameters: {
          usageLimitId: new cr.PhysicalResourceIdReference(),
          amount: props.amount,
          breachAction: props.breachAction,
        },
        physicalResourceId: limitId,
        outputPaths: ['usageLimit.usageLimitId'],
      },
      onDelete: {
        service,
        action: 'DeleteUsageLimit',
        parameters: { usageLimitId: new cr.PhysicalResourceIdReference() },
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: [
            'redshift-serverless:CreateUsageLimit',
            'redshift-serverless:UpdateUsageLimit',
            'redshift-serverless:DeleteUsageLimit',
          ],
          resources: [workgroupArn, usageLimits],
        }),
      ]),
      // the Lambda runtime's SDK has the Redshift Serverless client; no download at deploy time
      installLatestAwsSdk: false,
    });
    acknowledgeWildcardResources(
      this.resource,
      "Usage limits are addressed by the id CreateUsageLimit returns; this account's and region's usage limits only.",
      [usageLimits],
    );
  }
}
