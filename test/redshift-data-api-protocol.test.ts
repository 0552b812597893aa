// The Redshift Data API stand-in (local/redshift) over real HTTP: the wire protocol (AWS JSON 1.1 errors, the
// service model's validation, the RedshiftServerless GetNamespace call, boto3 as the Glue job speaks it) and the
// Data API's documented size limits (100 KB of SQL, 64 KB a result row). Setup: test/helpers/redshift.ts.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  ListStatementsCommand,
} from '@aws-sdk/client-redshift-data';
import { GetNamespaceCommand, RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import {
  WG,
  DB,
  SECRET,
  COPY_ROLE,
  NARROW_ROLE,
  exec,
  batch,
  select,
  failure,
  rejection,
  client,
  rs,
  loader,
  useRedshiftStandIn,
} from './helpers/redshift.ts';
import { ROOT } from './helpers/sim.ts';

useRedshiftStandIn({ queueDelayMs: 0 }); // no test here waits on the queue

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

  it('fails a statement on another database name, and a result row over 64 KB', async () => {
    expect((await exec(loader, 'SELECT 1', { Database: 'dev' })).Error).toBe('FATAL: database "dev" does not exist');
    expect(await failure(loader, "SELECT REPEAT('x', 70000) AS wide")).toBe(
      'ERROR: Packet for query is too large: row 1 of the result is 70000 bytes; the Data API size limit is 64 KB per row in the result set (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-troubleshooting.html)',
    );
    expect((await select(loader, "SELECT REPEAT('x', 60000) AS wide"))[0]?.[0]).toHaveLength(60000);
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
