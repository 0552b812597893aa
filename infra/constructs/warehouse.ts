// The warehouse: Redshift Serverless (not publicly accessible, admin password managed in Secrets Manager) in
// a VPC without internet access; the Glue 5 job that builds the star schema runs in the same VPC through a
// NETWORK connection and reaches AWS services through VPC endpoints. The bootstrap custom resource creates
// the schema, the tables and the database roles; the Glue role and the analysts' role map to those roles
// through their RedshiftDbRoles tag.
import { ArnFormat, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rs from 'aws-cdk-lib/aws-redshiftserverless';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { acknowledge, acknowledgeWildcardResources, logicalIdOf } from './nag.ts';
import { acknowledgeManagedPolicy, ROOT } from './lambda.ts';
import { derivedName } from './names.ts';
import { DEFAULT_BASE_CAPACITY, DEFAULT_GLUE_WORKERS, GLUE_WORKER_TYPE } from './sizing.ts';
import { dbRoleTagStatement, ownDataApiStatements, unscopedStatement } from './unscoped.ts';
import { WarehouseBootstrap } from './bootstrap.ts';
import { RpuUsageLimit, type UsageLimitBreachAction, type UsageLimitPeriod } from './usage-limit.ts';
import { Construct } from 'constructs';
import { readMetricsContract } from './monitoring.ts';
import { join } from 'node:path';

/** The database roles the bootstrap creates (sql/ddl/redshift-grants.sql) and the IAM roles map to. */
export const LOADER_DB_ROLE = 'wistia_loader';
export const READER_DB_ROLE = 'wistia_reader';

export interface WarehouseProps {
  readonly bucket: s3.IBucket;
  /** The VPC's availability zones: Redshift Serverless needs subnets in three. */
  readonly availabilityZones: string[];
  /** Redshift database. Default "analytics". */
  readonly databaseName?: string;
  /** Redshift Serverless base capacity (RPUs). Default 8, the smallest. */
  readonly baseCapacity?: number;
  /** Most RPUs the workgroup scales to (a multiple of 8, at least the base capacity). Default 32. */
  readonly maxCapacity?: number;
  /** RPU-hours per period before the breach action. Default 64. */
  readonly usageLimitRpuHours?: number;
  /** Default "daily". */
  readonly usageLimitPeriod?: UsageLimitPeriod;
  /** Default "deactivate" (queries stop until the period ends: a cap, not a warning). */
  readonly usageLimitBreachAction?: UsageLimitBreachAction;
  /** Glue workers (G.1X). Default 2, the smallest allowed. */
  readonly glueWorkers?: number;
  /** Glue job timeout in minutes (below the state machine's Glue task timeout). */
  readonly glueTimeoutMinutes: number;
  /** Company site hosts for channel attribution (comma list). Default: none (the argument is omitted). */
  readonly companyHosts?: string;
  /** Store PII (email, ip) as SHA-256. Default true. */
  /** The share of an entity's records a run may quarantine before the quality gate fails it. Default 0.05. */
  readonly quarantineThreshold?: number;
  readonly hashPii?: boolean;
  /** Delete the namespace (the warehouse's data) with the stack (dev only). Default false: retained. */
  readonly destroyOnRemoval?: boolean;
}

export { DEFAULT_BASE_CAPACITY };
export const DEFAULT_MAX_CAPACITY = 32;
export const DEFAULT_USAGE_LIMIT_RPU_HOURS = 64;
export const DEFAULT_USAGE_LIMIT_PERIOD: UsageLimitPeriod = 'daily';
export const DEFAULT_USAGE_LIMIT_BREACH_ACTION: UsageLimitBreachAction = 'deactivate';

export class Warehouse extends Construct {
  readonly vpc: ec2.Vpc;
  readonly namespace: rs.CfnNamespace;
  readonly workgroup: rs.CfnWorkgroup;
  readonly job: glue.CfnJob;
  readonly jobName: string;
  readonly glueRole: iam.Role;
  readonly redshiftRole: iam.Role;
  readonly readerRole: iam.Role;
  readonly databaseName: string;
  readonly bootstrap: WarehouseBootstrap;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const db = props.databaseName ?? 'analytics';
    this.databaseName = db;
    const baseCapacity = props.baseCapacity ?? DEFAULT_BASE_CAPACITY;
    const maxCapacity = props.maxCapacity ?? DEFAULT_MAX_CAPACITY;
    // Base capacity: 8 to 512 RPUs in units of 8 (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-capacity.html);
    // max capacity caps the scaling (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-billing-on-demand.html),
    // [unconfirmed: its own steps] held to the same units of 8 and at least the base.
    if (!Number.isInteger(maxCapacity) || maxCapacity % 8 !== 0 || maxCapacity < baseCapacity)
      throw new Error(
        `Redshift max capacity must be a multiple of 8 RPUs and at least the base capacity (${baseCapacity}), got ${maxCapacity}`,
      );

    // Redshift Serverless: "You must have at least three subnets, and they must span across three
    // Availability Zones" (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-usage-considerations.html).
    if (new Set(props.availabilityZones).size < 3)
      throw new Error(
        `Redshift Serverless needs subnets in three availability zones; got ${props.availabilityZones.join(', ') || 'none'}`,
      );
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      availabilityZones: props.availabilityZones,
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
      // --enable-metrics: the job puts metrics to CloudWatch (monitoring.<region>.amazonaws.com); there is no
      // NAT, so without this endpoint PutMetricData cannot leave the VPC
      // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-interface-VPC.html).
      ['Monitoring', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING],
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
    // Enhanced VPC routing sends COPY's S3 reads through the VPC, i.e. through the S3 gateway endpoint. The
    // peer is the AWS-managed prefix list of S3 in this region (com.amazonaws.<region>.s3), which is exactly
    // the set of addresses the gateway endpoint routes: "you can use the prefix list ID for Amazon S3 in the
    // outbound rules of the security group" (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html).
    // Not 0.0.0.0/0: that would also open 443 to the internet the day someone adds a NAT. The id differs per
    // region and account partition, so it is read at deploy time (offline synth needs no lookup).
    const s3PrefixList = new cr.AwsCustomResource(this, 'S3PrefixList', {
      resourceType: 'Custom::S3PrefixList',
      onUpdate: {
        service: 'EC2',
        action: 'DescribeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${stack.region}.s3`] }] },
        physicalResourceId: cr.PhysicalResourceId.of(`com.amazonaws.${stack.region}.s3`),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        unscopedStatement({ actions: ['ec2:DescribeManagedPrefixLists'] }),
      ]),
      installLatestAwsSdk: false,
    });
    acknowledge(
      s3PrefixList,
      'ec2:DescribeManagedPrefixLists has no resource-level permissions (infra/constructs/unscoped.ts).',
      'AwsSolutions-IAM5[Resource::*]',
    );
    // Inline, on the group itself: CDK would put a rule whose peer is a deploy-time value into a separate
    // AWS::EC2::SecurityGroupEgress and drop its "no traffic" placeholder, leaving the group without inline
    // egress, i.e. with EC2's default allow-all egress rule.
    (rsSg.node.defaultChild as ec2.CfnSecurityGroup).securityGroupEgress = [
      {
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        destinationPrefixListId: s3PrefixList.getResponseField('PrefixLists.0.PrefixListId'),
        description: 'COPY reads S3 through the gateway endpoint (enhanced VPC routing)',
      },
    ];

    // Redshift reads the load's staged files with this role (COPY ... IAM_ROLE). For Redshift Serverless its trust
    // relationship must contain both redshift-serverless.amazonaws.com and redshift.amazonaws.com
    // (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-iam.html,
    // https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-security-other-services.html).
    const redshiftRole = new iam.Role(this, 'RedshiftCopyRole', {
      assumedBy: new iam.CompositePrincipal(
        new iam.ServicePrincipal('redshift-serverless.amazonaws.com'),
        new iam.ServicePrincipal('redshift.amazonaws.com'),
      ),
    });
    props.bucket.grantRead(redshiftRole, 'tmp/redshift/*');

    // Namespace and workgroup names are required by CloudFormation: derived from the stack, so a second
    // stack gets its own (pattern ^[a-z0-9-]{3,64}$).
    this.namespace = new rs.CfnNamespace(this, 'Namespace', {
      namespaceName: derivedName(this, 'analytics', { maxLength: 64 }),
      dbName: db,
      adminUsername: 'admin',
      manageAdminPassword: true,
      iamRoles: [redshiftRole.roleArn],
      logExports: ['userlog', 'connectionlog', 'useractivitylog'],
    });
    // The warehouse's data lives in the namespace: retained with the stack unless destroyOnRemoval (CloudFormation
    // deletes a resource without a DeletionPolicy). A retained namespace keeps its derived name: delete it by hand
    // before a stack of the same name is created again.
    this.namespace.applyRemovalPolicy(props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);
    this.workgroup = new rs.CfnWorkgroup(this, 'Workgroup', {
      workgroupName: derivedName(this, 'analytics-wg', { maxLength: 64 }),
      namespaceName: this.namespace.namespaceName,
      baseCapacity,
      maxCapacity,
      publiclyAccessible: false,
      enhancedVpcRouting: true,
      subnetIds: this.vpc.isolatedSubnets.map((s) => s.subnetId),
      securityGroupIds: [rsSg.securityGroupId],
    });
    this.workgroup.node.addDependency(this.namespace);
    new RpuUsageLimit(this, 'RpuUsageLimit', {
      workgroup: this.workgroup,
      amount: props.usageLimitRpuHours ?? DEFAULT_USAGE_LIMIT_RPU_HOURS,
      period: props.usageLimitPeriod ?? DEFAULT_USAGE_LIMIT_PERIOD,
      breachAction: props.usageLimitBreachAction ?? DEFAULT_USAGE_LIMIT_BREACH_ACTION,
    });
    this.bootstrap = new WarehouseBootstrap(this, 'Bootstrap', {
      namespace: this.namespace,
      workgroup: this.workgroup,
      database: db,
    });
    const workgroupArn = this.workgroup.attrWorkgroupWorkgroupArn;

    // Glue: a NETWORK connection in the VPC, an encrypted security configuration, the job.
    const subnet = this.vpc.isolatedSubnets[0] as ec2.ISubnet;
    const connection = new glue.CfnConnection(this, 'Connection', {
      catalogId: stack.account,
      connectionInput: {
        name: derivedName(this, 'glue-network', { maxLength: 255 }),
        connectionType: 'NETWORK',
        physicalConnectionRequirements: {
          subnetId: subnet.subnetId,
          availabilityZone: subnet.availabilityZone,
          securityGroupIdList: [glueSg.securityGroupId],
        },
      },
    });
    const key = new kms.Key(this, 'GlueKey', { enableKeyRotation: true, description: 'Glue job logs and bookmarks' });
    const glueLogGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws-glue/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // The key policy statement CloudWatch Logs needs, as AWS documents it: the regional logs principal,
    // Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe*, and the encryption-context condition that
    // limits it to log groups (here: Glue's, /aws-glue/...) of this account and region
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html, "Step 2: Set
    // permissions on the KMS key" and "KMS keys and encryption context"; Glue points there:
    // https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html).
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsGlueLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': glueLogGroups } },
      }),
    );
    const encryptionConfiguration: glue.CfnSecurityConfiguration.EncryptionConfigurationProperty = {
      cloudWatchEncryption: { cloudWatchEncryptionMode: 'SSE-KMS', kmsKeyArn: key.keyArn },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: key.keyArn },
      s3Encryptions: [{ s3EncryptionMode: 'SSE-S3' }],
    };
    // A security configuration cannot be updated (CloudFormation replaces it): its name carries a hash of
    // its configuration, so a replacement gets a new name instead of colliding with the old one.
    const security = new glue.CfnSecurityConfiguration(this, 'Security', {
      name: derivedName(this, 'glue-security', {
        maxLength: 255,
        salt: JSON.stringify(stack.resolve(encryptionConfiguration)),
      }),
      encryptionConfiguration,
    });
    const script = new Asset(this, 'Script', { path: join(ROOT, 'pyspark', 'glue_job.py') });
    // the package zipped with wistia_pipeline/ at its root (for --extra-py-files)
    const lib = new Asset(this, 'Library', {
      path: join(ROOT, 'pyspark'),
      exclude: ['*', '!wistia_pipeline', '!wistia_pipeline/**', '**/__pycache__', '**/*.pyc'],
    });
    const role = new iam.Role(this, 'GlueRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
    // Its database user IAMR:<role name> is made a member of wistia_loader by Redshift at GetCredentials
    // (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html).
    Tags.of(role).add('RedshiftDbRoles', LOADER_DB_ROLE);
    role.addToPolicy(dbRoleTagStatement());
    props.bucket.grantRead(role, 'bronze/*');
    props.bucket.grantReadWrite(role, 'tmp/*');
    props.bucket.grantReadWrite(role, 'quarantine/*');
    // the script and the library zip, by their object keys (not the whole asset bucket)
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [script, lib].map((a) => a.bucket.arnForObjects(a.s3ObjectKey)),
      }),
    );
    // Job bookmarks (CSE-KMS) and encrypted logs with the job's key
    // (https://docs.aws.amazon.com/glue/latest/ug/set-up-encryption.html).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
      }),
    );
    // The load talks to Redshift through the Data API with the job role's temporary credentials (no password
    // in the job), on this workgroup only. COPY's IAM_ROLE is the namespace's role, which CloudFormation
    // associated with the namespace (iamRoles); the job passes no role to an AWS API, so it needs no
    // iam:PassRole ("To pass a role ... to an AWS service" when configuring it:
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html; COPY uses "an IAM role
    // that is attached to your cluster": https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-authorization.html).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'redshift-data:BatchExecuteStatement',
          'redshift-data:ExecuteStatement',
          'redshift-serverless:GetCredentials',
        ],
        resources: [workgroupArn],
      }),
    );
    role.addToPolicy(ownDataApiStatements());
    // Glue names its log groups under /aws-glue/ at run time (with a security configuration, after the
    // configuration and the role).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
        resources: [glueLogGroups],
      }),
    );
    // --enable-metrics / --enable-observability-metrics: the "Glue" namespace
    // (https://docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html), and the run's
    // own metrics (records, rows, seconds: contracts/metrics.json) in the pipeline's namespace; no other.
    role.addToPolicy(
      unscopedStatement({
        actions: ['cloudwatch:PutMetricData'],
        conditions: { StringEquals: { 'cloudwatch:namespace': ['Glue', readMetricsContract().namespace] } },
      }),
    );
    // The VPC job's ENIs, as AWSGlueServiceRole grants them
    // (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSGlueServiceRole.html), tagging
    // limited to this account and region and to Glue's own tag key.
    role.addToPolicy(
      unscopedStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeRouteTables',
          'ec2:DescribeVpcAttribute',
        ],
      }),
    );
    const taggable = ['network-interface/*', 'security-group/*', 'instance/*'].map((r) =>
      stack.formatArn({ service: 'ec2', resource: r.split('/')[0]!, resourceName: '*' }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
        resources: taggable,
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['aws-glue-service-resource'] } },
      }),
    );
    this.job = new glue.CfnJob(this, 'Job', {
      // no name: CloudFormation generates one (a second stack, a replacement never collide)
      role: role.roleArn,
      glueVersion: '5.0',
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: script.s3ObjectUrl },
      workerType: GLUE_WORKER_TYPE,
      numberOfWorkers: props.glueWorkers ?? DEFAULT_GLUE_WORKERS,
      executionProperty: { maxConcurrentRuns: 1 },
      // A run started while one is running waits in Glue's queue instead of failing with
      // ConcurrentRunsExceededException (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html,
      // JobRunQueuingEnabled; https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html, WAITING).
      jobRunQueuingEnabled: true,
      // minutes; below the state machine's Glue task timeout, so Glue stops a stuck run before Step Functions
      // gives up on it (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html, Timeout)
      timeout: props.glueTimeoutMinutes,
      connections: { connections: [connection.ref] },
      securityConfiguration: security.ref,
      defaultArguments: glueDefaultArguments({
        bucketName: props.bucket.bucketName,
        libraryUrl: lib.s3ObjectUrl,
        workgroupName: this.workgroup.workgroupName,
        database: db,
        copyRoleArn: redshiftRole.roleArn,
        ...(props.companyHosts ? { companyHosts: props.companyHosts } : {}),
        hashPii: props.hashPii !== false,
        ...(props.quarantineThreshold !== undefined ? { quarantineThreshold: props.quarantineThreshold } : {}),
      }),
    });
    this.jobName = this.job.ref;
    const jobArn = stack.formatArn({ service: 'glue', resource: 'job', resourceName: this.job.ref });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetConnection'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'connection', resourceName: connection.ref }),
        ],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['glue:GetJob', 'glue:GetJobRun'], resources: [jobArn] }));
    this.glueRole = role;
    this.redshiftRole = redshiftRole;

    // Analysts (query editor v2, `dashboard --aws`): principals of this account that may assume it; its
    // database user IAMR:<role name> is a member of wistia_reader (SELECT only).
    this.readerRole = new iam.Role(this, 'ReaderRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: `Analysts: read the ${db} warehouse (database role ${READER_DB_ROLE})`,
      maxSessionDuration: Duration.hours(4),
    });
    Tags.of(this.readerRole).add('RedshiftDbRoles', READER_DB_ROLE);
    this.readerRole.addToPolicy(dbRoleTagStatement());
    this.readerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'redshift-serverless:GetCredentials',
          'redshift-data:ExecuteStatement',
          'redshift-data:BatchExecuteStatement',
        ],
        resources: [workgroupArn],
      }),
    );
    this.readerRole.addToPolicy(ownDataApiStatements());
    // query editor v2's own console permissions (its sqlworkbench resources), without sharing
    // (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-control-identity-based.html,
    // "Permissions required to use the query editor v2")
    this.readerRole.addManagedPolicy(
      iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonRedshiftQueryEditorV2NoSharing'),
    );
    acknowledgeManagedPolicy(
      this.readerRole,
      'Query editor v2 needs its sqlworkbench permissions; AWS documents this managed policy for it. Warehouse access itself is GetCredentials on this workgroup only.',
      'AmazonRedshiftQueryEditorV2NoSharing',
    );
    acknowledge(
      this.readerRole,
      "Data API statement status and results have no resource ARN; limited to the caller's own statements (statement-owner condition). tag:GetResources/GetTagKeys (no resource-level scope) let Redshift honour the RedshiftDbRoles tag.",
      'AwsSolutions-IAM5[Resource::*]',
    );

    const bucket = logicalIdOf(props.bucket);
    acknowledge(
      role,
      'S3 access is limited to the bronze/ (read), tmp/ and quarantine/ (read-write) prefixes; the actions are those of grantRead/grantReadWrite.',
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/bronze/*]`,
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/tmp/*]`,
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/quarantine/*]`,
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
    );
    acknowledge(
      role,
      'Actions on Resource "*" each have their reason in infra/constructs/unscoped.ts: the VPC ENI actions (no resource-level scope for Describe*), PutMetricData (cloudwatch:namespace Glue), the Data API status calls (statement-owner condition) and the tagging reads Redshift needs to honour the RedshiftDbRoles tag.',
      'AwsSolutions-IAM5[Resource::*]',
    );
    acknowledgeWildcardResources(
      role,
      'Glue names its log groups under /aws-glue/ at run time; the ENIs and security groups Glue tags are created at run time, tagging limited to the aws-glue-service-resource key.',
      [glueLogGroups, ...taggable],
    );
    acknowledge(
      redshiftRole,
      "COPY reads the load's staged files under tmp/redshift/ only.",
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/tmp/redshift/*]`,
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
    );
    acknowledgeCustomResourceProvider(this);
    acknowledge(
      this,
      'Availability zones come from context (availabilityZones, default <region>a,b,c) so that synthesis needs no lookup and the template is the one that deploys; Redshift Serverless needs three named zones.',
      'CloudFormation-Validate::W3010',
    );
    acknowledge(
      this,
      'Security groups only admit other security groups or the VPC CIDR (tokens cdk-nag cannot evaluate); nothing admits 0.0.0.0/0.',
      'AwsSolutions-EC23',
    );
  }
}

/** cdk-nag findings on the one Lambda all AwsCustomResources of the stack share (CDK's provider). */
function acknowledgeCustomResourceProvider(scope: Construct): void {
  const id = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;
  const provider = Stack.of(scope).node.tryFindChild(id);
  if (!provider) throw new Error(`the AwsCustomResource provider ${id} is not in the stack`);
  acknowledgeManagedPolicy(
    provider,
    "CDK's AwsCustomResource provider: AWSLambdaBasicExecutionRole only lets it write its own logs; each call's permissions are in that custom resource's own policy.",
    'service-role/AWSLambdaBasicExecutionRole',
  );
  acknowledge(
    provider,
    "CDK's AwsCustomResource provider: its runtime is chosen by aws-cdk-lib, not by this project.",
    'AwsSolutions-L1',
  );
}

export interface GlueArgumentsInput {
  readonly bucketName: string;
  readonly libraryUrl: string;
  readonly workgroupName: string;
  readonly database: string;
  readonly copyRoleArn: string;
  readonly companyHosts?: string;
  readonly hashPii: boolean;
  /** The share of an entity's records a run may quarantine before the gate fails it (0..1; the job's default 0.05). */
  readonly quarantineThreshold?: number;
}

/**
 * The job's DefaultArguments. No value is empty: an optional argument without a value is omitted
 * (glue_job.py reads an argument only when it is present). [unconfirmed: Glue's documents give no rule for
 * empty values; the stricter reading is that an empty value is refused or parsed as a missing one.]
 */
export function glueDefaultArguments(a: GlueArgumentsInput): Record<string, string> {
  const args: Record<string, string> = {
    '--TempDir': `s3://${a.bucketName}/tmp/glue/`,
    '--job-bookmark-option': 'job-bookmark-disable',
    '--enable-metrics': 'true',
    '--enable-observability-metrics': 'true',
    '--extra-py-files': a.libraryUrl,
    '--warehouse': 'redshift',
    '--redshift_workgroup': a.workgroupName,
    '--redshift_database': a.database,
    '--redshift_iam_role': a.copyRoleArn,
    '--redshift_tmp_dir': `s3://${a.bucketName}/tmp/redshift/`,
    '--hash_pii': a.hashPii ? 'true' : 'false',
  };
  const hosts = (a.companyHosts ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .join(',');
  if (hosts) args['--company_hosts'] = hosts;
  if (a.quarantineThreshold !== undefined) args['--quarantine_threshold'] = String(a.quarantineThreshold);
  return args;
}
