// The template `cdk deploy` ships (test/helpers/synth.ts, one synth per test run): the warehouse and the transform
// (Redshift Serverless, its network and usage limit, the Glue job and its connection, the roles mapped to database
// roles, the bootstrap).
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { glueTaskTimeoutSeconds } from '../infra/constructs/orchestration.ts';
import {
  ACCOUNT,
  REGION,
  tpl,
  t,
  entries,
  only,
  props,
  roleStatements,
  roleOf,
  idOf,
  fnId,
  useSynth,
} from './helpers/synth.ts';
import { grants, identityStatements, list, text, type Statement } from './helpers/template.ts';

useSynth();

describe('warehouse and transform', () => {
  it('runs Redshift Serverless privately with a managed admin password, capped at 32 RPUs (finding 13)', () => {
    t.hasResourceProperties('AWS::RedshiftServerless::Namespace', {
      ManageAdminPassword: true,
      DbName: 'analytics',
      AdminUsername: 'admin',
      IamRoles: [{ 'Fn::GetAtt': [idOf('AWS::IAM::Role', '/RedshiftCopyRole/'), 'Arn'] }],
    });
    t.hasResourceProperties('AWS::RedshiftServerless::Workgroup', {
      PubliclyAccessible: false,
      EnhancedVpcRouting: true,
      BaseCapacity: 8,
      MaxCapacity: 32,
    });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('retains the warehouse (the namespace) with the stack, and lets Redshift Serverless assume the COPY role', () => {
    t.hasResource('AWS::RedshiftServerless::Namespace', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    // "make sure that it contains redshift-serverless.amazonaws.com and redshift.amazonaws.com"
    // (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-iam.html)
    const trust = tpl.Resources[idOf('AWS::IAM::Role', '/RedshiftCopyRole/')]!.Properties!.AssumeRolePolicyDocument as {
      Statement: Statement[];
    };
    expect(
      trust.Statement.flatMap((st) => list((st.Principal as { Service?: string | string[] }).Service)).sort(),
    ).toEqual(['redshift-serverless.amazonaws.com', 'redshift.amazonaws.com']);
  });

  it('puts the workgroup in subnets of three distinct availability zones, named from context, no lookup (finding 5)', () => {
    const subnets = (props('AWS::RedshiftServerless::Workgroup').SubnetIds as { Ref: string }[]).map((s) => s.Ref);
    expect(subnets).toHaveLength(3);
    const zones = subnets.map((id) => tpl.Resources[id]!.Properties!.AvailabilityZone);
    expect(new Set(zones).size).toBe(3);
    expect(zones.sort()).toEqual([`${REGION}a`, `${REGION}b`, `${REGION}c`]);
  });

  it('limits RPU-hours with a usage limit: CreateUsageLimit / UpdateUsageLimit / DeleteUsageLimit on the workgroup (finding 13)', () => {
    const [, limit] = only('Custom::RedshiftServerlessUsageLimit');
    const call = (k: string) => JSON.parse(text(limit.Properties![k])) as Record<string, unknown>;
    const wg = only('AWS::RedshiftServerless::Workgroup')[0];
    expect(call('Create')).toEqual({
      service: 'RedshiftServerless',
      action: 'CreateUsageLimit',
      parameters: {
        resourceArn: `<${wg}.Workgroup.WorkgroupArn>`,
        usageType: 'serverless-compute',
        amount: 64,
        period: 'daily',
        breachAction: 'deactivate',
      },
      physicalResourceId: { responsePath: 'usageLimit.usageLimitId' },
      outputPaths: ['usageLimit.usageLimitId'],
    });
    expect(call('Update')).toMatchObject({
      action: 'UpdateUsageLimit',
      parameters: { usageLimitId: 'PHYSICAL:RESOURCEID:', amount: 64, breachAction: 'deactivate' },
    });
    expect(call('Delete')).toMatchObject({
      action: 'DeleteUsageLimit',
      parameters: { usageLimitId: 'PHYSICAL:RESOURCEID:' },
    });
  });

  it('lets the workgroup reach S3 only on 443, to the S3 prefix list the gateway endpoint routes (finding 4)', () => {
    const [sgId, sg] = entries('AWS::EC2::SecurityGroup').find(([, r]) =>
      JSON.stringify(r.Metadata).includes('/Warehouse/RedshiftSg/'),
    )!;
    expect(props('AWS::RedshiftServerless::Workgroup').SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    const prefixList = only('Custom::S3PrefixList')[0];
    expect(sg.Properties!.SecurityGroupEgress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        DestinationPrefixListId: { 'Fn::GetAtt': [prefixList, 'PrefixLists.0.PrefixListId'] },
        Description: 'COPY reads S3 through the gateway endpoint (enhanced VPC routing)',
      },
    ]);
    // and nothing else opens its egress from outside the group
    expect(entries('AWS::EC2::SecurityGroupEgress')).toEqual([]);
    const lookup = JSON.parse(text(tpl.Resources[prefixList]!.Properties!.Create)) as { parameters: unknown };
    expect(lookup.parameters).toEqual({
      Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${REGION}.s3`] }],
    });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.anyValue() });
  });

  it('gives the CloudWatch Logs principal the key policy AWS documents, with the encryption-context condition (finding 7)', () => {
    const policy = tpl.Resources[idOf('AWS::KMS::Key', '/Warehouse/GlueKey/')]!.Properties!.KeyPolicy as {
      Statement: Statement[];
    };
    const logs = policy.Statement.filter((s) => JSON.stringify(s.Principal).includes('logs.'));
    expect(logs).toEqual([
      {
        Sid: 'CloudWatchLogsEncryptsGlueLogGroups',
        Effect: 'Allow',
        Principal: { Service: { 'Fn::Join': ['', [`logs.${REGION}.`, { Ref: 'AWS::URLSuffix' }]] } },
        Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: '*',
        Condition: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws-glue/*` },
        },
      },
    ]);
  });

  it('runs the Glue 5 job in the VPC through a NETWORK connection, encrypted, one run at a time, queuing the next (finding 11)', () => {
    t.hasResourceProperties('AWS::Glue::Job', {
      GlueVersion: '5.0',
      WorkerType: 'G.1X',
      NumberOfWorkers: 2,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
      JobRunQueuingEnabled: true,
      Command: Match.objectLike({ Name: 'glueetl', PythonVersion: '3' }),
      SecurityConfiguration: { Ref: only('AWS::Glue::SecurityConfiguration')[0] },
      Connections: { Connections: [{ Ref: only('AWS::Glue::Connection')[0] }] },
    });
    t.hasResourceProperties('AWS::Glue::Connection', {
      ConnectionInput: Match.objectLike({ ConnectionType: 'NETWORK' }),
    });
    t.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: Match.objectLike({
        CloudWatchEncryption: Match.objectLike({ CloudWatchEncryptionMode: 'SSE-KMS' }),
        JobBookmarksEncryption: Match.objectLike({ JobBookmarksEncryptionMode: 'CSE-KMS' }),
      }),
    });
  });

  it("times the Glue job out an hour before the state machine's Glue task gives up", () => {
    const taskSeconds = glueTaskTimeoutSeconds();
    expect(taskSeconds).toBe(21600);
    const jobMinutes = props('AWS::Glue::Job').Timeout as number;
    expect(jobMinutes).toBe(300);
    expect(jobMinutes * 60 + 3600).toBeLessThanOrEqual(taskSeconds);
  });

  it('gives the job no empty argument: every DefaultArguments value is a non-empty string (finding 17)', () => {
    const args = props('AWS::Glue::Job').DefaultArguments as Record<string, unknown>;
    expect(Object.keys(args).length).toBeGreaterThan(5);
    for (const [k, v] of Object.entries(args)) {
      expect([k, text(v).trim().length > 0]).toEqual([k, true]);
    }
    expect(args).not.toHaveProperty('--company_hosts'); // no companyHosts in context: omitted, not ''
    expect(args['--redshift_workgroup']).toBe(props('AWS::RedshiftServerless::Workgroup').WorkgroupName);
    expect(args['--redshift_database']).toBe('analytics');
    expect(args['--enable-metrics']).toBe('true');
  });

  it('scopes the Data API and GetCredentials to the workgroup, status calls to own statements, no PassRole (finding 16)', () => {
    const glueRole = idOf('AWS::IAM::Role', '/Warehouse/GlueRole/');
    const sts = roleStatements(glueRole);
    const wg = `<${only('AWS::RedshiftServerless::Workgroup')[0]}.Workgroup.WorkgroupArn>`;
    for (const a of [
      'redshift-data:BatchExecuteStatement',
      'redshift-data:ExecuteStatement',
      'redshift-serverless:GetCredentials',
    ])
      expect([a, grants(sts, a)]).toEqual([a, [wg]]);
    const own = sts.filter((s) => list(s.Action).includes('redshift-data:DescribeStatement'));
    expect(own).toEqual([
      {
        Effect: 'Allow',
        Action: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'],
        Resource: '*',
        Condition: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
      },
    ]);
    expect(identityStatements(tpl).filter(({ st }) => list(st.Action).includes('iam:PassRole'))).toEqual([]);
    expect(JSON.stringify(tpl)).not.toContain('workgroup/*');
  });

  it("lets the job put metrics to the Glue namespace and the pipeline's own only, through a CloudWatch monitoring endpoint (finding 10, issue 14)", () => {
    const sts = roleStatements(idOf('AWS::IAM::Role', '/Warehouse/GlueRole/'));
    expect(sts.filter((s) => list(s.Action).includes('cloudwatch:PutMetricData'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': ['Glue', 'WistiaPipeline'] } },
      },
    ]);
    const endpoints = entries('AWS::EC2::VPCEndpoint').map(([, e]) => text(e.Properties!.ServiceName));
    expect(endpoints).toContain(`com.amazonaws.${REGION}.monitoring`);
    expect(props('AWS::Glue::Job').DefaultArguments).toMatchObject({ '--enable-metrics': 'true' });
  });

  it('maps the Glue role to wistia_loader and an analysts role to wistia_reader with GetCredentials on the workgroup (finding 3)', () => {
    const tags = (id: string) => tpl.Resources[id]!.Properties!.Tags;
    const glueRole = idOf('AWS::IAM::Role', '/Warehouse/GlueRole/');
    const reader = idOf('AWS::IAM::Role', '/Warehouse/ReaderRole/');
    expect(tags(glueRole)).toEqual([{ Key: 'RedshiftDbRoles', Value: 'wistia_loader' }]);
    expect(tags(reader)).toEqual([{ Key: 'RedshiftDbRoles', Value: 'wistia_reader' }]);
    const wg = `<${only('AWS::RedshiftServerless::Workgroup')[0]}.Workgroup.WorkgroupArn>`;
    expect(grants(roleStatements(reader), 'redshift-serverless:GetCredentials')).toEqual([wg]);
    expect(JSON.stringify(tpl.Resources[reader]!.Properties!.AssumeRolePolicyDocument)).toContain(
      `:iam::${ACCOUNT}:root`,
    );
    // signing in with IAM credentials, the tag is honoured only with these two tagging reads
    // (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html)
    for (const role of [glueRole, reader])
      for (const action of ['tag:GetResources', 'tag:GetTagKeys'])
        expect(grants(roleStatements(role), action), `${role} ${action}`).toEqual(['*']);
  });

  it('bootstraps the warehouse after the workgroup, least privilege, with a DDL hash (finding 3)', () => {
    const [crId, bootstrap] = only('Custom::WarehouseBootstrap');
    const fn = fnId('Warehouse/Bootstrap/Function');
    expect(bootstrap.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [fn, 'Arn'] },
      ServiceTimeout: '960',
      NamespaceName: props('AWS::RedshiftServerless::Namespace').NamespaceName,
      WorkgroupName: props('AWS::RedshiftServerless::Workgroup').WorkgroupName,
      Database: 'analytics',
      DdlHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(list(bootstrap.DependsOn)).toContain(only('AWS::RedshiftServerless::Workgroup')[0]);
    const sts = roleStatements(roleOf(fn));
    const ns = props('AWS::RedshiftServerless::Namespace').NamespaceName as string;
    expect(grants(sts, 'redshift-serverless:GetNamespace')).toEqual([
      `<${only('AWS::RedshiftServerless::Namespace')[0]}.Namespace.NamespaceArn>`,
    ]);
    const wg = `<${only('AWS::RedshiftServerless::Workgroup')[0]}.Workgroup.WorkgroupArn>`;
    expect(grants(sts, 'redshift-data:BatchExecuteStatement')).toEqual([wg]);
    expect(grants(sts, 'secretsmanager:GetSecretValue')).toEqual([
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:redshift!${ns}-admin-??????`,
    ]);
    expect(grants(sts, 'redshift-serverless:GetCredentials')).toEqual([]);
    // the first scheduled run comes after the tables exist
    expect(list(only('AWS::Scheduler::Schedule')[1].DependsOn)).toContain(crId);
  });
});
