// A stand-in for `cdk deploy` of the synthesized template: CloudFormation's part (physical names for what
// the template leaves unnamed, the intrinsic functions resolved as the deploy would resolve them,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html) and the
// CDK CLI's asset publishing (file assets and zipped directories into the bootstrap bucket of an S3 server).
// The production-path test (test/aws-path.test.ts) reads everything it configures from here: the Glue job's
// definition, the roles' tags and policies the Data API stand-in enforces, the bucket and workgroup names.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { GlueJobDefinition } from '../glue/launcher.ts';
import { zipTree } from '../glue/zip.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Conditions?: Record<string, Json>;
  readonly Outputs?: Record<string, { Value: Json }>;
  readonly Parameters?: Record<string, { Default?: Json }>;
}
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Record<string, Json>[] | Record<string, Json>;
}

/** 12 upper-case letters and digits derived from the logical id: stable across runs, like a deployed suffix. */
const suffix = (id: string, n = 12) =>
  createHash('sha256')
    .update(id)
    .digest('hex')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(0, n);

export class Deployment {
  readonly partition = 'aws';

  constructor(
    readonly template: CfnTemplate,
    readonly stackName: string,
    readonly account: string,
    readonly region: string,
  ) {}

  resource(logicalId: string): CfnResource {
    const r = this.template.Resources[logicalId];
    if (!r) throw new Error(`the template has no resource "${logicalId}"`);
    return r;
  }

  /**
   * The resources of a type (optionally whose logical id starts with a prefix, or matches a pattern), as
   * [logicalId, resource].
   */
  resources(type: string, id: string | RegExp = ''): [string, CfnResource][] {
    const match = (x: string) => (typeof id === 'string' ? x.startsWith(id) : id.test(x));
    return Object.entries(this.template.Resources).filter(([x, r]) => r.Type === type && match(x));
  }

  /** The one resource of a type (and logical-id prefix or pattern): an error when there are none or several. */
  only(type: string, id: string | RegExp = ''): [string, CfnResource] {
    const found = this.resources(type, id);
    if (found.length !== 1) throw new Error(`expected one ${type}${id ? ` ${String(id)}` : ''}, found ${found.length}`);
    return found[0] as [string, CfnResource];
  }

  prop(logicalId: string, name: string): unknown {
    return this.resolve(this.resource(logicalId).Properties?.[name] ?? null);
  }

  /** The physical name CloudFormation gives a resource: its own name property, else a generated one. */
  physicalName(logicalId: string): string {
    const r = this.resource(logicalId);
    const p = r.Properties ?? {};
    const named = (k: string) => (p[k] !== undefined ? String(this.resolve(p[k])) : undefined);
    const generated = (max: number, lower = false) => {
      const s = `${this.stackName}-${logicalId}`.slice(0, max - 13) + `-${suffix(logicalId)}`;
      return lower ? s.toLowerCase() : s;
    };
    switch (r.Type) {
      case 'AWS::IAM::Role':
        return named('RoleName') ?? generated(64);
      case 'AWS::S3::Bucket':
        return named('BucketName') ?? generated(63, true);
      case 'AWS::Lambda::Function':
        return named('FunctionName') ?? generated(64);
      case 'AWS::Glue::Job':
        return named('Name') ?? `${logicalId}-${suffix(logicalId)}`;
      case 'AWS::Glue::Connection':
        return String(this.resolve((p.ConnectionInput as { Name?: Json } | undefined)?.Name ?? logicalId));
      case 'AWS::Glue::SecurityConfiguration':
        return named('Name') ?? generated(255);
      case 'AWS::StepFunctions::StateMachine':
        return named('StateMachineName') ?? `${logicalId}-${suffix(logicalId)}`;
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName') ?? generated(512);
      case 'AWS::SQS::Queue':
        return named('QueueName') ?? generated(80);
      case 'AWS::Scheduler::Schedule':
        return named('Name') ?? generated(64);
      case 'AWS::RedshiftServerless::Namespace':
        return named('NamespaceName') ?? generated(64, true);
      case 'AWS::RedshiftServerless::Workgroup':
        return named('WorkgroupName') ?? generated(64, true);
      case 'AWS::DynamoDB::Table':
        return named('TableName') ?? generated(255);
      default:
        return `${logicalId.toLowerCase()}-${suffix(logicalId, 8).toLowerCase()}`;
    }
  }

  arn(service: string, resource: string, region = this.region, account = this.account): string {
    return `arn:${this.partition}:${service}:${region}:${account}:${resource}`;
  }

  /** What `Ref` returns for a resource (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/). */
  ref(logicalId: string): string {
    const r = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    switch (r.Type) {
      case 'AWS::StepFunctions::StateMachine':
        return this.arn('states', `stateMachine:${name}`);
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.account}/${name}`;
      case 'AWS::KMS::Key':
        return `${suffix(logicalId, 8)}-0000-4000-8000-${suffix(logicalId + 'k', 12)}`.toLowerCase();
      default:
        return name;
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const r = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    const id = (n: number) => suffix(`${logicalId}.${attribute}`, n).toLowerCase();
    const uuid = () => `${id(8)}-${id(4)}-4${id(3)}-8${id(3)}-${id(12)}`;
    const key = `${r.Type}.${attribute}`;
    switch (key) {
      case 'AWS::IAM::Role.Arn':
        return `arn:${this.partition}:iam::${this.account}:role/${name}`;
      case 'AWS::IAM::Role.RoleId':
        return `AROA${suffix(logicalId, 17)}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:${this.partition}:s3:::${name}`;
      case 'AWS::S3::Bucket.DomainName':
        return `${name}.s3.amazonaws.com`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${name}.s3.${this.region}.amazonaws.com`;
      case 'AWS::Lambda::Function.Arn':
        return this.arn('lambda', `function:${name}`);
      case 'AWS::StepFunctions::StateMachine.Arn':
        return this.arn('states', `stateMachine:${name}`);
      case 'AWS::StepFunctions::StateMachine.Name':
        return name;
      case 'AWS::Logs::LogGroup.Arn':
        return this.arn('logs', `log-group:${name}:*`);
      case 'AWS::SQS::Queue.Arn':
        return this.arn('sqs', name);
      case 'AWS::SQS::Queue.QueueName':
        return name;
      case 'AWS::SQS::Queue.QueueUrl':
        return this.ref(logicalId);
      case 'AWS::KMS::Key.Arn':
        return this.arn('kms', `key/${this.ref(logicalId)}`);
      case 'AWS::Scheduler::Schedule.Arn':
        return this.arn('scheduler', `schedule/default/${name}`);
      case 'AWS::RedshiftServerless::Namespace.Namespace.NamespaceName':
        return name;
      case 'AWS::RedshiftServerless::Namespace.Namespace.NamespaceArn':
        return this.arn('redshift-serverless', `namespace/${uuid()}`);
      case 'AWS::RedshiftServerless::Namespace.Namespace.NamespaceId':
        return uuid();
      case 'AWS::RedshiftServerless::Workgroup.Workgroup.WorkgroupName':
        return name;
      case 'AWS::RedshiftServerless::Workgroup.Workgroup.WorkgroupArn':
        return this.arn('redshift-serverless', `workgroup/${this.getAtt(logicalId, 'Workgroup.WorkgroupId')}`);
      case 'AWS::RedshiftServerless::Workgroup.Workgroup.WorkgroupId':
        return uuid();
      case 'AWS::EC2::SecurityGroup.GroupId':
        return `sg-${id(17)}`;
      case 'AWS::EC2::VPC.CidrBlock':
        return String(this.prop(logicalId, 'CidrBlock'));
      case 'AWS::EC2::Subnet.AvailabilityZone':
        return String(this.prop(logicalId, 'AvailabilityZone'));
      default:
        if (attribute === 'Arn') return this.arn(r.Type.split('::')[1]?.toLowerCase() ?? 'unknown', name);
        throw new Error(`the deployment stand-in does not know Fn::GetAtt ${logicalId}.${attribute} (${r.Type})`);
    }
  }

  private pseudo(name: string): string {
    const values: Record<string, string> = {
      'AWS::AccountId': this.account,
      'AWS::Region': this.region,
      'AWS::Partition': this.partition,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stackName,
      'AWS::StackId': this.arn('cloudformation', `stack/${this.stackName}/00000000-0000-4000-8000-000000000000`),
      'AWS::NoValue': '',
    };
    const v = values[name];
    if (v === undefined) throw new Error(`unknown pseudo parameter ${name}`);
    return v;
  }

  private refOf(name: string): string {
    if (name.startsWith('AWS::')) return this.pseudo(name);
    const param = this.template.Parameters?.[name];
    if (param) {
      if (param.Default === undefined) throw new Error(`parameter ${name} has no default`);
      return String(this.resolve(param.Default));
    }
    return this.ref(name);
  }

  condition(name: string): boolean {
    const c = this.template.Conditions?.[name];
    if (c === undefined) throw new Error(`unknown condition ${name}`);
    return Boolean(this.resolve(c));
  }

  /** Resolves CloudFormation's intrinsic functions in a value, as the deploy would. */
  resolve(v: Json | undefined): unknown {
    if (v === undefined || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const k = keys[0] as string;
      const arg = v[k] as Json;
      switch (k) {
        case 'Ref':
          return this.refOf(String(arg));
        case 'Fn::GetAtt': {
          const [id, ...attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
          return this.getAtt(id as string, attr.join('.'));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, Json[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [i, list] = arg as [Json, Json];
          return (this.resolve(list) as unknown[])[Number(this.resolve(i))];
        }
        case 'Fn::Split': {
          const [sep, s] = arg as [string, Json];
          return String(this.resolve(s)).split(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, Json>]) : [String(arg), {}];
          return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            if (name.includes('.')) {
              const [id, ...attr] = name.split('.');
              return this.getAtt(id as string, attr.join('.'));
            }
            return this.refOf(name);
          });
        }
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((z) => `${this.region}${z}`);
        case 'Fn::If': {
          const [c, a, b] = arg as [string, Json, Json];
          return this.resolve(this.condition(c) ? a : b);
        }
        case 'Fn::Equals': {
          const [a, b] = arg as [Json, Json];
          return JSON.stringify(this.resolve(a)) === JSON.stringify(this.resolve(b));
        }
        case 'Fn::Not':
          return !this.resolve((arg as Json[])[0]);
        case 'Fn::And':
          return (arg as Json[]).every((x) => this.resolve(x));
        case 'Fn::Or':
          return (arg as Json[]).some((x) => this.resolve(x));
        case 'Fn::Contains': {
          const [list, x] = arg as [Json, Json];
          return (this.resolve(list) as unknown[])
            .map((y) => JSON.stringify(y))
            .includes(JSON.stringify(this.resolve(x)));
        }
        case 'Condition':
          return this.condition(String(arg));
        default:
          if (k.startsWith('Fn::')) throw new Error(`the deployment stand-in does not resolve ${k}`);
      }
    }
    return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, this.resolve(x)]));
  }

  /** The role's tags (e.g. RedshiftDbRoles), resolved. */
  roleTags(roleLogicalId: string): Record<string, string> {
    const tags = (this.prop(roleLogicalId, 'Tags') ?? []) as { Key: string; Value: string }[];
    return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
  }

  /**
   * Every policy document the role is granted by the template: its inline Policies and each AWS::IAM::Policy
   * attached to it. AWS managed policies (ManagedPolicyArns) are named in `managed`, not expanded.
   */
  rolePolicies(roleLogicalId: string): { documents: PolicyDocument[]; managed: string[] } {
    const documents: PolicyDocument[] = [];
    const p = this.resource(roleLogicalId).Properties ?? {};
    for (const inline of (p.Policies ?? []) as { PolicyDocument: Json }[])
      documents.push(this.resolve(inline.PolicyDocument) as PolicyDocument);
    for (const [, r] of this.resources('AWS::IAM::Policy')) {
      const roles = (r.Properties?.Roles ?? []) as Json[];
      if (roles.some((x) => JSON.stringify(x) === JSON.stringify({ Ref: roleLogicalId })))
        documents.push(this.resolve(r.Properties?.PolicyDocument ?? null) as PolicyDocument);
    }
    const managed = ((this.resolve(p.ManagedPolicyArns ?? []) as unknown[]) ?? []).map(String);
    return { documents, managed };
  }

  /** The Glue job as GetJob would return it after the deploy: its name and resolved properties (local/glue). */
  glueJob(logicalId = this.only('AWS::Glue::Job')[0]): GlueJobDefinition {
    const r = this.resource(logicalId);
    if (r.Type !== 'AWS::Glue::Job') throw new Error(`${logicalId} is a ${r.Type}, not an AWS::Glue::Job`);
    return {
      ...(this.resolve(r.Properties ?? {}) as Omit<GlueJobDefinition, 'Name'>),
      Name: this.physicalName(logicalId),
    };
  }

  /** Where a Lambda function's bundle is in the cloud assembly (the asset its Code.S3Key names). */
  lambdaBundleDir(outdir: string, functionLogicalId: string): string {
    const key = String(this.resolve((this.resource(functionLogicalId).Properties?.Code as { S3Key?: Json })?.S3Key));
    const manifest = JSON.parse(readFileSync(join(outdir, `${this.stackName}.assets.json`), 'utf8')) as AssetManifest;
    const asset = Object.values(manifest.files).find((a) =>
      Object.values(a.destinations).some((dest) => dest.objectKey === key),
    );
    if (!asset) throw new Error(`no asset of ${functionLogicalId} (${key}) in ${outdir}`);
    return join(outdir, asset.source.path);
  }

  /** The role the Glue job runs as, a function's execution role, …: the logical id behind a role ARN value. */
  roleBehind(value: Json | undefined): string {
    const v = value as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const id = v?.['Fn::GetAtt']?.[0];
    if (!id || this.resource(id).Type !== 'AWS::IAM::Role')
      throw new Error(`not a role reference: ${JSON.stringify(value)}`);
    return id;
  }
}

/** The CDK asset manifest next to a synthesized template, as `cdk deploy` publishes it. */
interface AssetManifest {
  files: Record<
    string,
    {
      source: { path: string; packaging: 'file' | 'zip' };
      destinations: Record<string, { bucketName: string; objectKey: string }>;
    }
  >;
}

/**
 * Publishes the stack's file assets (the Glue script, its library zip, the DDL, the Lambda bundles) to the
 * assets bucket on the S3 server, as the CDK CLI does before it deploys (`cdk-assets`): files as they are,
 * directories zipped with their contents at the zip's root (local/glue/zip.ts). Returns the keys written.
 */
export async function publishAssets(
  s3: S3Client,
  outdir: string,
  stackName: string,
  account: string,
  region: string,
): Promise<string[]> {
  const manifestFile = join(outdir, `${stackName}.assets.json`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as AssetManifest;
  const buckets = new Set<string>();
  const written: string[] = [];
  for (const [hash, asset] of Object.entries(manifest.files)) {
    const src = join(outdir, asset.source.path);
    if (!existsSync(src)) throw new Error(`asset ${hash} is missing from ${outdir}`);
    const body =
      asset.source.packaging === 'zip' || statSync(src).isDirectory() ? zipTree(src, src) : readFileSync(src);
    for (const d of Object.values(asset.destinations)) {
      const bucket = d.bucketName.replace('${AWS::AccountId}', account).replace('${AWS::Region}', region);
      if (!buckets.has(bucket)) {
        await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: Error) => {
          if (!/BucketAlready/.test(e.name)) throw e;
        });
        buckets.add(bucket);
      }
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: d.objectKey, Body: body }));
      written.push(`s3://${bucket}/${d.objectKey}`);
    }
  }
  return written;
}
