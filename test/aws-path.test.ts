// The production data path, end to end (issue 11): what `cdk deploy` ships, run here against stand-ins that hold
// it to AWS's documented rules.
// - The stack is synthesized for an explicit environment (as `cdk deploy` synthesizes it); a stand-in for the
//   deploy names what CloudFormation names, resolves the template's intrinsic functions and publishes its assets
//   to moto's S3 server (local/deploy/deployment.ts). Everything below is configured from that template.
// - The warehouse bootstrap custom resource runs as CloudFormation invokes it (its event, its ResponseURL), from
//   the SQL its bundle ships, against the Redshift Data API stand-in (local/redshift) as the namespace's admin.
// - The state machine runs with the Lambdas' AWS deps (functions/shared/pipeline/aws-deps.ts: S3 and SSM on moto,
//   the token a SecureString), so bronze, manifests, map results and watermarks land in S3 with real SDK calls
//   and conditional writes.
// - The Glue task runs the job from the template (script, library zip, arguments) in the Glue 5.0 twin
//   (local/glue: .venv-glue with Glue's modules only, S3A over moto), as the job's role: its database user is
//   IAMR:<role>, a member of wistia_loader through the role's tag, and PostgreSQL refuses what the grants do not
//   allow; the Data API stand-in enforces batch sizes, statement sizes, COPY's byte lengths and its IAM policies.
// - The same bronze, copied to a local store, goes through the local path (Spark + PostgreSQL, the demo's): both
//   build the same tables, row for row.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineApp } from '../infra/app.ts';
import { depsFromEnv } from '#shared/pipeline/aws-deps.ts';
import { readWatermarks } from '#shared/pipeline/watermarks.ts';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { runPipeline, type ExecutionRecord, type GlueRunner } from '#local/runner/run.ts';
import { startJobRun } from '#local/glue/launcher.ts';
import { startLocalRedshift, type LocalRedshift } from '#local/redshift/local.ts';
import { localGlue, TransformWorker, type TransformReport } from '#local/transform.ts';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { makeHandler as bootstrapHandler, sqlFromDisk } from '../functions/warehouse-bootstrap/handler.ts';
import { Deployment, publishAssets, type CfnTemplate } from '#local/deploy/deployment.ts';
import { startMoto, type Moto } from './helpers/moto.ts';
import { sim as startSim, TOKEN } from './helpers/sim.ts';
import { tempDir } from './helpers/pipeline.ts';
import { badInput } from './helpers/bad-input.ts';
import { scanWarehouse, STAR, tokenForms, type StarTable } from './helpers/reliability.ts';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const STACK = 'WistiaPipeline';
const COMPANY_HOSTS = 'www.example.com';
/** What both paths must build alike: the star schema and the audit rows that do not carry a load time. */
const COMPARED = [...(Object.keys(STAR) as StarTable[]), 'quarantine', 'schema_drift'] as const;

let outdir: string;
let deployment: Deployment;
let moto: Moto;
let redshift: LocalRedshift;
let sim: WistiaSimulator;
let dataDir: string;
let bucket: string;
let record: ExecutionRecord;
let bootstrapAnswer: Record<string, unknown>;
const glueRuns: { JobRunState: string; ErrorMessage?: string; ExecutionTime: number }[] = [];
const glueArgs: Record<string, string>[] = [];
let awsStore: ReturnType<typeof depsFromEnv>['store'];
let budgetTableName: string;
const savedEnv = { ...process.env };

/** An IAM identity for the stand-in: a session of a role of the template, with its tags and its policies. */
function identity(d: Deployment, roleId: string, session: string) {
  const { documents, managed } = d.rolePolicies(roleId);
  return {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${d.physicalName(roleId)}/${session}`,
    tags: d.roleTags(roleId),
    policies: documents as unknown[],
    managed,
  };
}

/** The access key each identity signs with (the stand-in tells callers apart by it, as IAM does). */
const KEYS = { glue: 'AKIAGLUEJOBROLE00001', bootstrap: 'AKIABOOTSTRAPFN00001', lambdas: 'AKIAPIPELINELAMBDA01' };
const SECRET = 'not-a-real-secret-key';
const credentialsOf = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: SECRET });

/** Per table: rows and an md5 over every column of every row (PostgreSQL's text form, ordered). */
async function checksums(dsn: string): Promise<Record<string, { rows: number; md5: string }>> {
  const c = new pg.Client({ connectionString: dsn });
  await c.connect();
  try {
    await c.query("SET TIME ZONE 'UTC'");
    const out: Record<string, { rows: number; md5: string }> = {};
    for (const t of COMPARED) {
      const r = await c.query<{ rows: string; md5: string }>(
        `SELECT count(*) AS rows, md5(coalesce(string_agg(x.t, E'\\n' ORDER BY x.t), '')) AS md5
           FROM (SELECT r::text AS t FROM analytics.${t} r) x`,
      );
      out[t] = { rows: Number(r.rows[0]?.rows), md5: String(r.rows[0]?.md5) };
    }
    return out;
  } finally {
    await c.end();
  }
}

/** The rows of a table that one path has and the other has not (when the checksums differ: what to look at). */
async function rowDiff(table: string): Promise<string> {
  const rows = async (dsn: string) => {
    const c = new pg.Client({ connectionString: dsn });
    await c.connect();
    try {
      await c.query("SET TIME ZONE 'UTC'");
      return new Set(
        (await c.query<{ t: string }>(`SELECT r::text AS t FROM analytics.${table} r`)).rows.map((r) => r.t),
      );
    } finally {
      await c.end();
    }
  };
  const [a, b] = [await rows(redshift.dsn), await rows(redshift.warehouse.dsn)];
  const cut = (t: string) => JSON.stringify(t.length > 300 ? `${t.slice(0, 300)}…` : t);
  return [
    ...[...a].filter((t) => !b.has(t)).map((t) => `  production: ${cut(t)}`),
    ...[...b].filter((t) => !a.has(t)).map((t) => `  local:      ${cut(t)}`),
  ].join('\n');
}

/** Receives CloudFormation's answer from a custom resource (the PUT to its ResponseURL). */
async function responseUrl(): Promise<{ url: string; answer: Promise<Record<string, unknown>>; close(): void }> {
  let resolve!: (v: Record<string, unknown>) => void;
  const answer = new Promise<Record<string, unknown>>((r) => (resolve = r));
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.writeHead(200).end();
      resolve(JSON.parse(body) as Record<string, unknown>);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/cfn-response?X-Amz-Signature=redacted`, answer, close: () => server.close() };
}

beforeAll(async () => {
  // 1. What `cdk deploy` synthesizes, and a deploy of it: physical names, intrinsics, assets in S3.
  outdir = mkdtempSync(join(tmpdir(), 'wp-cdk-'));
  const { app } = pipelineApp({
    account: ACCOUNT,
    region: REGION,
    context: { companyHosts: COMPANY_HOSTS, quarantineThreshold: '0.5' },
    outdir,
    nag: false,
  });
  app.synth();
  const template = JSON.parse(readFileSync(join(outdir, `${STACK}.template.json`), 'utf8')) as CfnTemplate;
  deployment = new Deployment(template, STACK, ACCOUNT, REGION);
  const d = deployment;
  moto = await startMoto();
  await publishAssets(moto.s3, outdir, STACK, ACCOUNT, REGION);
  const [bucketId] = d.only('AWS::S3::Bucket', 'StorageDataLake');
  bucket = d.physicalName(bucketId);
  await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));

  // 2. Redshift Serverless as the template configures it, behind the Data API stand-in.
  const [nsId] = d.only('AWS::RedshiftServerless::Namespace');
  const [wgId] = d.only('AWS::RedshiftServerless::Workgroup');
  const [jobId, job] = d.only('AWS::Glue::Job');
  const [crId, cr] = d.only('Custom::WarehouseBootstrap');
  const bootstrapFnId = (cr.Properties?.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const glueRoleId = d.roleBehind(job.Properties?.Role);
  const bootstrapRoleId = d.roleBehind(d.resource(bootstrapFnId).Properties?.Role);
  const namespaceName = d.getAtt(nsId, 'Namespace.NamespaceName');
  const iamRoles = d.prop(nsId, 'IamRoles') as string[];
  const copyRoleIds = d
    .resources('AWS::IAM::Role')
    .filter(([id]) => iamRoles.includes(d.getAtt(id, 'Arn')))
    .map(([id]) => id);
  dataDir = tempDir('wp-aws-path-');
  redshift = await startLocalRedshift({
    dataDir,
    database: String(d.prop(nsId, 'DbName')),
    workgroupName: d.getAtt(wgId, 'Workgroup.WorkgroupName'),
    workgroupArn: d.getAtt(wgId, 'Workgroup.WorkgroupArn'),
    namespaceName,
    namespaceArn: d.getAtt(nsId, 'Namespace.NamespaceArn'),
    adminUsername: String(d.prop(nsId, 'AdminUsername')),
    // the secret Redshift keeps the managed admin password in (manageAdminPassword)
    adminSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:redshift!${namespaceName}-${String(d.prop(nsId, 'AdminUsername'))}-Ab12Cd`,
    iamRoles,
    identities: {
      [KEYS.glue]: identity(d, glueRoleId, 'GlueJobRunnerSession'),
      [KEYS.bootstrap]: identity(d, bootstrapRoleId, d.physicalName(bootstrapFnId)),
    },
    roleIdentities: Object.fromEntries(
      copyRoleIds.map((id) => [
        d.getAtt(id, 'Arn'),
        { policies: d.rolePolicies(id).documents as unknown[], trust: d.prop(id, 'AssumeRolePolicyDocument') },
      ]),
    ),
    s3: { endpoint: moto.endpoint, region: REGION, credentials: credentialsOf(KEYS.lambdas) },
    resultPageRows: 50,
  });

  // 3. The deploy's custom resource: CloudFormation invokes the bootstrap with its event; the SQL is the bundle's.
  const answer = await responseUrl();
  const bundle = d.lambdaBundleDir(outdir, bootstrapFnId);
  const handler = bootstrapHandler({
    data: new RedshiftDataClient({
      endpoint: redshift.api.endpoint,
      region: REGION,
      credentials: credentialsOf(KEYS.bootstrap),
    }),
    serverless: new RedshiftServerlessClient({
      endpoint: redshift.api.endpoint,
      region: REGION,
      credentials: credentialsOf(KEYS.bootstrap),
    }),
    sql: sqlFromDisk({ LAMBDA_TASK_ROOT: bundle }),
    pollMs: 20,
  });
  const props = d.resolve(cr.Properties as never) as Record<string, unknown>;
  await handler(
    {
      RequestType: 'Create',
      ServiceToken: props.ServiceToken,
      ResponseURL: answer.url,
      StackId: d.arn('cloudformation', `stack/${STACK}/00000000-0000-4000-8000-000000000000`),
      RequestId: 'req-1',
      LogicalResourceId: crId,
      ResourceType: 'Custom::WarehouseBootstrap',
      ResourceProperties: props,
    },
    {
      awsRequestId: 'bootstrap-1',
      functionName: d.physicalName(bootstrapFnId),
      getRemainingTimeInMillis: () => 900_000,
    },
  );
  bootstrapAnswer = await answer.answer;
  answer.close();

  // 4. One daily execution: the Lambdas' AWS deps against moto, the Glue job in the Glue twin.
  // The account carries the bad input of the reliability suite: hostile names (unicode, quotes, newlines, an
  // empty one, 40 kB of two-byte characters), records to quarantine and drift, so that COPY's CSV and byte rules
  // meet what a real account sends.
  sim = await startSim({ seed: 11, medias: 20, historyDays: 20, eventsPerMediaPerDay: 0.8 });
  const bad = badInput(sim);
  bad.brokenEngagement = false;
  sim.configure({ rewrite: bad.rewrite });
  const [, plan] = d.only('AWS::Lambda::Function', /^Ingestionplan[0-9A-F]{8}$/);
  const lambdaEnv = (d.resolve(plan.Properties?.Environment as never) as { Variables: Record<string, string> })
    .Variables;
  const ssm = new SSMClient({ endpoint: moto.endpoint, region: REGION, credentials: credentialsOf(KEYS.lambdas) });
  await ssm.send(
    new PutParameterCommand({ Name: lambdaEnv.WISTIA_TOKEN_PARAMETER, Type: 'SecureString', Value: TOKEN }),
  );
  ssm.destroy();
  // the account's request budget table (docs/adr/0021), as the template declares it: the Lambdas' deps spend it
  const [, budgetTable] = d.only('AWS::DynamoDB::Table');
  const ddb = new DynamoDBClient({ endpoint: moto.endpoint, region: REGION, credentials: credentialsOf(KEYS.lambdas) });
  const tp = budgetTable.Properties as {
    KeySchema: never;
    AttributeDefinitions: never;
    BillingMode: 'PAY_PER_REQUEST';
  };
  expect(lambdaEnv.BUDGET_TABLE_NAME).toBeTruthy();
  await ddb.send(
    new CreateTableCommand({
      TableName: lambdaEnv.BUDGET_TABLE_NAME,
      KeySchema: tp.KeySchema,
      AttributeDefinitions: tp.AttributeDefinitions,
      BillingMode: tp.BillingMode,
    }),
  );
  ddb.destroy();
  budgetTableName = String(lambdaEnv.BUDGET_TABLE_NAME);
  // As in a Lambda: its environment, and the SDK's own variables (credentials of its role, the region); the
  // endpoints point at moto and the Wistia base URL at the simulator.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: KEYS.lambdas,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: moto.endpoint,
  });
  const awsDeps = depsFromEnv({ ...lambdaEnv, WISTIA_API_BASE_URL: sim.baseUrl });
  expect(awsDeps.store.bucket).toBe(bucket);
  const glueJob = d.glueJob(jobId);
  awsStore = awsDeps.store;
  const glue: GlueRunner = async (args) => {
    glueArgs.push(args);
    const run = await startJobRun({
      job: glueJob,
      arguments: args,
      s3: { client: moto.s3, endpoint: moto.endpoint },
      env: {
        AWS_ACCESS_KEY_ID: KEYS.glue,
        AWS_SECRET_ACCESS_KEY: SECRET,
        AWS_REGION: REGION,
        AWS_ENDPOINT_URL_REDSHIFT_DATA: redshift.api.endpoint,
      },
    });
    glueRuns.push(run);
    return JSON.parse(JSON.stringify(run)) as Awaited<ReturnType<GlueRunner>>;
  };
  record = await runPipeline({
    dataDir,
    apiBaseUrl: sim.baseUrl,
    token: async () => {
      throw new Error('the production path reads the token from SSM');
    },
    store: awsDeps.store,
    awsDeps,
    input: { today: String((sim.state() as { today: string }).today) },
    retryDelayScale: 0.001,
    glue,
  });
}, 1_500_000);

afterAll(async () => {
  process.env = savedEnv;
  await sim?.close();
  await redshift?.close();
  await moto?.stop();
  for (const dir of [outdir, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the production data path', () => {
  it('the warehouse bootstrap answers CloudFormation SUCCESS, having created the schema, tables and roles', async () => {
    expect([bootstrapAnswer.Status, bootstrapAnswer.Reason]).toEqual(['SUCCESS', undefined]);
    const c = new pg.Client({ connectionString: redshift.dsn });
    await c.connect();
    try {
      const roles = await c.query<{ rolname: string }>(
        "SELECT rolname FROM pg_roles WHERE rolname IN ('wistia_loader', 'wistia_reader') ORDER BY 1",
      );
      expect(roles.rows.map((r) => r.rolname)).toEqual(['wistia_loader', 'wistia_reader']);
      const tables = await c.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'analytics' ORDER BY 1",
      );
      expect(tables.rows.map((r) => r.tablename)).toEqual(
        expect.arrayContaining([...Object.keys(STAR), 'stg_dim_media']),
      );
    } finally {
      await c.end();
    }
  });

  it('one daily execution succeeds: bronze, map results and watermarks in S3, the Glue job loads Redshift', async () => {
    expect([record.status, record.error, record.cause?.slice(0, 500)]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(glueRuns.map((r) => [r.JobRunState, r.ErrorMessage])).toEqual([['SUCCEEDED', undefined]]);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await moto.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => String(o.Key)));
      token = page.NextContinuationToken;
    } while (token);
    const prefixes = new Set(keys.map((k) => k.split('/').slice(0, 2).join('/')));
    for (const p of ['bronze/medias', 'bronze/events', 'bronze/media_stats', 'bronze/visitors', `runs/${record.name}`])
      expect(prefixes, p).toContain(p);
    expect(keys.some((k) => k.startsWith(`tmp/redshift/${record.name}/dim_media/part-`))).toBe(true);
    const wm = await readWatermarks(awsStore);
    expect(wm.value?.lastRun?.runId).toBe(record.name);
    // the lease was taken in S3 and released by the commit
    expect(keys).not.toContain('state/run-lease.json');
    // every request was drawn from the account's bucket in the RequestBudget table: a lease takes at most 4 tokens,
    // so at least requests / 4 conditional writes (the item's version counts them)
    const ddb = new DynamoDBClient({
      endpoint: moto.endpoint,
      region: REGION,
      credentials: credentialsOf(KEYS.lambdas),
    });
    const item = (
      await ddb.send(
        new GetItemCommand({ TableName: budgetTableName, Key: { pk: { S: 'wistia-account' } }, ConsistentRead: true }),
      )
    ).Item;
    ddb.destroy();
    expect(record.requests).toBeGreaterThan(0);
    expect(Number(item?.version?.N)).toBeGreaterThanOrEqual(Math.ceil(record.requests / 4));
    expect(Number(item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000);
  });

  it("the job ran as its role's database user, a member of wistia_loader only, and the token is nowhere", async () => {
    const [, job] = deployment.only('AWS::Glue::Job');
    const user = `IAMR:${deployment.physicalName(deployment.roleBehind(job.Properties?.Role))}`;
    const db = new pg.Client({ connectionString: redshift.dsn });
    await db.connect();
    try {
      const member = await db.query<{ role: string }>(
        `SELECT r.rolname AS role FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
           JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1 ORDER BY 1`,
        [user],
      );
      expect(member.rows.map((r) => r.role)).toEqual(['wistia_loader']);
      const superuser = await db.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [
        user,
      ]);
      expect(superuser.rows).toEqual([{ rolsuper: false }]);
      // the token: in no object of the bucket (bronze, manifests, map results, watermarks, stage files) and in no
      // table of the warehouse
      const needles = tokenForms(TOKEN);
      const hits: string[] = [];
      let objects = 0;
      let token: string | undefined;
      do {
        const page = await moto.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          const body = Buffer.from(
            await (
              await moto.s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }))
            ).Body!.transformToByteArray(),
          );
          objects++;
          for (const n of needles) if (body.includes(n)) hits.push(`s3://${bucket}/${o.Key}`);
        }
        token = page.NextContinuationToken;
      } while (token);
      const warehouse = await scanWarehouse(
        { query: async <T>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[] },
        needles,
      );
      expect(objects).toBeGreaterThan(50);
      expect(warehouse.tables).toBeGreaterThan(10);
      expect([...hits, ...warehouse.hits]).toEqual([]);
    } finally {
      await db.end();
    }
  });

  it('the Redshift tables equal, row for row, what the local path builds from the same bronze', async () => {
    // The same bronze, as the local store holds it, through the local path (the demo's: Spark + PostgreSQL).
    const local = new FileObjectStore(join(dataDir, 'local', 'store'), 'local');
    let token: string | undefined;
    do {
      const page = await moto.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'bronze/', ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const body = await moto.s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
        await local.put(String(o.Key), Buffer.from(await body.Body!.transformToByteArray()));
      }
      token = page.NextContinuationToken;
    } while (token);
    const worker = new TransformWorker();
    let report: TransformReport | undefined;
    try {
      const run = await localGlue({
        warehouse: redshift.warehouse,
        worker,
        companyHosts: COMPANY_HOSTS,
        hashPii: true,
        quarantineThreshold: 0.5, // the bad input quarantines more than the default 5 % of some entities
        onReport: (r) => (report = r),
      })({ ...glueArgs[0], '--bucket': 'local' }, { store: local, dataDir: join(dataDir, 'local') });
      expect([run.JobRunState, report?.error, report?.message]).toEqual(['SUCCEEDED', undefined, undefined]);
    } finally {
      await worker.close();
    }
    const aws = await checksums(redshift.dsn);
    const localSums = await checksums(redshift.warehouse.dsn);
    console.log(
      [
        'table | rows | md5 (production path) | md5 (local path)',
        ...COMPARED.map((t) => `${t} | ${aws[t]?.rows} | ${aws[t]?.md5} | ${localSums[t]?.md5}`),
      ].join('\n'),
    );
    expect(aws.fct_viewing_event?.rows).toBeGreaterThan(50);
    expect(aws.quarantine?.rows).toBeGreaterThan(0);
    expect(aws.schema_drift?.rows).toBeGreaterThan(0);
    const differing = COMPARED.filter((t) => aws[t]?.md5 !== localSums[t]?.md5);
    for (const t of differing) console.log(`${t}: rows only on one path\n${await rowDiff(t)}`);
    expect(aws).toEqual(localSums);
  });
});
