// The warehouse bootstrap custom resource (functions/warehouse-bootstrap) against the Redshift Data API
// stand-in, with the IAM policy the bootstrap's role needs, answering CloudFormation on a local HTTP server
// that stands for the presigned ResponseURL.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecuteStatementCommand, DescribeStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { startLocalRedshift, type LocalRedshift } from '#local/redshift/local.ts';
import {
  makeHandler,
  MAX_BATCH,
  onEvent,
  plan,
  splitSql,
  sqlFromDisk,
  type BootstrapDeps,
  type CfnResponse,
} from '../functions/warehouse-bootstrap/handler.ts';
import { tempDir } from './helpers/pipeline.ts';
import { ROOT } from './helpers/sim.ts';

const ACCOUNT = '111111111111';
const WG_ARN = `arn:aws:redshift-serverless:us-east-1:${ACCOUNT}:workgroup/5f1d2c3b-0000-4000-8000-00000000a11c`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:redshift!wistia-analytics-admin-Ab12Cd`;
/** What the bootstrap's role needs, no more (package A's policy should read the same). */
const BOOTSTRAP_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'redshift-serverless:GetNamespace',
      Resource: `arn:aws:redshift-serverless:us-east-1:${ACCOUNT}:namespace/*`,
    },
    {
      Effect: 'Allow',
      Action: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'],
      Resource: WG_ARN,
    },
    {
      Effect: 'Allow',
      Action: 'redshift-data:DescribeStatement',
      Resource: '*',
      Condition: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    },
    { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET },
  ],
};

let rs: LocalRedshift;
let dataDir = '';
let superuser: pg.Client;
let cfn: Server;
let cfnUrl = '';
const puts: { url: string; headers: IncomingHttpHeaders; body: CfnResponse }[] = [];
let sends: string[] = [];

const sdk = (Client: typeof RedshiftDataClient | typeof RedshiftServerlessClient, key: string) =>
  new Client({
    endpoint: rs.api.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: key, secretAccessKey: 'x' },
    maxAttempts: 1,
  });
/** The real clients, counting what the handler sends. */
const counting = (c: { send(cmd: object): Promise<unknown> }) => ({
  send: (cmd: object) => {
    sends.push(cmd.constructor.name);
    return c.send(cmd as never);
  },
});
let deps: BootstrapDeps;
const context = { getRemainingTimeInMillis: () => 300_000 };
const event = (type: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}) => ({
  RequestType: type,
  ServiceToken: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:bootstrap`,
  ResponseURL: `${cfnUrl}/cloudformation-custom-resource-response?X-Amz-Signature=abc`,
  StackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/wistia-pipeline/1b2c`,
  RequestId: `req-${type}-${puts.length}`,
  LogicalResourceId: 'WarehouseBootstrap',
  ResourceType: 'Custom::WarehouseBootstrap',
  ResourceProperties: {
    ServiceToken: 'x',
    NamespaceName: 'wistia-analytics',
    WorkgroupName: 'wistia-analytics',
    Database: 'analytics',
    DdlHash: 'hash-1',
  },
  ...extra,
});

beforeAll(async () => {
  dataDir = tempDir('wp-bootstrap-');
  cfn = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      puts.push({ url: `${req.method} ${req.url}`, headers: req.headers, body: JSON.parse(body) as CfnResponse });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => cfn.listen(0, '127.0.0.1', () => r()));
  cfnUrl = `http://127.0.0.1:${(cfn.address() as AddressInfo).port}`;
  rs = await startLocalRedshift({
    dataDir,
    identities: {
      AKIABOOTSTRAP: {
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-warehouse-bootstrap/fn`,
        policies: [BOOTSTRAP_POLICY],
      },
      AKIALOADER: {
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-glue-job/glue`,
        tags: { RedshiftDbRoles: 'wistia_loader' },
      },
      AKIAREADER: {
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-analyst/s`,
        tags: { RedshiftDbRoles: 'wistia_reader' },
      },
    },
    s3: {
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    },
  });
  superuser = new pg.Client({ connectionString: rs.dsn });
  await superuser.connect();
  deps = {
    data: counting(sdk(RedshiftDataClient, 'AKIABOOTSTRAP')),
    serverless: counting(sdk(RedshiftServerlessClient, 'AKIABOOTSTRAP')),
    sql: sqlFromDisk({}),
    pollMs: 20,
  };
}, 300_000);

afterAll(async () => {
  await superuser?.end();
  await rs?.close();
  await new Promise((r) => cfn?.close(r));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const DDL_TABLES = [
  ...readFileSync(join(ROOT, 'sql', 'ddl', 'redshift.sql'), 'utf8').matchAll(
    /CREATE TABLE IF NOT EXISTS analytics\.(\w+)/g,
  ),
]
  .map((m) => m[1])
  .sort();

async function asIdentity(key: string, sql: string) {
  const c = sdk(RedshiftDataClient, key) as RedshiftDataClient;
  const { Id } = await c.send(
    new ExecuteStatementCommand({ WorkgroupName: 'wistia-analytics', Database: 'analytics', Sql: sql }),
  );
  for (;;) {
    const d = await c.send(new DescribeStatementCommand({ Id }));
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status!)) return [d.Status, d.Error];
    await new Promise((r) => setTimeout(r, 15));
  }
}

describe('warehouse bootstrap custom resource', () => {
  it('Create: builds the schema, tables, roles and grants, and PUTs SUCCESS to the ResponseURL', async () => {
    sends = [];
    const r = await onEvent(event('Create'), context, deps);
    const statements = ['redshift.sql', 'redshift-grants.sql'].flatMap((name) =>
      splitSql({ name, text: readFileSync(join(ROOT, 'sql', 'ddl', name), 'utf8') }),
    );
    expect(r).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'wistia-analytics/analytics/warehouse-bootstrap',
      StackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/wistia-pipeline/1b2c`,
      RequestId: 'req-Create-0',
      LogicalResourceId: 'WarehouseBootstrap',
      NoEcho: false,
      Data: { Statements: String(statements.length), Batches: String(plan(statements).length), DdlHash: 'hash-1' },
    });
    expect(puts).toHaveLength(1);
    expect(puts[0]?.url).toBe('PUT /cloudformation-custom-resource-response?X-Amz-Signature=abc');
    expect(puts[0]?.headers['content-type']).toBe('');
    expect(puts[0]?.body).toEqual(r);
    expect(sends[0]).toBe('GetNamespaceCommand');

    const tables = await superuser.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'analytics' ORDER BY 1`);
    // every table of the DDL, the load's stage tables (stg_*) included
    expect(tables.rows.map((t) => t.tablename)).toEqual(DDL_TABLES);
    expect(DDL_TABLES).toEqual(expect.arrayContaining(['stg_dim_media', 'stg_quarantine', 'stg_schema_drift']));
    const roles = await superuser.query(
      `SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'wistia_%' ORDER BY 1`,
    );
    expect(roles.rows).toEqual([
      { rolname: 'wistia_loader', rolcanlogin: false },
      { rolname: 'wistia_reader', rolcanlogin: false },
    ]);
    const privileges = await superuser.query(`
      SELECT r.role, t.tablename,
             has_table_privilege(r.role, 'analytics.' || t.tablename, 'SELECT') AS s,
             has_table_privilege(r.role, 'analytics.' || t.tablename, 'INSERT') AS i,
             has_table_privilege(r.role, 'analytics.' || t.tablename, 'UPDATE') AS u,
             has_table_privilege(r.role, 'analytics.' || t.tablename, 'DELETE') AS d,
             has_table_privilege(r.role, 'analytics.' || t.tablename, 'TRUNCATE') AS tr
        FROM (VALUES ('wistia_loader'), ('wistia_reader')) r(role), pg_tables t WHERE t.schemaname = 'analytics'`);
    for (const p of privileges.rows)
      expect([p.role, p.tablename, p.s, p.i, p.u, p.d, p.tr]).toEqual(
        p.role === 'wistia_loader'
          ? [p.role, p.tablename, true, true, true, true, false]
          : [p.role, p.tablename, true, false, false, false, false],
      );
    const schema = await superuser.query(
      `SELECT r, has_schema_privilege(r, 'analytics', 'USAGE') AS usage, has_schema_privilege(r, 'analytics', 'CREATE') AS create FROM unnest(ARRAY['wistia_loader', 'wistia_reader']) r`,
    );
    expect(schema.rows).toEqual([
      { r: 'wistia_loader', usage: true, create: false },
      { r: 'wistia_reader', usage: true, create: false },
    ]);
    // and through the Data API, as the identities tagged with those roles
    expect(
      await asIdentity('AKIALOADER', "INSERT INTO analytics.load_audit VALUES ('boot', 't', 0, 0, 0, 0, GETDATE())"),
    ).toEqual(['FINISHED', undefined]);
    expect(await asIdentity('AKIAREADER', "SELECT COUNT(*) FROM analytics.load_audit WHERE _run_id = 'boot'")).toEqual([
      'FINISHED',
      undefined,
    ]);
    expect(await asIdentity('AKIAREADER', 'DELETE FROM analytics.load_audit')).toEqual([
      'FAILED',
      'ERROR: permission denied for relation load_audit',
    ]);
  });

  it('Update: runs again cleanly (the roles exist already) and keeps the PhysicalResourceId', async () => {
    const r = await onEvent(
      event('Update', {
        PhysicalResourceId: 'wistia-analytics/analytics/warehouse-bootstrap',
        OldResourceProperties: { DdlHash: 'hash-1' },
      }),
      context,
      deps,
    );
    expect([r.Status, r.Reason, r.PhysicalResourceId, r.Data.DdlHash]).toEqual([
      'SUCCESS',
      undefined,
      'wistia-analytics/analytics/warehouse-bootstrap',
      'hash-1',
    ]);
    expect(puts.at(-1)?.body).toEqual(r);
    // the data survived: CREATE TABLE IF NOT EXISTS
    expect(
      (await superuser.query(`SELECT COUNT(*)::int AS n FROM analytics.load_audit WHERE _run_id = 'boot'`)).rows[0],
    ).toEqual({ n: 1 });
  });

  it("a failing statement answers FAILED with a reason naming the statement and Redshift's error", async () => {
    const broken: BootstrapDeps = {
      ...deps,
      sql: () => [
        {
          name: 'redshift.sql',
          text: "CREATE SCHEMA IF NOT EXISTS analytics;\nCREATE TABLE IF NOT EXISTS analytics.broken (\n  a TEXT CHECK (a <> '')\n);",
        },
        { name: 'redshift-grants.sql', text: 'CREATE ROLE wistia_loader;' },
      ],
    };
    const r = await onEvent(event('Create'), context, broken);
    expect(r).toEqual({
      Status: 'FAILED',
      Reason:
        'WarehouseBootstrapError: statement 2 of redshift.sql (CREATE TABLE IF NOT EXISTS analytics.broken () failed: ERROR: CHECK constraints are not supported by Redshift (see https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-features.html)',
      PhysicalResourceId: 'WarehouseBootstrap-failed-create',
      StackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/wistia-pipeline/1b2c`,
      RequestId: expect.stringMatching(/^req-Create-/),
      LogicalResourceId: 'WarehouseBootstrap',
      NoEcho: false,
      Data: {},
    });
    expect(puts.at(-1)?.body).toEqual(r);
    expect((await superuser.query(`SELECT to_regclass('analytics.broken') AS t`)).rows[0]).toEqual({ t: null });
  });

  it('answers FAILED before the Lambda times out rather than leaving CloudFormation waiting', async () => {
    const start = Date.now(); // 10 ms left beyond the 20 s kept to answer
    const r = await onEvent(event('Create'), { getRemainingTimeInMillis: () => 20_010 - (Date.now() - start) }, deps);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toMatch(
      /^BootstrapTimeoutError: statement [0-9a-f-]{36} \(statement 1 of redshift\.sql \(CREATE SCHEMA IF NOT EXISTS analytics\)( and \d+ more)?\) is still (SUBMITTED|PICKED|STARTED) and the Lambda is about to time out$/,
    );
  });

  it('Delete: answers SUCCESS and runs no SQL', async () => {
    sends = [];
    const r = await onEvent(
      event('Delete', { PhysicalResourceId: 'wistia-analytics/analytics/warehouse-bootstrap' }),
      context,
      deps,
    );
    expect([r.Status, r.PhysicalResourceId, r.Data]).toEqual([
      'SUCCESS',
      'wistia-analytics/analytics/warehouse-bootstrap',
      {},
    ]);
    expect(sends).toEqual([]);
    expect(puts.at(-1)?.body).toEqual(r);
  });

  it('runs through the Lambda wrapper (Powertools, middy) and refuses an event it cannot answer', async () => {
    const handler = makeHandler(deps);
    const r = (await handler(event('Delete', { PhysicalResourceId: 'p-1' }), context)) as CfnResponse;
    expect([r.Status, r.PhysicalResourceId]).toEqual(['SUCCESS', 'p-1']);
    const bad = await onEvent(
      { ...event('Create'), ResourceProperties: { NamespaceName: 'wistia-analytics' } },
      context,
      deps,
    );
    expect([bad.Status, bad.Reason]).toEqual([
      'FAILED',
      'InvalidEventError: ResourceProperties.WorkgroupName is missing',
    ]);
    await expect(onEvent({ RequestType: 'Create' }, context, deps)).rejects.toThrow(
      'ResponseURL is missing: there is nowhere to answer',
    );
  });

  it('plans batches of at most 40 statements in order, each CREATE ROLE alone', () => {
    const st = (i: number, sql = `SELECT ${i}`) => ({ file: 'f.sql', index: i, sql });
    const statements = [
      ...Array.from({ length: 95 }, (_v, i) => st(i + 1)),
      st(96, 'CREATE ROLE a'),
      st(97),
      st(98, 'create role b'),
      st(99),
    ];
    expect(plan(statements).map((b) => b.map((s) => s.index))).toEqual([
      Array.from({ length: 40 }, (_v, i) => i + 1),
      Array.from({ length: 40 }, (_v, i) => i + 41),
      Array.from({ length: 15 }, (_v, i) => i + 81),
      [96],
      [97],
      [98],
      [99],
    ]);
    expect(MAX_BATCH).toBe(40);
    expect(() => plan([st(1, `SELECT '${'x'.repeat(100 * 1024)}'`)])).toThrow(
      /statement 1 of f\.sql \(SELECT 'xxx.*\) is over the Data API's 100 KB statement limit/,
    );
    expect(
      splitSql({
        name: 'g.sql',
        text: '-- a comment; with a semicolon\nSELECT \'a;b\' AS "c;d"; -- trailing\n\nSELECT 2;\n',
      }),
    ).toEqual([
      { file: 'g.sql', index: 1, sql: `SELECT 'a;b' AS "c;d"` },
      { file: 'g.sql', index: 2, sql: 'SELECT 2' },
    ]);
  });

  it('reads the SQL from $LAMBDA_TASK_ROOT when set (the bundle), else from the repository', () => {
    expect(sqlFromDisk({})().map((f) => f.name)).toEqual(['redshift.sql', 'redshift-grants.sql']);
    expect(() => sqlFromDisk({ LAMBDA_TASK_ROOT: dataDir })()).toThrow(
      `redshift.sql is missing from ${join(dataDir, 'sql', 'ddl')}`,
    );
  });
});
