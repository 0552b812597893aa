// The Redshift Data API stand-in (local/redshift) for the test/redshift-data-api-*.test.ts files: one stand-in per
// file over a real PostgreSQL and moto's S3 server, the identities and roles the files call it as, the warehouse
// as the deploy builds it (the project's DDL and grants), and the calls the files make through the real SDK.
//
// `useRedshiftStandIn()` registers the file's beforeAll/afterAll; the bindings it fills (`rs`, `moto`, `superuser`,
// `admin`, `loader`, `reader`) are ES module live bindings, set before the file's own hooks and tests run.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type DescribeStatementResponse,
  type Field,
} from '@aws-sdk/client-redshift-data';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalRedshift, type LocalRedshift } from '#local/redshift/local.ts';
import { plan, splitSql } from '../../functions/warehouse-bootstrap/handler.ts';
import { startMoto, type Moto } from './moto.ts';
import { tempDir } from './pipeline.ts';
import { ROOT } from './sim.ts';

export const ACCOUNT = '111111111111';
export const WG = 'wistia-analytics';
export const DB = 'analytics';
export const WG_ARN = `arn:aws:redshift-serverless:us-east-1:${ACCOUNT}:workgroup/5f1d2c3b-0000-4000-8000-00000000a11c`;
export const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:redshift!wistia-analytics-admin-Ab12Cd`;
export const COPY_ROLE = `arn:aws:iam::${ACCOUNT}:role/wistia-redshift-copy`;
export const NARROW_ROLE = `arn:aws:iam::${ACCOUNT}:role/wistia-redshift-narrow`;
export const BUCKET = 'wistia-standin-test';
/** Rows per GetStatementResult page in these files (the stand-in's default is 500). */
export const PAGE_ROWS = 3;
/**
 * How long a statement stays SUBMITTED: long enough for the lifecycle and queueing tests to see every status, 0 in
 * the files that do not test queueing.
 */
export const QUEUE_DELAY_MS = 60;

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

export const IDENTITIES = {
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

// live bindings, set by useRedshiftStandIn's beforeAll
export let moto: Moto;
export let rs: LocalRedshift;
export let superuser: pg.Client;
export let admin: RedshiftDataClient;
export let loader: RedshiftDataClient;
export let reader: RedshiftDataClient;

export const client = (key: keyof typeof IDENTITIES | 'AKIAUNKNOWN') =>
  new RedshiftDataClient({
    endpoint: rs.api.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: key, secretAccessKey: 'not-checked' },
    maxAttempts: 1,
  });

export const TERMINAL = ['FINISHED', 'FAILED', 'ABORTED'];
export async function settle(c: RedshiftDataClient, id: string): Promise<DescribeStatementResponse> {
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
export const asAdmin: Extra = { SecretArn: SECRET };
export async function exec(c: RedshiftDataClient, sql: string, extra: Extra = {}) {
  const { Id } = await c.send(new ExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sql: sql, ...extra }));
  return settle(c, Id!);
}
export async function batch(c: RedshiftDataClient, sqls: string[], extra: Extra = {}) {
  const { Id } = await c.send(
    new BatchExecuteStatementCommand({ WorkgroupName: WG, Database: DB, Sqls: sqls, ...extra }),
  );
  return settle(c, Id!);
}
const value = (f: Field) =>
  f.isNull ? null : (f.stringValue ?? f.longValue ?? f.doubleValue ?? f.booleanValue ?? f.blobValue ?? null);
export async function rows(c: RedshiftDataClient, id: string): Promise<{ rows: unknown[][]; pages: number }> {
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
export async function select(c: RedshiftDataClient, sql: string, extra: Extra = {}): Promise<unknown[][]> {
  const d = await exec(c, sql, extra);
  expect([d.Status, d.Error]).toEqual(['FINISHED', undefined]);
  return (await rows(c, d.Id!)).rows;
}
export async function failure(c: RedshiftDataClient, sql: string, extra: Extra = {}): Promise<string | undefined> {
  const d = await exec(c, sql, extra);
  expect(d.Status).toBe('FAILED');
  return d.Error;
}
export async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('the call did not fail');
}
export const put = (key: string, body: string | Buffer) =>
  moto.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
export const copy = (
  table: string,
  from: string,
  options = "FORMAT AS CSV TIMEFORMAT 'auto' EMPTYASNULL",
  role = COPY_ROLE,
) => `COPY ${table} FROM 's3://${BUCKET}/${from}' IAM_ROLE '${role}' ${options}`;

/** analytics.dim_date's 8 rows (2026-11-10 .. 17, day_name Day0 .. Day7, iso_week 46), replacing what it holds. */
export const seedDimDate = () =>
  batch(
    admin,
    [
      'DELETE FROM analytics.dim_date',
      `INSERT INTO analytics.dim_date VALUES ${Array.from({ length: 8 }, (_v, i) => `('2026-11-${String(10 + i)}', 2026, 4, 11, 'November', ${10 + i}, ${(i % 7) + 1}, 'Day${i}', 46, false)`).join(', ')}`,
    ],
    asAdmin,
  );

/**
 * Starts the stand-in (and moto, with the bucket) for the calling test file, builds the warehouse in it, and stops
 * both after the file. `queueDelayMs`: how long statements stay SUBMITTED (QUEUE_DELAY_MS where the file tests the
 * lifecycle; 0 elsewhere).
 */
export function useRedshiftStandIn(opts: { readonly queueDelayMs: number }): void {
  let dataDir = '';
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
      s3: {
        endpoint: moto.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      },
      resultPageRows: PAGE_ROWS,
      queueDelayMs: opts.queueDelayMs,
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
}
