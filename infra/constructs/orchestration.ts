// The state machine, from the one ASL file (statemachine/ingest.asl.json) with definitionSubstitutions, and a
// least-privilege role for Distributed Map children, ItemReader/ResultWriter, redrive, Lambda and Glue .sync.
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { acknowledge, logicalIdOf } from './nag.ts';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { HandlerName } from './ingestion.ts';

export const ASL_FILE = join(import.meta.dirname, '..', '..', 'statemachine', 'ingest.asl.json');

/** The ASL's ${…} names for each function. */
export const FUNCTION_SUBSTITUTIONS: Record<HandlerName, string> = {
  plan: 'PlanFunctionArn',
  eventPages: 'EventPagesFunctionArn',
  planEngagement: 'PlanEngagementFunctionArn',
  mediaEngagement: 'MediaEngagementFunctionArn',
  visitorLookup: 'VisitorLookupFunctionArn',
  visitorScan: 'VisitorScanFunctionArn',
  commit: 'CommitFunctionArn',
};

export interface OrchestrationProps {
  readonly bucket: s3.IBucket;
  readonly functions: Record<HandlerName, lambda.IFunction>;
  readonly glueJobName: string;
  /** State machine name. Default "wistia-ingest". */
  readonly stateMachineName?: string;
}

export class Orchestration extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = props.stateMachineName ?? 'wistia-ingest';
    const smArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const execArn = (suffix: string) =>
      stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${name}${suffix}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });

    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    const fnArns = Object.values(props.functions).map((f) => f.functionArn);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeHandlers',
        actions: ['lambda:InvokeFunction'],
        resources: [...fnArns, ...fnArns.map((a) => `${a}:*`)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ItemReader',
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects('runs/*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ResultWriter',
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [props.bucket.arnForObjects('runs/*/map-results/*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'MapChildren', actions: ['states:StartExecution'], resources: [smArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'MapChildrenDescribe',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [execArn(':*'), execArn('/*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Redrive',
        actions: ['states:RedriveExecution'],
        resources: [execArn(':*'), execArn('/*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'MapRuns',
        actions: ['states:DescribeMapRun', 'states:ListMapRuns', 'states:UpdateMapRun'],
        resources: [
          smArn,
          stack.formatArn({
            service: 'states',
            resource: 'mapRun',
            resourceName: `${name}/*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const jobArn = stack.formatArn({ service: 'glue', resource: 'job', resourceName: props.glueJobName });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'GlueSync',
        actions: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
        resources: [jobArn],
      }),
    );

    const substitutions: Record<string, string> = {
      BucketName: props.bucket.bucketName,
      GlueJobName: props.glueJobName,
    };
    for (const [k, sub] of Object.entries(FUNCTION_SUBSTITUTIONS) as [HandlerName, string][])
      substitutions[sub] = props.functions[k].functionArn;

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: logs.RetentionDays.THREE_MONTHS,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(ASL_FILE),
      definitionSubstitutions: substitutions,
      role,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.role = role;
    const bucket = logicalIdOf(props.bucket);
    acknowledge(
      role,
      'Lambda invoke on the seven handlers and their versions/aliases (:*), as lambda:invoke with a qualified ARN needs.',
      ...Object.values(props.functions).map((f) => `AwsSolutions-IAM5[Resource::<${logicalIdOf(f)}.Arn>:*]`),
    );
    acknowledge(
      role,
      'ItemReader reads the run manifests under runs/; ResultWriter writes under runs/*/map-results/ only.',
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/runs/*]`,
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/runs/*/map-results/*]`,
    );
    acknowledge(
      role,
      'Distributed Map children, redrive and map runs are addressed as executions/map runs of this state machine only (execution:<name>:*, <name>/<Label>:*, mapRun:<name>/*).',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:wistia-ingest:*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:wistia-ingest/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:mapRun:wistia-ingest/*]',
    );
    acknowledge(
      role,
      'X-Ray tracing and CloudWatch Logs delivery actions have no resource-level scope (added by tracingEnabled and logs).',
      'AwsSolutions-IAM5[Resource::*]',
    );
  }
}
