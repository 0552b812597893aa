// The Redshift Data API stand-in (local/redshift): the statement lifecycle (SUBMITTED -> PICKED -> STARTED ->
// FINISHED after the stand-in's queue delay), sub-statements, paging, batch atomicity, client tokens, cancelling,
// listing, parameters, and the SQL translator's restart. Setup: test/helpers/redshift.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
} from '@aws-sdk/client-redshift-data';
import { RedshiftDataWarehouseClient } from '#local/dashboard/warehouse.ts';
import {
  WG,
  DB,
  SECRET,
  TERMINAL,
  asAdmin,
  exec,
  batch,
  rows,
  select,
  failure,
  rejection,
  client,
  settle,
  rs,
  admin,
  loader,
  reader,
  seedDimDate,
  QUEUE_DELAY_MS,
  useRedshiftStandIn,
} from './helpers/redshift.ts';

useRedshiftStandIn({ queueDelayMs: QUEUE_DELAY_MS });

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
    await seedDimDate();
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
