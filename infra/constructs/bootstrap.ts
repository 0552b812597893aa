// The warehouse bootstrap (docs: the brief's D1): a CloudFormation custom resource, answered by the
// functions/warehouse-bootstrap Lambda (invoked directly: ServiceToken = the function's ARN, no provider
// framework), that runs sql/ddl/redshift.sql then sql/ddl/redshift-grants.sql as the namespace's admin
// through the Data API, after the workgroup exists. DdlHash (sha-256 of both files at synth) makes a DDL
// change an Update, so the SQL runs again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as rs from 'aws-cdk-lib/aws-redshiftserverless';
import { Construct } from 'constructs';
import { ROOT, pipelineFunction } from './lambda.ts';
import { ownDataApiStatements } from './unscoped.ts';
import { acknowledge } from './nag.ts';
import { SQL_DIR, SQL_FILES } from '../../functions/warehouse-bootstrap/sql-files.ts';

/** The SQL the bootstrap runs, in order, copied into the bundle under the same relative paths. */
export const BOOTSTRAP_SQL = SQL_FILES.map((f) => `${SQL_DIR}/${f}`);

/** sha-256 over both files (name and content), as hex. */
export function ddlHash(root = ROOT): string {
  const h = createHash('sha256');
  for (const f of BOOTSTRAP_SQL) {
    let text: string;
    try {
      text = readFileSync(join(root, f), 'utf8');
    } catch {
      throw new Error(`The warehouse bootstrap needs ${f} (read at synth for DdlHash and copied into the bundle)`);
    }
    h.update(`${f}\0${text}\0`);
  }
  return h.digest('hex');
}

export interface WarehouseBootstrapProps {
  readonly namespace: rs.CfnNamespace;
  readonly workgroup: rs.CfnWorkgroup;
  readonly database: string;
}

export class WarehouseBootstrap extends Construct {
  readonly function: NodejsFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: WarehouseBootstrapProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.function = pipelineFunction(this, 'Function', {
      entry: 'functions/warehouse-bootstrap/index.ts',
      // The Data API runs the DDL asynchronously; the handler polls DescribeStatement. A Lambda runs at most
      // 15 minutes (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
      timeout: Duration.minutes(15),
      environment: { POWERTOOLS_SERVICE_NAME: 'wistia-pipeline', POWERTOOLS_LOG_LEVEL: 'INFO' },
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // the handler reads $LAMBDA_TASK_ROOT/sql/ddl/<file> (the repository's sql/ddl/<file> locally)
        afterBundling: (inputDir: string, outputDir: string) => [
          `mkdir -p "${outputDir}/sql/ddl"`,
          ...BOOTSTRAP_SQL.map((f) => `cp "${inputDir}/${f}" "${outputDir}/${f}"`),
        ],
      },
    });
    const fn = this.function;
    // GetNamespace gives namespace.adminPasswordSecretArn (CloudFormation exposes no attribute for the managed
    // secret, aws-cdk#29930).
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['redshift-serverless:GetNamespace'],
        resources: [props.namespace.attrNamespaceNamespaceArn],
      }),
    );
    // Data API calls on a serverless workgroup are authorized on the workgroup's ARN
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftdataapi.html).
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['redshift-data:BatchExecuteStatement', 'redshift-data:ExecuteStatement'],
        resources: [props.workgroup.attrWorkgroupWorkgroupArn],
      }),
    );
    fn.addToRolePolicy(ownDataApiStatements());
    // The admin secret Redshift manages for the namespace (manageAdminPassword). Secrets that other services
    // create and manage carry the service's prefix ("redshift!"): https://docs.aws.amazon.com/secretsmanager/latest/userguide/service-linked-secrets.html;
    // after it the namespace name and the admin user name [unconfirmed: the docs do not spell the rest out;
    // every managed namespace secret seen is redshift!<namespace>-<admin user>], then "the final hyphen and
    // six random characters that Secrets Manager adds at the end of the ARN"
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen),
    // matched here by six "?" (one character each), so no other secret matches.
    const adminSecretArn = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `redshift!${props.namespace.namespaceName}-${props.namespace.adminUsername ?? 'admin'}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [adminSecretArn] }),
    );
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::WarehouseBootstrap',
      // if the function dies without answering, CloudFormation gives up after this long (default one hour)
      serviceTimeout: Duration.minutes(16),
      properties: {
        NamespaceName: props.namespace.namespaceName,
        WorkgroupName: props.workgroup.workgroupName,
        Database: props.database,
        DdlHash: ddlHash(),
      },
    });
    this.resource.node.addDependency(props.workgroup);
    acknowledge(
      fn,
      'X-Ray and the Data API status calls (own statements only) take no resource ARN (infra/constructs/unscoped.ts).',
      'AwsSolutions-IAM5[Resource::*]',
    );
  }
}
