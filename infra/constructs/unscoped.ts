// Every IAM action this stack allows on `Resource: "*"`, each with the reason no narrower resource exists
// (and, where one narrows it, the condition key that must come with it). The template test lists every Allow
// statement on "*" in the synthesized identity policies and fails naming any action not in this list, any
// listed condition that is missing, and any entry nothing uses any more.
import * as iam from 'aws-cdk-lib/aws-iam';

export interface UnscopedAction {
  /** Why the action takes no resource ARN here (with the AWS page that says so). */
  readonly reason: string;
  /** A condition key every statement granting it must carry. */
  readonly condition?: string;
}

const XRAY =
  'X-Ray has no resource-level permissions for this action (Service Authorization Reference, AWS X-Ray: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html); added by tracing on the Lambdas and the state machine.';
const SFN_LOGS =
  'Step Functions log delivery: CloudWatch Logs vended-log delivery actions take "*" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy); added by the state machine logging configuration.';
const GLUE_ENI =
  'Glue jobs in a VPC create and describe their ENIs with the job role; AWS\'s AWSGlueServiceRole grants these on "*" (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSGlueServiceRole.html) and EC2 Describe* actions have no resource-level permissions.';

const DB_ROLE_TAGS =
  'Redshift Serverless maps the RedshiftDbRoles tag of an identity signing in with IAM credentials to database roles only if that identity "must be assigned policy permissions for ... tag:GetResources, tag:GetTagKeys" (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html); the Resource Groups Tagging API has no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsresourcegroupstaggingapi.html).';

export const UNSCOPED_ACTIONS: Readonly<Record<string, UnscopedAction>> = {
  'xray:PutTraceSegments': { reason: XRAY },
  'xray:PutTelemetryRecords': { reason: XRAY },
  'xray:GetSamplingRules': { reason: XRAY },
  'xray:GetSamplingTargets': { reason: XRAY },
  'logs:CreateLogDelivery': { reason: SFN_LOGS },
  'logs:GetLogDelivery': { reason: SFN_LOGS },
  'logs:UpdateLogDelivery': { reason: SFN_LOGS },
  'logs:DeleteLogDelivery': { reason: SFN_LOGS },
  'logs:ListLogDeliveries': { reason: SFN_LOGS },
  'logs:PutResourcePolicy': { reason: SFN_LOGS },
  'logs:DescribeResourcePolicies': { reason: SFN_LOGS },
  'logs:DescribeLogGroups': { reason: SFN_LOGS },
  'ec2:CreateNetworkInterface': { reason: GLUE_ENI },
  'ec2:DeleteNetworkInterface': { reason: GLUE_ENI },
  'ec2:DescribeNetworkInterfaces': { reason: GLUE_ENI },
  'ec2:DescribeSubnets': { reason: GLUE_ENI },
  'ec2:DescribeSecurityGroups': { reason: GLUE_ENI },
  'ec2:DescribeVpcEndpoints': { reason: GLUE_ENI },
  'ec2:DescribeRouteTables': { reason: GLUE_ENI },
  'ec2:DescribeVpcAttribute': { reason: GLUE_ENI },
  'ec2:DescribeManagedPrefixLists': {
    reason:
      'Finds the id of the AWS-managed S3 prefix list (com.amazonaws.<region>.s3) for the warehouse security group; EC2 Describe* actions have no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).',
  },
  'cloudwatch:PutMetricData': {
    reason:
      'Glue --enable-metrics writes to the "Glue" namespace with the job role (https://repost.aws/knowledge-center/glue-job-metrics-cloudwatch, https://docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html); PutMetricData has no resource type, only the cloudwatch:namespace condition.',
    condition: 'cloudwatch:namespace',
  },
  'tag:GetResources': { reason: DB_ROLE_TAGS },
  'tag:GetTagKeys': { reason: DB_ROLE_TAGS },
  'redshift-data:DescribeStatement': {
    reason:
      "Statement ids are not IAM resources; AWS's Data API policies limit these to the caller's own statements with redshift-data:statement-owner-iam-userid (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-control-identity-based.html, https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html).",
    condition: 'redshift-data:statement-owner-iam-userid',
  },
  'redshift-data:GetStatementResult': {
    reason:
      "Statement ids are not IAM resources; limited to the caller's own statements with redshift-data:statement-owner-iam-userid (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-control-identity-based.html).",
    condition: 'redshift-data:statement-owner-iam-userid',
  },
};

/** A statement on "*" whose every action is in UNSCOPED_ACTIONS (else synthesis fails, naming the action). */
export function unscopedStatement(props: {
  actions: string[];
  conditions?: Record<string, Record<string, unknown>>;
  sid?: string;
}): iam.PolicyStatement {
  for (const a of props.actions) {
    const entry = UNSCOPED_ACTIONS[a];
    if (!entry) throw new Error(`${a} on Resource "*" has no written reason in infra/constructs/unscoped.ts`);
    if (entry.condition && !Object.values(props.conditions ?? {}).some((c) => entry.condition! in c))
      throw new Error(`${a} on Resource "*" must carry the condition ${entry.condition}`);
  }
  return new iam.PolicyStatement({
    actions: props.actions,
    resources: ['*'],
    ...(props.conditions ? { conditions: props.conditions } : {}),
    ...(props.sid ? { sid: props.sid } : {}),
  });
}

/** The statement that limits the Data API status calls to the caller's own statements. */
export function ownDataApiStatements(): iam.PolicyStatement {
  return unscopedStatement({
    actions: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'],
    conditions: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
  });
}

/** What an identity needs for Redshift Serverless to honour its RedshiftDbRoles tag at sign-in. */
export function dbRoleTagStatement(): iam.PolicyStatement {
  return unscopedStatement({ actions: ['tag:GetResources', 'tag:GetTagKeys'], sid: 'RedshiftDbRolesTag' });
}
