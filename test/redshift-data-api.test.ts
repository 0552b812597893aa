// The Redshift Data API stand-in (local/redshift) over real HTTP with the real SDKs (@aws-sdk/client-redshift-data,
// client-redshift-serverless and boto3), a real PostgreSQL and moto's S3 server: the wire protocol, AWS's
// documented limits, the statement lifecycle and paging, batch atomicity, the IAM-derived database users and
// their privileges, the SQL Redshift refuses, and COPY's rules, each asserted by value.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
  type DescribeStatementResponse,
  type Field,
} from '@aws-sdk/client-redshift-data';
import { GetNamespaceCommand, RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalRedshift, type LocalRedshift } from '#local/redshift/local.ts';
import { RedshiftDataWarehouseClient } from '#local/dashboard/warehouse.ts';
import { plan, splitSql } from '../functions/warehouse-bootstrap/handler.ts';
import { startMoto, type Moto } from './helpers/moto.ts';
import { tempDir } from './helpers/pipeline.ts';
import { ROOT } from './helpers/sim.ts';

const ACCOUNT = '111111111111';
const WG = 'wistia-analytics';
const DB = 'analytics';
const WG_ARN = `arn:aws:redshift-serverless:us-east-1:${ACCOUNT}:workgroup/5f1d2c3b-0000-4000-8000-00000000a11c`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:redshift!wistia-analytics-admin-Ab12Cd`;
const COPY_ROLE = `arn:aws:iam::${ACCOUNT}:role/wistia-redshift-copy`;
const NARROW_ROLE = `arn:aws:iam::${ACCOUNT}:role/wistia-redshift-narrow`;
const BUCKET = 'wistia-standin-test';

const dataApi = (...actions: string[]) => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: actions.map((a) => `redshift-data:${a}`), Resource: WG_ARN },
    {
      Effect: 'Allow',
      Action: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement'],
      Resource: '*',
      Condition: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    },
  ],
});
const getCredentials = (resource = WG_ARN) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'redshift-serverless:GetCredentials', Resource: resource }],
});
const readTags = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['tag:GetResources', 'tag:GetTagKeys'], Resource: '*' }],
};

const IDENTITIES = {
  AKIABOOTSTRAP: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-bootstrap/fn` },
  AKIALOADER: {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-glue-job/glue`,
    tags: { RedshiftDbRoles: 'wistia_loader' },
  },
  AKIAREADER: {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-analyst/alice-session`,
    tags: { RedshiftDbRoles: 'no_such_role:wistia_reader' },
  },
  AKIAREADER2: {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-analyst/bob-session`,
    tags: { RedshiftDbRoles: 'wistia_reader' },
  },
  AKIAPLAIN: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/untagged-role/s` },
  AKIAALICE: { arn: `arn:aws:iam::${ACCOUNT}:user/analysts/alice`, tags: { RedshiftDbRoles: 'wistia_reader' } },
  AKIASCOPED: {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-scoped/s`,
    tags: { RedshiftDbRoles: 'wistia_reader' },
    policies: [dataApi('ExecuteStatement', 'BatchExecuteStatement'), getCredentials(), readTags],
  },
  AKIAWRONGWG: {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-wrong-wg/s`,
    policies: [
      dataApi('ExecuteStatement'),
      getCredentials(`arn:aws:redshift-serverless:us-east-1:${ACCOUNT}:workgroup/other`),
    ],
  },
  AKIADENIED: {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-denied/s`,
    policies: [
      dataApi('ExecuteStatement'),
      getCredentials(),
      { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'redshift-data:Execute*', Resource: '*' }] },
    ],
  },
  AKIANOTAGS: {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-no-tag-read/s`,
    tags: { RedshiftDbRoles: 'wistia_reader' },
    policies: [dataApi('ExecuteStatement'), getCredentials()],
  },
};

let moto: Moto;
let rs: LocalRedshift;
let dataDir = '';
let superuser: pg.Client;

const client = (key: keyof typeof IDENTITIES | 'AKIAUNKNOWN') =>
  new RedshiftDataClient({
    endpoint: rs.api.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: key, secretAccessKey: 'not-checked' },
    maxAttempts: 1,
  });
let admin: RedshiftDataClient;
let loader: RedshiftDataClient;
let reader: RedshiftDataClient;

const TERMINAL = ['FINISHED', 'FAILED', 'ABORTED'];
async function settle(c: RedshiftDataClient, id: string): Promise<DescribeStatementResponse> {
  for (let i = 0; i < 2000; i++) {
    const d = await c.send(new DescribeStatementCommand({ Id: id }));
    if (TERMINAL.includes(d.Status ?? '')) return d;
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new Error(`statement ${id} did not finish`);
}
type Extra = {
  SecretArn?: string;
  Parameters?: { name: string; value: string }[];
  StatementName?: string;
  ClientToken?: string;
  Database?: string;
};
const asAdmin: Extra = { SecretArn: SECRET };
async function exec(c: RedshiftDataClient, sql: string, extra: Extra = {}) {
  const { Id } = await c.send(new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sql: sql, ...extra }));
  return settle(c, Id!);
}
async function batch(c: RedshiftDataClient, sqls: string[], extra: Extra = {}) {
  const { Id } = await c.send(
    new BatchExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sqls: sqls, ...extra }),
  );
  return settle(c, Id!);
}
const value = (f: Field) =>
  f.isNull ? null : (f.stringValue ?? f.longValue ?? f.doubleValue ?? f.booleanValue ?? f.blobValue ?? null);
async function rows(c: RedshiftDataClient, id: string): Promise<{ rows: unknown[][]; pages: number }> {
  const out: unknown[][] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const p = await c.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) }));
    pages++;
    for (const r of p.Records ?? []) out.push(r.map(value));
    token = p.NextToken;
  } while (token);
  return { rows: out, pages };
}
async function select(c: RedshiftDataClient, sql: string, extra: Extra = {}): Promise<unknown[][]> {
  const d = await exec(c, sql, extra);
  expect([d.Status, d.Error]).toEqual(['FINISHED', undefined]);
  return (await rows(c, d.Id!)).rows;
}
async function failure(c: RedshiftDataClient, sql: string, extra: Extra = {}): Promise<string | undefined> {
  const d = await exec(c, sql, extra);
  expect(d.Status).toBe('FAILED');
  return d.Error;
}
async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('the call did not fail');
}
const put = (key: string, body: string | Buffer) =>
  moto.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
const copy = (table: string, from: string, options = "FORMAT AS CSV TIMEFORMAT 'auto' EMPTYASNULL", role = COPY_ROLE) =>
  `COPY ${table} FROM 's3://${BUCKET}/${from}' IAM_ROLE '${role}' ${options}`;

beforeAll(async () => {
  dataDir = tempDir('wp-redshift-');
  moto = await startMoto();
  await moto.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  rs = await startLocalRedshift({
    dataDir,
    identities: IDENTITIES,
    iamRoles: [COPY_ROLE, NARROW_ROLE],
    roleIdentities: {
      [COPY_ROLE]: {
        policies: [
          {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
              { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}` },
            ],
          },
        ],
      },
      [NARROW_ROLE]: {
        policies: [
          {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/tmp/redshift/*` },
              {
                Effect: 'Allow',
                Action: 's3:ListBucket',
                Resource: `arn:aws:s3:::${BUCKET}`,
                Condition: { StringLike: { 's3:prefix': 'tmp/redshift/*' } },
              },
            ],
          },
        ],
      },
    },
    s3: { endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    resultPageRows: 3,
    queueDelayMs: 60,
  });
  superuser = new pg.Client({ connectionString: rs.dsn });
  await superuser.connect();
  admin = client('AKIABOOTSTRAP');
  loader = client('AKIALOADER');
  reader = client('AKIAREADER');
  // The warehouse as the deploy builds it: the project's DDL and grants, run as the admin the way the
  // bootstrap runs them (CREATE ROLE alone, the rest in batches of at most 40).
  const file = (name: string) => splitSql({ name, text: readFileSync(join(ROOT, 'sql', 'ddl', name), 'utf8') });
  // the stage tables the tests use (a no-op once sql/ddl/redshift.sql creates them)
  const stages = ['dim_date', 'dim_media'].map((t, i) => ({
    file: 'test',
    index: i + 1,
    sql: `CREATE TABLE IF NOT EXISTS analytics.stg_${t} (LIKE analytics.${t})`,
  }));
  for (const b of plan([...file('redshift.sql'), ...stages, ...file('redshift-grants.sql')])) {
    const d = await batch(
      admin,
      b.map((s) => s.sql),
      asAdmin,
    );
    expect([b[0]?.sql.slice(0, 40), d.Status, d.Error]).toEqual([b[0]?.sql.slice(0, 40), 'FINISHED', undefined]);
  }
}, 300_000);

afterAll(async () => {
  await superuser?.end();
  await rs?.close();
  await moto?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the wire protocol', () => {
  const raw = (target: string, body: string, auth?: string) =>
    fetch(rs.api.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': target,
        ...(auth ? { authorization: auth } : {}),
      },
      body,
    }).then(async (r) => [r.status, await r.json()] as const);
  const sig = (key: string, service = 'redshift-data', region = 'us-east-1') =>
    `AWS4-HMAC-SHA256 Credential=${key}/20261118/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

  it('answers AWS JSON 1.1 errors the SDKs parse (__type and message)', async () => {
    expect(await raw('RedshiftData.DropDatabase', '{}', sig('AKIALOADER'))).toEqual([
      400,
      expect.objectContaining({ __type: 'UnknownOperationException' }),
    ]);
    expect(await raw('RedshiftData.ListStatements', '{}')).toEqual([
      403,
      {
        __type: 'MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
        Message: 'Missing Authentication Token',
      },
    ]);
    expect((await raw('RedshiftData.ListStatements', '{}', sig('AKIAUNKNOWN')))[1]).toEqual(
      expect.objectContaining({
        __type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      }),
    );
    expect((await raw('RedshiftData.ListStatements', '{}', sig('AKIALOADER', 's3')))[1]).toEqual(
      expect.objectContaining({
        __type: 'InvalidSignatureException',
        message: "Credential should be scoped to correct service: 'redshift-data'.",
      }),
    );
    expect((await raw('RedshiftData.ListStatements', '{', sig('AKIALOADER')))[1]).toEqual(
      expect.objectContaining({ __type: 'SerializationException' }),
    );
    expect(await rejection(client('AKIAUNKNOWN').send(new ListStatementsCommand({})))).toEqual({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('validates every request against the service model (SqlList 1..40, lengths, patterns, required members)', async () => {
    const sqls = (n: number) => Array.from({ length: n }, (_v, i) => `SELECT ${i}`);
    const e41 = await rejection(
      loader.send(new BatchExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sqls: sqls(41) })),
    );
    expect(e41.name).toBe('ValidationException');
    expect(e41.message).toMatch(
      /^1 validation error detected: Value '\[SELECT 0, SELECT 1, .*' at 'sqls' failed to satisfy constraint: Member must have length less than or equal to 40$/,
    );
    expect(
      await rejection(loader.send(new BatchExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sqls: [] }))),
    ).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '[]' at 'sqls' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
    const ok40 = await batch(loader, sqls(40));
    expect([ok40.Status, ok40.SubStatements?.length, ok40.SubStatements?.at(-1)?.Id]).toEqual([
      'FINISHED',
      40,
      `${ok40.Id}:40`,
    ]);
    expect(
      await rejection(loader.send(new ExecuteStatementCommand({ WorkgroupName: 'wg', Database: DB, Sql: 'SELECT 1' }))),
    ).toEqual({
      name: 'ValidationException',
      message: expect.stringMatching(
        /^2 validation errors detected: Value 'wg' at 'workgroupName' failed to satisfy constraint: Member must have length greater than or equal to 3; /,
      ),
    });
    expect(
      await rejection(
        loader.send(
          new ExecuteStatementCommand({
            WorkgroupName: WG,
            Database: DB,
            Sql: 'SELECT :a',
            Parameters: [{ name: 'a', value: '' }],
          }),
        ),
      ),
    ).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '' at 'parameters.1.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
    expect(
      await rejection(loader.send(new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB } as never))),
    ).toEqual({
      name: 'ValidationException',
      message: "1 validation error detected: Value null at 'sql' failed to satisfy constraint: Member must not be null",
    });
    expect(
      (
        await rejection(
          loader.send(
            new ExecuteStatementCommand({ ClusterIdentifier: 'c1', Database: DB, Sql: 'SELECT 1', DbUser: 'x' }),
          ),
        )
      ).message,
    ).toMatch(/^ClusterIdentifier and DbUser are for provisioned clusters/);
    expect(
      await rejection(
        loader.send(new ExecuteStatementCommand({ WorkgroupName: 'another-wg', Database: DB, Sql: 'SELECT 1' })),
      ),
    ).toEqual({
      name: 'ResourceNotFoundException',
      message: 'Workgroup another-wg not found',
    });
  });

  it('takes a statement of 100 KB and refuses one byte more', async () => {
    const head = 'SELECT 1 AS one -- ';
    const at = (n: number) => head + 'x'.repeat(n - head.length);
    const d = await exec(loader, at(100 * 1024));
    expect(d.Status).toBe('FINISHED');
    expect(
      await rejection(
        loader.send(new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sql: at(100 * 1024 + 1) })),
      ),
    ).toEqual({
      name: 'ValidationException',
      message: 'Cannot process query string larger than 100kB',
    });
    // bytes, not characters: 51,201 two-byte characters are 102,402 bytes
    const wide = `SELECT '${'é'.repeat(51_201)}'`;
    expect(
      (await rejection(loader.send(new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sql: wide })))).name,
    ).toBe('ValidationException');
  });

  it('answers GetNamespace (RedshiftServerless) with the managed admin secret and the roles as GetNamespace lists them', async () => {
    const c = new RedshiftServerlessClient({
      endpoint: rs.api.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIABOOTSTRAP', secretAccessKey: 'x' },
    });
    const ns = await c.send(new GetNamespaceCommand({ namespaceName: 'wistia-analytics' }));
    expect(ns.namespace).toEqual(
      expect.objectContaining({
        adminPasswordSecretArn: SECRET,
        adminUsername: 'admin',
        dbName: 'analytics',
        namespaceName: 'wistia-analytics',
        status: 'AVAILABLE',
        iamRoles: [
          `IamRole(applyStatus=in-sync, iamRoleArn=${COPY_ROLE})`,
          `IamRole(applyStatus=in-sync, iamRoleArn=${NARROW_ROLE})`,
        ],
      }),
    );
    expect(ns.namespace?.namespaceArn).toMatch(
      /^arn:aws:redshift-serverless:us-east-1:111111111111:namespace\/[0-9a-f-]{36}$/,
    );
    expect((await rejection(c.send(new GetNamespaceCommand({ namespaceName: 'other-ns' })))).name).toBe(
      'ResourceNotFoundException',
    );
  });
});

describe('statements: lifecycle, sub-statements, paging, batches', () => {
  beforeAll(async () => {
    const rows2000 = Array.from({ length: 2000 }, (_v, i) => `(${i})`).join(', ');
    const d = await batch(
      admin,
      ['CREATE TABLE analytics.big (n INT)', `INSERT INTO analytics.big VALUES ${rows2000}`],
      asAdmin,
    );
    expect(d.Status).toBe('FINISHED');
  });

  it('goes SUBMITTED -> PICKED -> STARTED -> FINISHED, polled with DescribeStatement', async () => {
    const sql = 'SELECT COUNT(*) AS n FROM analytics.big a, analytics.big b';
    const { Id } = await admin.send(
      new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sql: sql, SecretArn: SECRET }),
    );
    const seen: string[] = [];
    for (;;) {
      const d = await admin.send(new DescribeStatementCommand({ Id }));
      if (seen.at(-1) !== d.Status) seen.push(d.Status!);
      if (TERMINAL.includes(d.Status!)) {
        expect([d.HasResultSet, d.ResultRows, d.Duration! > 0, d.QueryString, d.Database, d.WorkgroupName]).toEqual([
          true,
          1,
          true,
          sql,
          DB,
          WG,
        ]);
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const order = ['SUBMITTED', 'PICKED', 'STARTED', 'FINISHED'];
    expect(seen.every((s) => order.includes(s))).toBe(true);
    expect(seen.map((s) => order.indexOf(s))).toEqual([...seen.map((s) => order.indexOf(s))].sort());
    expect([seen.includes('STARTED'), seen.at(-1)]).toEqual([true, 'FINISHED']); // the cross join runs a while
    expect((await rows(admin, Id!)).rows).toEqual([[4_000_000]]);
  });

  it('refuses results of a statement that has none, has not finished, or belongs to another identity', async () => {
    const d = await exec(loader, "DELETE FROM analytics.load_audit WHERE _run_id = 'nothing'");
    expect([d.Status, d.HasResultSet, d.ResultRows]).toEqual(['FINISHED', false, 0]);
    expect(await rejection(loader.send(new GetStatementResultCommand({ Id: d.Id })))).toEqual({
      name: 'ValidationException',
      message: 'Query does not have result. Please check query status with DescribeStatement.',
    });
    expect(await rejection(client('AKIAPLAIN').send(new DescribeStatementCommand({ Id: d.Id })))).toEqual({
      name: 'ResourceNotFoundException',
      message: `Query does not exist: ${d.Id}`,
    });
    // another session of the same IAM role may ("users with the same IAM role ... can act on the same statement")
    const mine = await exec(reader, 'SELECT 2 AS two');
    expect((await client('AKIAREADER2').send(new DescribeStatementCommand({ Id: mine.Id }))).Status).toBe('FINISHED');
  });

  it("names a batch's sub-statements <id>:<n> and serves each one's result by that id", async () => {
    const d = await batch(reader, ['SELECT 1 AS a', "SELECT 'two' AS b", 'SELECT 3 AS c, 4 AS d']);
    expect(d.SubStatements?.map((s) => [s.Id, s.Status, s.HasResultSet])).toEqual([
      [`${d.Id}:1`, 'FINISHED', true],
      [`${d.Id}:2`, 'FINISHED', true],
      [`${d.Id}:3`, 'FINISHED', true],
    ]);
    const sub = await reader.send(new DescribeStatementCommand({ Id: `${d.Id}:2` }));
    expect([sub.Id, sub.QueryString, sub.Status]).toEqual([`${d.Id}:2`, "SELECT 'two' AS b", 'FINISHED']);
    expect((await rows(reader, `${d.Id}:3`)).rows).toEqual([[3, 4]]);
    expect((await rejection(reader.send(new GetStatementResultCommand({ Id: d.Id })))).message).toBe(
      `Statement ${d.Id} is a batch: fetch the results of a sub-statement, ${d.Id}:<n>`,
    );
    expect((await rejection(reader.send(new DescribeStatementCommand({ Id: `${d.Id}:4` })))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it('pages results with NextToken (3 rows a page here), and the dashboard client reads every page', async () => {
    const sql = `SELECT day_name, iso_week FROM analytics.dim_date ORDER BY date_key`;
    await batch(
      admin,
      [
        'DELETE FROM analytics.dim_date',
        `INSERT INTO analytics.dim_date VALUES ${Array.from({ length: 8 }, (_v, i) => `('2026-11-${String(10 + i)}', 2026, 4, 11, 'November', ${10 + i}, ${(i % 7) + 1}, 'Day${i}', 46, false)`).join(', ')}`,
      ],
      asAdmin,
    );
    const d = await exec(reader, sql);
    const first = await reader.send(new GetStatementResultCommand({ Id: d.Id }));
    expect([first.Records?.length, first.TotalNumRows, typeof first.NextToken]).toEqual([3, 8, 'string']);
    const all = await rows(reader, d.Id!);
    expect([all.pages, all.rows.length, all.rows[7]]).toEqual([3, 8, ['Day7', 46]]);
    expect(
      (await rejection(reader.send(new GetStatementResultCommand({ Id: d.Id, NextToken: 'bm90LWEtdG9rZW4' })))).message,
    ).toBe('Invalid NextToken');
    const dash = new RedshiftDataWarehouseClient({ client: reader, workgroup: WG, database: DB, pollMs: 5 });
    expect((await dash.query(sql)).map((r) => r.day_name)).toEqual([
      'Day0',
      'Day1',
      'Day2',
      'Day3',
      'Day4',
      'Day5',
      'Day6',
      'Day7',
    ]);
    const meta = (await reader.send(new GetStatementResultCommand({ Id: d.Id }))).ColumnMetadata?.map((c) => [
      c.name,
      c.typeName,
      c.precision,
      c.nullable,
      c.schemaName,
      c.tableName,
    ]);
    expect(meta).toEqual([
      ['day_name', 'varchar', 9, 0, 'analytics', 'dim_date'],
      ['iso_week', 'int2', 5, 0, 'analytics', 'dim_date'],
    ]);
  });

  it('runs a batch as one transaction: a failing statement rolls back the ones before it, the rest never run', async () => {
    const before = await select(admin, "SELECT COUNT(*) FROM analytics.load_audit WHERE _run_id = 'atomic'", asAdmin);
    const d = await batch(loader, [
      "INSERT INTO analytics.load_audit VALUES ('atomic', 'a', 1, 0, 0, 0, GETDATE())",
      "INSERT INTO analytics.load_audit VALUES ('atomic', 'b', 1, 0, 0, 0, GETDATE())",
      "INSERT INTO analytics.load_audit VALUES ('atomic', 'this name is longer than sixty-four bytes: ééééééééééééééééééééé', 1, 0, 0, 0, GETDATE())",
      "INSERT INTO analytics.load_audit VALUES ('atomic', 'd', 1, 0, 0, 0, GETDATE())",
    ]);
    expect([d.Status, d.Error]).toEqual(['FAILED', 'ERROR: value too long for type character varying(64)']);
    expect(d.SubStatements?.map((s) => s.Status)).toEqual(['FINISHED', 'FINISHED', 'FAILED', 'ABORTED']);
    expect(await select(admin, "SELECT COUNT(*) FROM analytics.load_audit WHERE _run_id = 'atomic'", asAdmin)).toEqual(
      before,
    );
    expect(before).toEqual([[0]]);
    // AUTO_COMMIT keeps what ran before the failure
    const { Id } = await loader.send(
      new BatchExecuteStatementCommand({
        WorkgroupName: WG,
        Database: DB,
        ExecutionMode: 'AUTO_COMMIT',
        Sqls: ["INSERT INTO analytics.load_audit VALUES ('auto', 'a', 1, 0, 0, 0, GETDATE())", 'SELECT 1/0'],
      }),
    );
    expect((await settle(loader, Id!)).Error).toBe('ERROR: Divide by zero');
    expect(await select(admin, "SELECT COUNT(*) FROM analytics.load_audit WHERE _run_id = 'auto'", asAdmin)).toEqual([
      [1],
    ]);
  });

  it('lets TRUNCATE commit the batch so far (r_TRUNCATE), so a later failure keeps the earlier work', async () => {
    await exec(admin, 'CREATE TABLE analytics.truncated (a INT)', asAdmin);
    const d = await batch(
      admin,
      [
        "INSERT INTO analytics.load_audit VALUES ('truncate', 'kept', 1, 0, 0, 0, GETDATE())",
        'TRUNCATE analytics.truncated',
        "INSERT INTO analytics.load_audit VALUES ('truncate', 'lost', 1, 0, 0, 0, GETDATE())",
        'SELECT no_such_column FROM analytics.truncated',
      ],
      asAdmin,
    );
    expect(d.Status).toBe('FAILED');
    expect(
      await select(admin, "SELECT table_name FROM analytics.load_audit WHERE _run_id = 'truncate'", asAdmin),
    ).toEqual([['kept']]);
    // only the owner or a superuser may truncate
    expect(await failure(loader, 'TRUNCATE analytics.dim_media')).toBe(
      'ERROR: permission denied for relation dim_media',
    );
  });

  it('is idempotent with a ClientToken: the same token runs once and answers the same id', async () => {
    const send = () =>
      loader.send(
        new ExecuteStatementCommand({
          WorkgroupName: WG,
          Database: DB,
          ClientToken: 'token-1',
          Sql: "INSERT INTO analytics.load_audit VALUES ('idem', 'x', 1, 0, 0, 0, GETDATE())",
        }),
      );
    const a = await send();
    await settle(loader, a.Id!);
    const b = await send();
    expect(b.Id).toBe(a.Id);
    expect(await select(admin, "SELECT COUNT(*) FROM analytics.load_audit WHERE _run_id = 'idem'", asAdmin)).toEqual([
      [1],
    ]);
  });

  it('cancels a running statement (ABORTED) and refuses to cancel a finished one', async () => {
    const { Id } = await admin.send(
      new ExecuteStatementCommand({
        WorkgroupName: WG,
        Database: DB,
        SecretArn: SECRET,
        Sql: 'SELECT COUNT(*) FROM analytics.big a, analytics.big b, analytics.big c',
      }),
    );
    for (;;) {
      const d = await admin.send(new DescribeStatementCommand({ Id }));
      if (d.Status === 'STARTED') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await admin.send(new CancelStatementCommand({ Id }))).Status).toBe(true);
    const d = await settle(admin, Id!);
    expect([d.Status, d.Error]).toEqual(['ABORTED', 'Query cancelled.']);
    expect(await rejection(admin.send(new CancelStatementCommand({ Id })))).toEqual({
      name: 'ValidationException',
      message: 'Could not cancel a query that is already in ABORTED state.',
    });
  });

  it("lists the caller's own statements, FINISHED by default, by name prefix, in pages", async () => {
    const c = client('AKIAALICE');
    for (const n of ['report-1', 'report-2', 'other']) await exec(c, 'SELECT 1', { StatementName: n });
    await exec(c, 'SELECT no_column FROM analytics.dim_date');
    const listed = await c.send(new ListStatementsCommand({}));
    expect(listed.Statements?.map((s) => [s.StatementName ?? null, s.Status])).toEqual([
      ['other', 'FINISHED'],
      ['report-2', 'FINISHED'],
      ['report-1', 'FINISHED'],
    ]);
    expect((await c.send(new ListStatementsCommand({ Status: 'ALL' }))).Statements).toHaveLength(4);
    expect(
      (await c.send(new ListStatementsCommand({ StatementName: 'report' }))).Statements?.map((s) => s.StatementName),
    ).toEqual(['report-2', 'report-1']);
    const page = await c.send(new ListStatementsCommand({ MaxResults: 2 }));
    const next = await c.send(new ListStatementsCommand({ MaxResults: 2, NextToken: page.NextToken }));
    expect([page.Statements?.length, next.Statements?.map((s) => s.StatementName), next.NextToken]).toEqual([
      2,
      ['report-1'],
      undefined,
    ]);
  });

  it('fails a statement on another database name, and a result row over 64 KB', async () => {
    expect((await exec(loader, 'SELECT 1', { Database: 'dev' })).Error).toBe('FATAL: database "dev" does not exist');
    expect(await failure(loader, "SELECT REPEAT('x', 70000) AS wide")).toBe(
      'ERROR: Packet for query is too large: row 1 of the result is 70000 bytes; the Data API size limit is 64 KB per row in the result set (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-troubleshooting.html)',
    );
    expect((await select(loader, "SELECT REPEAT('x', 60000) AS wide"))[0]?.[0]).toHaveLength(60000);
  });

  it('binds :name parameters, refuses values the SQL does not use, and leaves unbound names a syntax error', async () => {
    expect(
      await select(reader, 'SELECT :a AS a, CAST(:n AS INTEGER) + 1 AS n', {
        Parameters: [
          { name: 'a', value: 'x' },
          { name: 'n', value: '41' },
        ],
      }),
    ).toEqual([['x', 42]]);
    expect(
      await failure(reader, 'SELECT :a AS a', {
        Parameters: [
          { name: 'a', value: 'x' },
          { name: 'b', value: 'y' },
        ],
      }),
    ).toBe(
      'ERROR: the SQL has no parameter named :b (see https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html)',
    );
    expect(await failure(reader, 'SELECT :a AS a')).toBe('ERROR: syntax error at or near ":"');
  });

  it('restarts the SQL translator when it dies', async () => {
    const pid = rs.api.translatorPid();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect(await select(reader, 'SELECT 7 AS seven')).toEqual([[7]]);
    expect(rs.api.translatorPid()).not.toBe(pid);
  });
});

describe('database users from IAM identities, and what the deploy grants them', () => {
  it('runs SecretArn calls as the admin (a superuser) and IAM calls as IAMR:<role> / IAM:<user>', async () => {
    expect(await select(admin, 'SELECT current_user', asAdmin)).toEqual([['admin']]);
    expect(await select(loader, 'SELECT current_user')).toEqual([['IAMR:wistia-glue-job']]);
    expect(await select(client('AKIAALICE'), 'SELECT current_user')).toEqual([['IAM:alice']]);
    const roles = await superuser.query(
      `SELECT m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.member JOIN pg_roles m ON m.oid = a.roleid WHERE r.rolname = $1 ORDER BY 1`,
      ['IAMR:wistia-analyst'],
    );
    // the tag's unknown role (no_such_role) is ignored
    expect(roles.rows.map((r) => r.rolname)).toEqual(['wistia_reader']);
  });

  it('gives an identity without a RedshiftDbRoles role PUBLIC only: no CREATE SCHEMA, no reading or writing analytics', async () => {
    const plain = client('AKIAPLAIN');
    expect(await failure(plain, 'CREATE SCHEMA staging')).toBe('ERROR: permission denied for database analytics');
    expect(await failure(plain, 'SELECT COUNT(*) FROM analytics.dim_media')).toBe(
      'ERROR: permission denied for schema analytics',
    );
    expect(await failure(plain, "INSERT INTO analytics.load_audit VALUES ('x', 'y', 1, 0, 0, 0, GETDATE())")).toBe(
      'ERROR: permission denied for schema analytics',
    );
    // Redshift's default: every user may create in the PUBLIC schema
    expect((await exec(plain, 'CREATE TABLE public.scratch (a INT)')).Status).toBe('FINISHED');
  });

  it('lets wistia_loader load (COPY, DELETE USING, UPDATE, MERGE) and nothing more', async () => {
    // dim_media's 19 columns: media_id, name (3rd), is_inferred, _fetched_at, _run_id (the last three)
    const line = (id: string, name: string) =>
      [id, '', name, ...Array(13).fill(''), 'false', '2026-11-18T10:00:00Z', 'r1'].join(',');
    const data = `${line('m1', 'One')}\n${line('m2', 'Two')}\n`;
    await put('tmp/redshift/r1/dim_media/part-0.csv', data);
    const d = await batch(loader, [
      'DELETE FROM analytics.stg_dim_media',
      copy('analytics.stg_dim_media', 'tmp/redshift/r1/dim_media/'),
      'DELETE FROM analytics.stg_dim_media USING analytics.dim_media WHERE analytics.stg_dim_media.media_id = analytics.dim_media.media_id',
      "UPDATE analytics.load_audit SET staged = (SELECT COUNT(*) FROM analytics.stg_dim_media) WHERE _run_id = 'none'",
      'MERGE INTO analytics.dim_media USING analytics.stg_dim_media s ON dim_media.media_id = s.media_id WHEN MATCHED THEN UPDATE SET name = s.name WHEN NOT MATCHED THEN INSERT (media_id, name, is_inferred, _fetched_at, _run_id) VALUES (s.media_id, s.name, s.is_inferred, s._fetched_at, s._run_id)',
      'DELETE FROM analytics.stg_dim_media',
    ]);
    expect([d.Status, d.Error, d.SubStatements?.[1]?.ResultRows]).toEqual(['FINISHED', undefined, 2]);
    expect(
      await select(reader, "SELECT media_id, name FROM analytics.dim_media WHERE _run_id = 'r1' ORDER BY 1"),
    ).toEqual([
      ['m1', 'One'],
      ['m2', 'Two'],
    ]);
    expect(await failure(loader, 'CREATE TABLE analytics.mine (a INT)')).toBe(
      'ERROR: permission denied for schema analytics',
    );
    expect(await failure(loader, 'CREATE SCHEMA staging')).toBe('ERROR: permission denied for database analytics');
    expect(await failure(loader, 'DROP TABLE analytics.load_audit')).toBe(
      'ERROR: must be owner of relation load_audit',
    );
  });

  it('lets wistia_reader read and refuses its writes', async () => {
    expect(await select(reader, 'SELECT COUNT(*) FROM analytics.dim_date')).toEqual([[8]]);
    expect(await failure(reader, 'DELETE FROM analytics.dim_date')).toBe(
      'ERROR: permission denied for relation dim_date',
    );
    expect(await failure(reader, copy('analytics.stg_dim_media', 'tmp/redshift/r1/dim_media/'))).toBe(
      'ERROR: permission denied for relation stg_dim_media',
    );
  });

  it("refuses calls the identity's IAM policies do not allow (AccessDeniedException), GetCredentials on the workgroup ARN included", async () => {
    const scoped = client('AKIASCOPED');
    expect(await select(scoped, 'SELECT COUNT(*) FROM analytics.dim_date')).toEqual([[8]]);
    expect(await rejection(scoped.send(new ListStatementsCommand({})))).toEqual({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/wistia-scoped/s is not authorized to perform: redshift-data:ListStatements on resource: * because no identity-based policy allows the redshift-data:ListStatements action`,
    });
    expect(
      await rejection(
        client('AKIAWRONGWG').send(new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sql: 'SELECT 1' })),
      ),
    ).toEqual({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/wistia-wrong-wg/s is not authorized to perform: redshift-serverless:GetCredentials on resource: ${WG_ARN} because no identity-based policy allows the redshift-serverless:GetCredentials action`,
    });
    expect(
      await rejection(
        client('AKIADENIED').send(new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sql: 'SELECT 1' })),
      ),
    ).toEqual({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/wistia-denied/s is not authorized to perform: redshift-data:ExecuteStatement on resource: ${WG_ARN} with an explicit deny in an identity-based policy`,
    });
    expect(
      (
        await rejection(
          scoped.send(
            new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sql: 'SELECT 1', SecretArn: SECRET }),
          ),
        )
      ).message,
    ).toContain('is not authorized to perform: secretsmanager:GetSecretValue');
    // the tag is not read without tag:GetResources / tag:GetTagKeys (redshift-iam-access-federated-db-roles)
    expect(await failure(client('AKIANOTAGS'), 'SELECT COUNT(*) FROM analytics.dim_date')).toBe(
      `ERROR: permission denied for schema analytics (the RedshiftDbRoles roles wistia_reader were not granted: arn:aws:sts::${ACCOUNT}:assumed-role/wistia-no-tag-read/s may not tag:GetResources and tag:GetTagKeys)`,
    );
  });
});

describe('the SQL Redshift refuses, refused before anything runs', () => {
  const R = 'https://docs.aws.amazon.com/redshift/latest/dg/';
  const cases: [string, string][] = [
    [
      'MERGE INTO analytics.dim_date AS d USING analytics.stg_dim_date s ON d.date_key = s.date_key WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.date_key)',
      `MERGE INTO takes no alias for the target table (only the source may have one) (see ${R}r_MERGE.html)`,
    ],
    [
      'MERGE INTO analytics.dim_date USING (SELECT * FROM analytics.stg_dim_date) s ON dim_date.date_key = s.date_key WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.date_key)',
      `the MERGE source must be a table (not a view or a subquery) (see ${R}r_MERGE.html)`,
    ],
    [
      'MERGE INTO analytics.dim_date USING analytics.stg_dim_date s ON dim_date.date_key = s.date_key WHEN MATCHED AND s.year > 2000 THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.date_key)',
      `WHEN [NOT] MATCHED AND <condition> is not supported by Redshift (see ${R}r_MERGE.html)`,
    ],
    [
      'MERGE INTO analytics.dim_date USING analytics.stg_dim_date s ON dim_date.date_key = s.date_key WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN DO NOTHING',
      `WHEN NOT MATCHED takes INSERT ... VALUES (...) (not DO NOTHING) (see ${R}r_MERGE.html)`,
    ],
    [
      'MERGE INTO analytics.dim_date USING analytics.stg_dim_date s ON dim_date.date_key = s.date_key WHEN MATCHED THEN DELETE',
      `MERGE needs exactly one WHEN MATCHED and one WHEN NOT MATCHED clause (REMOVE DUPLICATES is not emulated) (see ${R}r_MERGE.html)`,
    ],
    [
      'MERGE INTO analytics.dim_date USING analytics.stg_dim_date s ON dim_date.date_key = s.date_key WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.date_key) WHEN MATCHED THEN DELETE',
      `MERGE needs exactly one WHEN MATCHED and one WHEN NOT MATCHED clause (REMOVE DUPLICATES is not emulated) (see ${R}r_MERGE.html)`,
    ],
    [
      'MERGE INTO analytics.dim_date USING analytics.dim_date ON dim_date.date_key = dim_date.date_key WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (1)',
      `the MERGE source and target can't be the same table (see ${R}r_MERGE.html)`,
    ],
    [
      'MERGE INTO analytics.dim_date USING analytics.stg_dim_date s ON dim_date.date_key > s.date_key WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.date_key)',
      `the MERGE match condition must be equal predicates (a = b AND ...) (see ${R}r_MERGE.html)`,
    ],
    [
      "INSERT INTO analytics.load_audit VALUES ('r', 't', 1, 0, 0, 0, GETDATE()) RETURNING _run_id",
      `RETURNING is not supported by Redshift (see ${R}r_INSERT_30.html)`,
    ],
    [
      "INSERT INTO analytics.load_audit VALUES ('r', 't', 1, 0, 0, 0, GETDATE()) ON CONFLICT DO NOTHING",
      `INSERT ... ON CONFLICT is not supported by Redshift (see ${R}r_INSERT_30.html)`,
    ],
    [
      "UPDATE analytics.load_audit a SET staged = 1 WHERE a._run_id = 'r'",
      `UPDATE takes no alias for its target table (an alias goes in FROM) (see ${R}r_UPDATE.html)`,
    ],
    [
      "DELETE FROM analytics.load_audit a WHERE a._run_id = 'r'",
      `DELETE takes no alias for its target table (see ${R}r_DELETE.html)`,
    ],
    [
      'SELECT COUNT(*) FROM analytics.dim_media WHERE name IS DISTINCT FROM tags',
      `IS [NOT] DISTINCT FROM is not supported by Redshift (see ${R}c_unsupported-postgresql-functions.html)`,
    ],
    [
      'SELECT SUM(year) OVER (ORDER BY date_key) FROM analytics.dim_date',
      `SUM ... OVER (ORDER BY ...) needs an explicit frame clause (ROWS ...) in Redshift (see ${R}c_Window_functions.html)`,
    ],
    [
      'SELECT SUM(year) OVER (ORDER BY date_key RANGE UNBOUNDED PRECEDING) FROM analytics.dim_date',
      `window frames are ROWS only in Redshift (no RANGE) (see ${R}c_Window_functions.html)`,
    ],
    [
      "SELECT STRING_AGG(day_name, ',') FROM analytics.dim_date",
      `function STRING_AGG() is not supported by Redshift (see ${R}c_unsupported-postgresql-functions.html)`,
    ],
    [
      'SELECT * FROM GENERATE_SERIES(1, 3)',
      `function GENERATE_SERIES() is not supported by Redshift (see ${R}c_unsupported-postgresql-functions.html)`,
    ],
    [
      'SELECT COUNT(*) FILTER (WHERE year > 0) FROM analytics.dim_date',
      `aggregate FILTER (WHERE ...) is not Redshift syntax (see ${R}c_Aggregate_Functions.html)`,
    ],
    [
      'SELECT DISTINCT ON (year) year FROM analytics.dim_date',
      `DISTINCT ON is not supported by Redshift (see ${R}r_SELECT_synopsis.html)`,
    ],
    [
      'SELECT * FROM (VALUES (1, 2)) AS v(a, b)',
      `a VALUES list used as a constant table is not supported by Redshift (see ${R}c_unsupported-postgresql-features.html)`,
    ],
    [
      'SELECT CAST(day_name AS JSONB) FROM analytics.dim_date',
      `type JSONB is not supported by Redshift (see ${R}c_unsupported-postgresql-datatypes.html)`,
    ],
    [
      'CREATE TABLE public.checked (a INT CHECK (a > 0))',
      `CHECK constraints are not supported by Redshift (see ${R}c_unsupported-postgresql-features.html)`,
    ],
    [
      'CREATE TABLE public.ids (a UUID)',
      `type UUID is not supported by Redshift (see ${R}c_unsupported-postgresql-datatypes.html)`,
    ],
    [
      'CREATE TABLE public.wide (a VARCHAR(65536))',
      `length for type varchar must be between 1 and 65535, not 65536 (see ${R}r_Character_types.html)`,
    ],
    [
      'CREATE TABLE public.keyed (a INT, b INT) DISTSTYLE KEY DISTKEY (c)',
      `column "c" named in DISTKEY/SORTKEY does not exist (see ${R}r_CREATE_TABLE_NEW.html)`,
    ],
    [
      'SELECT 1; SELECT 2',
      '2 statements in one Sql string: send one statement per ExecuteStatement, or use BatchExecuteStatement (see https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html)',
    ],
    [
      'BEGIN',
      'transaction control (BEGIN) inside Data API calls [not emulated by the Redshift stand-in] (see https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html)',
    ],
    [
      "SELECT set_config('session_authorization', 'admin', false)",
      `function SET_CONFIG() is not supported by Redshift (see ${R}c_unsupported-postgresql-functions.html)`,
    ],
    [
      'SET SESSION AUTHORIZATION admin',
      `SET AUTHORIZATION: the Data API runs each statement as the caller's database user [not emulated by the Redshift stand-in] (see ${R}r_SET.html)`,
    ],
  ];
  it.each(cases)('%s', async (sql, why) => {
    expect(await failure(loader, sql)).toBe(`ERROR: ${why}`);
  });

  it('refuses a MERGE whose source is a view, and says what Redshift says of a source row matching twice', async () => {
    await batch(
      admin,
      [
        'CREATE VIEW analytics.stage_view AS SELECT * FROM analytics.stg_dim_date',
        'GRANT SELECT ON analytics.stage_view TO ROLE wistia_loader',
      ],
      asAdmin,
    );
    expect(
      await failure(
        loader,
        "MERGE INTO analytics.dim_date USING analytics.stage_view s ON dim_date.date_key = s.date_key WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.date_key, 1, 1, 1, 'x', 1, 1, 'x', 1, false)",
      ),
    ).toBe(
      "ERROR: the MERGE source analytics.stage_view is a view; Redshift's MERGE reads a table (see https://docs.aws.amazon.com/redshift/latest/dg/r_MERGE.html)",
    );
    const twice = await batch(loader, [
      'DELETE FROM analytics.stg_dim_date',
      "INSERT INTO analytics.stg_dim_date VALUES ('2026-11-10', 2026, 4, 11, 'November', 10, 2, 'Tuesday', 46, false), ('2026-11-10', 2026, 4, 11, 'November', 10, 2, 'Tuesday', 46, false)",
      'MERGE INTO analytics.dim_date USING analytics.stg_dim_date s ON dim_date.date_key = s.date_key WHEN MATCHED THEN UPDATE SET day_name = s.day_name WHEN NOT MATCHED THEN INSERT VALUES (s.date_key, s.year, s.quarter, s.month, s.month_name, s.day, s.day_of_week, s.day_name, s.iso_week, s.is_weekend)',
    ]);
    expect(twice.Error).toBe('ERROR: Found multiple matches to update the same tuple.');
  });
});

describe('Redshift types and names on PostgreSQL', () => {
  const typeOf = async (table: string) =>
    (
      await superuser.query(
        `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS t, a.attnotnull AS nn FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 ORDER BY a.attnum`,
        [table],
      )
    ).rows.map((r) => [r.attname, r.t, r.nn]);

  it('maps TEXT to VARCHAR(256), VARCHAR(MAX) to 65535, DECIMAL to (18,0), drops DISTSTYLE/DISTKEY/SORTKEY/ENCODE and folds names', async () => {
    const d = await exec(
      admin,
      'CREATE TABLE public."Typed" ("Mixed" TEXT, v VARCHAR, m VARCHAR(MAX), c CHAR, b BPCHAR, d DECIMAL, k BIGINT ENCODE az64 DISTKEY, s SMALLINT NOT NULL ENCODE zstd, PRIMARY KEY (k)) DISTSTYLE KEY COMPOUND SORTKEY (k, s) ENCODE AUTO',
      asAdmin,
    );
    expect([d.Status, d.Error]).toEqual(['FINISHED', undefined]);
    expect(await typeOf('public.typed')).toEqual([
      ['mixed', 'character varying(256)', false],
      ['v', 'character varying(256)', false],
      ['m', 'character varying(65535)', false],
      ['c', 'character(1)', false],
      ['b', 'character(256)', false],
      ['d', 'numeric(18,0)', false],
      ['k', 'bigint', true],
      ['s', 'smallint', true],
    ]);
    // keys are informational in Redshift: not enforced
    expect(
      (
        await batch(
          admin,
          ['INSERT INTO public.typed (k, s) VALUES (1, 1)', 'INSERT INTO public.typed (k, s) VALUES (1, 1)'],
          asAdmin,
        )
      ).Status,
    ).toBe('FINISHED');
  });

  it('counts VARCHAR(n) in bytes on INSERT, in tables made LIKE another too', async () => {
    await batch(
      admin,
      ['CREATE TABLE public.bytes (v VARCHAR(8))', 'CREATE TABLE public.bytes_copy (LIKE public.bytes)'],
      asAdmin,
    );
    for (const t of ['public.bytes', 'public.bytes_copy']) {
      expect((await exec(admin, `INSERT INTO ${t} VALUES ('éééé')`, asAdmin)).Status).toBe('FINISHED'); // 8 bytes
      expect(await failure(admin, `INSERT INTO ${t} VALUES ('ééééé')`, asAdmin)).toBe(
        'ERROR: value too long for type character varying(8)',
      ); // 10 bytes, 5 characters
    }
  });

  it("GETDATE() is the statement's start in UTC, to the second (TIMESTAMP), shown the Data API's way", async () => {
    const [[now]] = (await select(reader, 'SELECT GETDATE() AS now')) as [[string]];
    expect(now).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.0$/);
    expect(Math.abs(new Date(`${now.replace(' ', 'T')}Z`).getTime() - Date.now())).toBeLessThan(60_000);
  });
});

describe("COPY from S3, with Redshift's rules", () => {
  const T = 'public.copied';
  beforeAll(async () => {
    const d = await exec(
      admin,
      `CREATE TABLE ${T} (k VARCHAR(5), n INTEGER, x DOUBLE PRECISION, dec DECIMAL(8,2), b BOOLEAN, d DATE, at TIMESTAMPTZ, s VARCHAR(20))`,
      asAdmin,
    );
    expect(d.Status).toBe('FINISHED');
  });
  const load = async (key: string, body: string | Buffer, options?: string) => {
    await put(key, body);
    await exec(admin, `DELETE FROM ${T}`, asAdmin);
    return exec(admin, copy(T, key, options), asAdmin);
  };
  const loaded = () => select(admin, `SELECT k, n, x, dec, b, d, at, s FROM ${T} ORDER BY k`, asAdmin);
  const loadError = (key: string, line: number, column: string, error: string, raw?: string) =>
    `ERROR: Load into table 'copied' failed. Check 'sys_load_error_detail' system table for details. [s3://${BUCKET}/${key} line ${line}, column ${column}: error ${error}${raw !== undefined ? `; raw value "${raw}"` : ''}]`;

  it('reads CSV as Redshift does: quotes, doubled quotes, delimiters and newlines inside quotes, blanks around quotes', async () => {
    const d = await load('c/quotes.csv', 'a,1,,,,,,"x, ""quoted""\nline"\n  "b"  ,2,,,,,,plain\n');
    expect([d.Status, d.ResultRows]).toEqual(['FINISHED', 2]);
    expect((await loaded()).map((r) => [r[0], r[1], r[7]])).toEqual([
      ['a', 1, 'x, "quoted"\nline'],
      ['b', 2, 'plain'],
    ]);
  });

  it('loads every object whose key starts with the prefix, and fails when none does', async () => {
    await put('p/dim/part-0.csv', 'a\n');
    await put('p/dim/part-1.csv', 'b\n');
    await put('p/dim_extra/part-0.csv', 'c\n');
    await put('p/other.csv', 'd\n');
    await exec(admin, `DELETE FROM ${T}`, asAdmin);
    await exec(admin, `COPY ${T} (k) FROM 's3://${BUCKET}/p/dim' IAM_ROLE '${COPY_ROLE}' CSV`, asAdmin);
    expect((await loaded()).map((r) => r[0])).toEqual(['a', 'b', 'c']);
    await exec(admin, `DELETE FROM ${T}`, asAdmin);
    await exec(admin, `COPY ${T} (k) FROM 's3://${BUCKET}/p/dim/' IAM_ROLE '${COPY_ROLE}' CSV`, asAdmin);
    expect((await loaded()).map((r) => r[0])).toEqual(['a', 'b']);
    expect(
      await failure(admin, `COPY ${T} (k) FROM 's3://${BUCKET}/p/none' IAM_ROLE '${COPY_ROLE}' CSV`, asAdmin),
    ).toBe("ERROR: The specified S3 prefix 'p/none' does not exist");
  });

  it('EMPTYASNULL: empty fields of VARCHAR columns load as NULL (other types always do); without it as empty strings', async () => {
    await load('c/empty.csv', 'e,,,,,,,\nq,,,,,,,""\n');
    expect((await loaded()).map((r) => [r[0], r[1], r[7]])).toEqual([
      ['e', null, null],
      ['q', null, null], // [unconfirmed] "" loads as NULL too: the stricter reading (README)
    ]);
    await load('c/empty.csv', 'e,,,,,,,\n', 'CSV');
    expect((await loaded()).map((r) => [r[0], r[1], r[7]])).toEqual([['e', null, '']]);
    await load('c/nullas.csv', 'e,,,,,,,NULLX\nf,,,,,,,\\N\n', "CSV NULL AS 'NULLX'");
    expect((await loaded()).map((r) => [r[0], r[7]])).toEqual([
      ['e', null],
      ['f', '\\N'],
    ]);
    await load('c/nullas.csv', 'f,,,,,,,\\N\n', 'CSV');
    expect((await loaded()).map((r) => [r[0], r[7]])).toEqual([['f', null]]); // the default NULL AS '\N'
  });

  it("TIMEFORMAT 'auto' reads ISO 8601 with T and Z, offsets and bare dates; the default format refuses them", async () => {
    const d = await load(
      'c/times.csv',
      'a,,,,,,2026-11-18T10:00:00.123Z,\nb,,,,,,2026-11-18 12:00:00+02,\nc,,,,,,2026-11-18,\n',
    );
    expect(d.Error).toBeUndefined();
    expect((await loaded()).map((r) => r[6])).toEqual([
      '2026-11-18 10:00:00.123+00',
      '2026-11-18 10:00:00+00',
      '2026-11-18 00:00:00+00',
    ]);
    expect((await load('c/times.csv', 'a,,,,,,2026-11-18T10:00:00.123Z,\n', 'CSV')).Error).toBe(
      loadError(
        'c/times.csv',
        1,
        'at',
        "1206 Invalid timestamp format or value [the default TIMEFORMAT]: '2026-11-18T10:00:00.123Z'",
        '2026-11-18T10:00:00.123Z',
      ),
    );
    expect((await load('c/times.csv', 'a,,,,,,2026-11-18 10:00:00,\n', 'CSV')).Error).toBeUndefined();
    expect((await load('c/times.csv', 'a,,,,,,2026-02-30T10:00:00Z,\n')).Error).toMatch(/error 1206 /);
  });

  it('DATEFORMAT: YYYY-MM-DD by default, or the given format', async () => {
    expect((await load('c/dates.csv', 'a,,,,,2026-11-18,,\n')).Error).toBeUndefined();
    expect((await loaded())[0]?.[5]).toBe('2026-11-18');
    expect((await load('c/dates.csv', 'a,,,,,11/18/2026,,\n')).Error).toMatch(/error 1205 /);
    expect((await load('c/dates.csv', 'a,,,,,11/18/2026,,\n', "CSV DATEFORMAT 'MM/DD/YYYY'")).Error).toBeUndefined();
    expect((await loaded())[0]?.[5]).toBe('2026-11-18');
  });

  it("reads Redshift's boolean literals and refuses others", async () => {
    const literals = ['t', 'true', 'y', 'yes', '1', 'f', 'false', 'n', 'no', '0', 'TRUE'];
    const lines = literals.map((v, i) => `b${String.fromCharCode(97 + i)},,,,${v},,,`);
    expect((await load('c/bools.csv', lines.join('\n'))).Error).toBeUndefined();
    expect((await loaded()).map((r) => r[4])).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
    expect((await load('c/bools.csv', 'x,,,,maybe,,,\n')).Error).toBe(
      loadError(
        'c/bools.csv',
        1,
        'b',
        "1210 BOOLEAN data type format error: 'maybe' (valid: t true y yes 1 / f false n no 0)",
        'maybe',
      ),
    );
  });

  it('reads numbers: integer digits only, DECIMAL truncated to its scale (ROUNDEC rounds), doubles with exponents', async () => {
    expect((await load('c/num.csv', 'a,12,1.0E-4,20.259,,,,\n')).Error).toBeUndefined();
    expect((await loaded())[0]?.slice(1, 4)).toEqual([12, 0.0001, '20.25']);
    expect((await load('c/num.csv', 'a,12,,20.259,,,,\n', 'CSV ROUNDEC')).Error).toBeUndefined();
    expect((await loaded())[0]?.[3]).toBe('20.26');
    expect((await load('c/num.csv', 'a,1.5,,,,,,\n')).Error).toBe(
      loadError('c/num.csv', 1, 'n', "1207 Invalid digit, Value '.', Pos 1, Type: Integer", '1.5'),
    );
    expect((await load('c/num.csv', 'a,,,1234567.1,,,,\n')).Error).toMatch(/error 1204 Numeric data overflow/);
    expect((await load('c/num.csv', 'a,,NaN,,,,,\n')).Error).toMatch(/error 1208 /);
  });

  it('counts VARCHAR(n) in bytes: a longer value fails the COPY (1204) unless the excess is blanks or TRUNCATECOLUMNS', async () => {
    expect((await load('c/len.csv', 'éé,,,,,,,\n')).Error).toBeUndefined(); // 4 bytes into VARCHAR(5)
    expect((await load('c/len.csv', 'ééé,,,,,,,\n')).Error).toBe(
      loadError('c/len.csv', 1, 'k', '1204 String length exceeds DDL length (6 bytes, column length 5)', 'ééé'),
    );
    expect((await load('c/len.csv', 'ééé,,,,,,,\n', 'FORMAT AS CSV TRUNCATECOLUMNS')).Error).toBeUndefined();
    expect((await loaded())[0]?.[0]).toBe('éé');
    expect((await load('c/len.csv', 'abc     ,,,,,,,\n', 'CSV')).Error).toBeUndefined();
    expect((await loaded())[0]?.[0]).toBe('abc  ');
  });

  it('refuses invalid UTF-8 (1220) unless ACCEPTINVCHARS, which replaces each bad byte', async () => {
    const bad = Buffer.concat([Buffer.from('u,,,,,,,ab'), Buffer.from([0xe9, 0x41]), Buffer.from('\n')]);
    expect((await load('c/utf8.csv', bad)).Error).toMatch(
      /line 1, column s: error 1220 String contains invalid or unsupported UTF-8 codepoints\. Bad UTF-8 hex sequence: e9 41 \(error 2\); raw value/,
    );
    expect((await load('c/utf8.csv', bad, "CSV ACCEPTINVCHARS AS '^'")).Error).toBeUndefined();
    expect((await loaded())[0]?.[7]).toBe('ab^A');
  });

  it('fails on a record with too many or too few fields, and on NULL for a NOT NULL column', async () => {
    expect((await load('c/shape.csv', 'a,1,,,,,,,extra\n')).Error).toMatch(
      /line 1: error 1202 Extra column\(s\) found: 9 fields for 8 columns\]$/,
    );
    expect((await load('c/shape.csv', 'a,1\n')).Error).toMatch(
      /line 1: error 1203 Input data had fewer columns than were defined in the DDL: 2 fields for 8 columns\]$/,
    );
    expect((await load('c/shape.csv', 'a,1\n', 'CSV FILLRECORD')).Error).toBeUndefined();
    await put('c/notnull.csv', ',2026\n');
    expect(
      await failure(
        admin,
        `COPY analytics.dim_date FROM 's3://${BUCKET}/c/notnull.csv' IAM_ROLE '${COPY_ROLE}' CSV FILLRECORD`,
        asAdmin,
      ),
    ).toBe(
      `ERROR: Load into table 'dim_date' failed. Check 'sys_load_error_detail' system table for details. [s3://${BUCKET}/c/notnull.csv line 1, column date_key: error 1213 Missing data for not-null field]`,
    );
  });

  it('BLANKSASNULL, TRIMBLANKS, IGNOREBLANKLINES, epoch seconds and an explicit TIMEFORMAT', async () => {
    const body = 'a,,,,,,,   \n\nb,,,,,,,x  \n';
    expect((await load('c/blanks.csv', body, 'CSV')).Error).toMatch(
      /line 2: error 1203 Input data had fewer columns than were defined in the DDL: 1 fields for 8 columns\]$/,
    );
    expect((await load('c/blanks.csv', body, 'CSV BLANKSASNULL TRIMBLANKS IGNOREBLANKLINES')).Error).toBeUndefined();
    expect((await loaded()).map((r) => [r[0], r[7]])).toEqual([
      ['a', null],
      ['b', 'x'],
    ]);
    expect((await load('c/epoch.csv', 'e,,,,,,1763460000,\n', "CSV TIMEFORMAT 'epochsecs'")).Error).toBeUndefined();
    expect((await loaded())[0]?.[6]).toBe('2025-11-18 10:00:00+00');
    expect(
      (await load('c/fmt.csv', 'f,,,,,,11/18/2026 10:30:05,\n', "CSV TIMEFORMAT 'MM/DD/YYYY HH24:MI:SS'")).Error,
    ).toBeUndefined();
    expect((await loaded())[0]?.[6]).toBe('2026-11-18 10:30:05+00');
  });

  it('loads all or nothing: a bad record in the second file leaves the table as it was', async () => {
    await put('atomic/part-0.csv', 'a,1,,,,,,\nb,2,,,,,,\n');
    await put('atomic/part-1.csv', 'c,3,,,,,,\nd,x,,,,,,\n');
    await exec(admin, `DELETE FROM ${T}`, asAdmin);
    const d = await exec(admin, copy(T, 'atomic/'), asAdmin);
    expect(d.Error).toBe(
      loadError('atomic/part-1.csv', 2, 'n', "1207 Invalid digit, Value 'x', Pos 0, Type: Integer", 'x'),
    );
    expect(await loaded()).toEqual([]);
  });

  it('skips IGNOREHEADER lines of each file and reads GZIP objects', async () => {
    await put('gz/part-0.csv.gz', gzipSync('k,n\na,1\n'));
    await put('gz/part-1.csv.gz', gzipSync('k,n\nb,2\n'));
    await exec(admin, `DELETE FROM ${T}`, asAdmin);
    const d = await exec(
      admin,
      `COPY ${T} (k, n) FROM 's3://${BUCKET}/gz/' IAM_ROLE '${COPY_ROLE}' FORMAT AS CSV IGNOREHEADER 1 GZIP`,
      asAdmin,
    );
    expect([d.Error, (await loaded()).map((r) => [r[0], r[1]])]).toEqual([
      undefined,
      [
        ['a', 1],
        ['b', 2],
      ],
    ]);
  });

  it('needs an IAM_ROLE of the namespace that may read the objects', async () => {
    await put('c/role.csv', 'a\n');
    const other = `arn:aws:iam::${ACCOUNT}:role/not-attached`;
    expect(
      await failure(admin, `COPY ${T} (k) FROM 's3://${BUCKET}/c/role.csv' IAM_ROLE '${other}' CSV`, asAdmin),
    ).toBe(
      `ERROR: User arn:aws:redshift:us-east-1:${ACCOUNT}:dbuser:serverless-${ACCOUNT}-5f1d2c3b-0000-4000-8000-00000000a11c/admin is not authorized to assume IAM Role ${other} (the role is not associated with the namespace)`,
    );
    expect(
      await failure(admin, `COPY ${T} (k) FROM 's3://${BUCKET}/c/role.csv' IAM_ROLE '${NARROW_ROLE}' CSV`, asAdmin),
    ).toBe(
      `ERROR: S3ServiceException:Access Denied,Status 403,Error AccessDenied (IAM role ${NARROW_ROLE} may not s3:ListBucket arn:aws:s3:::${BUCKET} with prefix 'c/role.csv')`,
    );
  });

  it('refuses the COPY options it does not emulate, by name', async () => {
    const from = `COPY ${T} FROM 's3://${BUCKET}/c/role.csv'`;
    const cases: [string, string][] = [
      [
        `${from} IAM_ROLE '${COPY_ROLE}' MANIFEST CSV`,
        'COPY parameter MANIFEST [not emulated by the Redshift stand-in] (see https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-source-s3.html)',
      ],
      [
        `${from} IAM_ROLE '${COPY_ROLE}' FORMAT AS PARQUET`,
        'FORMAT AS PARQUET (only CSV) [not emulated by the Redshift stand-in] (see https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-format.html)',
      ],
      [
        `${from} CREDENTIALS 'aws_iam_role=x' CSV`,
        'COPY parameter CREDENTIALS [not emulated by the Redshift stand-in] (see https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-authorization.html)',
      ],
      [
        `${from} IAM_ROLE '${COPY_ROLE}' CSV MAXERROR 10`,
        'COPY parameter MAXERROR [not emulated by the Redshift stand-in] (see https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-load.html)',
      ],
      [
        `${from} IAM_ROLE '${COPY_ROLE}' DELIMITER '|'`,
        'COPY without FORMAT AS CSV (the pipe-delimited text format) [not emulated by the Redshift stand-in] (see https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-format.html)',
      ],
      [
        `${from} CSV`,
        "COPY needs an authorization (IAM_ROLE 'arn:...') (see https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-authorization.html)",
      ],
      [
        `${from} IAM_ROLE '${COPY_ROLE}' CSV ESCAPE`,
        'COPY parameter ESCAPE [not emulated by the Redshift stand-in] (see https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html)',
      ],
    ];
    for (const [sql, why] of cases) expect([sql, await failure(admin, sql, asAdmin)]).toEqual([sql, `ERROR: ${why}`]);
  });
});

describe("boto3 (the Glue job's SDK)", () => {
  it("speaks the protocol: batch, describe, a sub-statement's result, and the 41-statement ValidationException", async () => {
    const script = `
import boto3, json, sys, time
from botocore.config import Config
c = boto3.client('redshift-data', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='AKIALOADER',
                 aws_secret_access_key='not-checked', config=Config(retries={'max_attempts': 1}))
r = c.batch_execute_statement(WorkgroupName='${WG}', Database='${DB}', Sqls=['SELECT 1 AS one', "SELECT 'b' AS two, CAST(2.5 AS DOUBLE PRECISION) AS d"])
while True:
    d = c.describe_statement(Id=r['Id'])
    if d['Status'] in ('FINISHED', 'FAILED', 'ABORTED'):
        break
    time.sleep(0.02)
res = c.get_statement_result(Id=r['Id'] + ':2')
try:
    c.batch_execute_statement(WorkgroupName='${WG}', Database='${DB}', Sqls=['SELECT 1'] * 41)
    err = None
except c.exceptions.ValidationException as e:
    err = e.response['Error']
print(json.dumps({'status': d['Status'], 'subs': [s['Id'][len(r['Id']):] for s in d['SubStatements']], 'records': res['Records'],
                  'columns': [m['name'] for m in res['ColumnMetadata']], 'error': err}))
`;
    const python = process.env.WISTIA_PIPELINE_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
    // asynchronously: the stand-in answers from this very process
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const p = spawn(python, ['-c', script, rs.api.endpoint], {
        env: { ...process.env, AWS_CONFIG_FILE: '/dev/null' },
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', () => resolve({ stdout, stderr }));
    });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({
      status: 'FINISHED',
      subs: [':1', ':2'],
      records: [[{ stringValue: 'b' }, { doubleValue: 2.5 }]],
      columns: ['two', 'd'],
      error: {
        Code: 'ValidationException',
        Message: expect.stringMatching(
          /^1 validation error detected: .* at 'sqls' failed to satisfy constraint: Member must have length less than or equal to 40$/,
        ),
      },
    });
  });
});
