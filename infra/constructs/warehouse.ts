// The warehouse: Redshift Serverless (not publicly accessible, admin password managed in Secrets Manager) in
// a VPC without internet access; the Glue 5 job that builds the star schema runs in the same VPC through a
// NETWORK connection and reaches AWS services through VPC endpoints.
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rs from 'aws-cdk-lib/aws-redshiftserverless';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { acknowledge, logicalIdOf } from './nag.ts';
import { Construct } from 'constructs';
import { join } from 'node:path';

export interface WarehouseProps {
  readonly bucket: s3.IBucket;
  /** Redshift database. Default "analytics". */
  readonly databaseName?: string;
  /** Redshift Serverless base capacity (RPUs). Default 8, the smallest. */
  readonly baseCapacity?: number;
  /** Glue workers (G.1X). Default 2, the smallest allowed. */
  readonly glueWorkers?: number;
  /** Company site hosts for channel attribution (comma list). Default "". */
  readonly companyHosts?: string;
  /** Store PII (email, ip) as SHA-256. Default true. */
  readonly hashPii?: boolean;
}

const ROOT = join(import.meta.dirname, '..', '..');

export class Warehouse extends Construct {
  readonly vpc: ec2.Vpc;
  readonly namespace: rs.CfnNamespace;
  readonly workgroup: rs.CfnWorkgroup;
  readonly job: glue.CfnJob;
  readonly jobName: string;
  readonly glueRole: iam.Role;
  readonly redshiftRole: iam.Role;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const db = props.databaseName ?? 'analytics';

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.THREE_MONTHS }),
      ),
    });
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    for (const [name, svc] of [
      ['Glue', ec2.InterfaceVpcEndpointAwsService.GLUE],
      ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
      ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
      ['RedshiftData', ec2.InterfaceVpcEndpointAwsService.REDSHIFT_DATA],
      ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
    ] as const)
      this.vpc.addInterfaceEndpoint(name, { service: svc, privateDnsEnabled: true });

    const glueSg = new ec2.SecurityGroup(this, 'GlueSg', {
      vpc: this.vpc,
      description: 'Glue job ENIs',
      allowAllOutbound: true,
    });
    glueSg.addIngressRule(glueSg, ec2.Port.allTcp(), 'Glue workers talk to each other');
    const rsSg = new ec2.SecurityGroup(this, 'RedshiftSg', {
      vpc: this.vpc,
      description: 'Redshift Serverless workgroup',
      allowAllOutbound: false,
    });
    rsSg.addIngressRule(glueSg, ec2.Port.tcp(5439), 'Glue loads the warehouse');

    // Redshift reads the Glue connector's temp files with this role (COPY).
    const redshiftRole = new iam.Role(this, 'RedshiftCopyRole', {
      assumedBy: new iam.ServicePrincipal('redshift.amazonaws.com'),
    });
    props.bucket.grantRead(redshiftRole, 'tmp/redshift/*');

    this.namespace = new rs.CfnNamespace(this, 'Namespace', {
      namespaceName: 'wistia-analytics',
      dbName: db,
      adminUsername: 'admin',
      manageAdminPassword: true,
      iamRoles: [redshiftRole.roleArn],
      logExports: ['userlog', 'connectionlog', 'useractivitylog'],
    });
    this.workgroup = new rs.CfnWorkgroup(this, 'Workgroup', {
      workgroupName: 'wistia-analytics',
      namespaceName: this.namespace.namespaceName,
      baseCapacity: props.baseCapacity ?? 8,
      publiclyAccessible: false,
      enhancedVpcRouting: true,
      subnetIds: this.vpc.isolatedSubnets.map((s) => s.subnetId),
      securityGroupIds: [rsSg.securityGroupId],
    });
    this.workgroup.node.addDependency(this.namespace);

    // Glue: a NETWORK connection in the VPC, an encrypted security configuration, the job.
    const subnet = this.vpc.isolatedSubnets[0] as ec2.ISubnet;
    const connection = new glue.CfnConnection(this, 'Connection', {
      catalogId: stack.account,
      connectionInput: {
        name: 'wistia-analytics-network',
        connectionType: 'NETWORK',
        physicalConnectionRequirements: {
          subnetId: subnet.subnetId,
          availabilityZone: subnet.availabilityZone,
          securityGroupIdList: [glueSg.securityGroupId],
        },
      },
    });
    const key = new kms.Key(this, 'GlueKey', { enableKeyRotation: true, description: 'Glue job logs and bookmarks' });
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`));
    const security = new glue.CfnSecurityConfiguration(this, 'Security', {
      name: 'wistia-analytics-glue',
      encryptionConfiguration: {
        cloudWatchEncryption: { cloudWatchEncryptionMode: 'SSE-KMS', kmsKeyArn: key.keyArn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: key.keyArn },
        s3Encryptions: [{ s3EncryptionMode: 'SSE-S3' }],
      },
    });
    const script = new Asset(this, 'Script', { path: join(ROOT, 'pyspark', 'glue_job.py') });
    // the package zipped with wistia_pipeline/ at its root (for --extra-py-files), and the Redshift DDL
    const lib = new Asset(this, 'Library', {
      path: join(ROOT, 'pyspark'),
      exclude: ['*', '!wistia_pipeline', '!wistia_pipeline/**', '**/__pycache__', '**/*.pyc'],
    });
    const ddl = new Asset(this, 'Ddl', { path: join(ROOT, 'sql', 'ddl', 'redshift.sql') });
    const role = new iam.Role(this, 'GlueRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
    props.bucket.grantRead(role, 'bronze/*');
    props.bucket.grantReadWrite(role, 'tmp/*');
    props.bucket.grantReadWrite(role, 'quarantine/*');
    script.grantRead(role);
    lib.grantRead(role);
    ddl.grantRead(role);
    key.grantEncryptDecrypt(role);
    // The load talks to Redshift through the Data API with IAM credentials (no password in the job): COPY from
    // the staged files with the namespace's role, then MERGE, in one batch per table.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['redshift-data:BatchExecuteStatement', 'redshift-data:ExecuteStatement'],
        resources: [stack.formatArn({ service: 'redshift-serverless', resource: 'workgroup', resourceName: '*' })],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [redshiftRole.roleArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['redshift-serverless:GetCredentials', 'redshift-serverless:GetWorkgroup'],
        resources: [stack.formatArn({ service: 'redshift-serverless', resource: 'workgroup', resourceName: '*' })],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '/aws-glue/*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['glue:GetConnection', 'glue:GetJob', 'glue:GetJobRun'], resources: ['*'] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeRouteTables',
          'ec2:DescribeVpcAttribute',
          'ec2:CreateTags',
          'ec2:DeleteTags',
        ],
        resources: ['*'],
      }),
    );
    this.jobName = 'wistia-transform';
    this.job = new glue.CfnJob(this, 'Job', {
      name: this.jobName,
      role: role.roleArn,
      glueVersion: '5.0',
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: script.s3ObjectUrl },
      workerType: 'G.1X',
      numberOfWorkers: props.glueWorkers ?? 2,
      executionProperty: { maxConcurrentRuns: 1 },
      connections: { connections: [connection.ref] },
      securityConfiguration: security.ref,
      defaultArguments: {
        '--TempDir': `s3://${props.bucket.bucketName}/tmp/glue/`,
        '--job-bookmark-option': 'job-bookmark-disable',
        '--enable-metrics': 'true',
        '--enable-observability-metrics': 'true',
        '--enable-continuous-cloudwatch-log': 'true',
        '--extra-py-files': lib.s3ObjectUrl,
        '--extra-files': ddl.s3ObjectUrl,
        '--ddl': ddl.s3ObjectKey,
        '--warehouse': 'redshift',
        '--redshift_workgroup': this.workgroup.workgroupName,
        '--redshift_database': db,
        '--redshift_iam_role': redshiftRole.roleArn,
        '--redshift_tmp_dir': `s3://${props.bucket.bucketName}/tmp/redshift/`,
        '--company_hosts': props.companyHosts ?? '',
        '--hash_pii': props.hashPii === false ? 'false' : 'true',
      },
    });
    this.glueRole = role;
    this.redshiftRole = redshiftRole;
    const bucket = logicalIdOf(props.bucket);
    acknowledge(
      role,
      'S3 access is limited to the bronze/ (read), tmp/ and quarantine/ (read-write) prefixes and the CDK asset bucket holding the job script; the actions are those of grantRead/grantReadWrite.',
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/bronze/*]`,
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/tmp/*]`,
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/quarantine/*]`,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
    );
    acknowledge(
      role,
      "grantEncryptDecrypt on the job's own KMS key.",
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    );
    acknowledge(
      role,
      'Glue in a VPC manages its ENIs (ec2 network-interface actions have no resource scope), Glue Get* and the Data API statement status calls have no resource scope, Glue names its log groups under /aws-glue/ at run time, and workgroup ARNs carry a generated id.',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:redshift-serverless:<AWS::Region>:<AWS::AccountId>:workgroup/*]',
    );
    acknowledge(
      redshiftRole,
      "COPY reads the load's staged files under tmp/redshift/ only.",
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/tmp/redshift/*]`,
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
    );
    acknowledge(
      this,
      'Security groups only admit other security groups or the VPC CIDR (tokens cdk-nag cannot evaluate); nothing admits 0.0.0.0/0.',
      'AwsSolutions-EC23',
    );
  }
}
