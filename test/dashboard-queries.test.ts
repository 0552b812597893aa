// The dashboard's queries and its Redshift Data API client, without a warehouse: the SQL runs unchanged on
// PostgreSQL and (through the Data API) Redshift, :name parameters, and the client's polling, paging, typing and
// errors against canned Data API answers (AWS itself cannot run here), the server answering 500 with them.
import { describe, expect, it } from 'vitest';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type Field,
} from '@aws-sdk/client-redshift-data';
import { QUERIES } from '#local/dashboard/queries.ts';
import { startDashboard } from '#local/dashboard/server.ts';
import {
  RedshiftDataWarehouseClient,
  toPositional,
  WarehouseQueryError,
  type DataApi,
} from '#local/dashboard/warehouse.ts';

describe('dashboard SQL: one text for PostgreSQL and Redshift', () => {
  it.each(Object.entries(QUERIES))('%s uses only the syntax both engines accept', (_name, sql) => {
    expect(sql).not.toMatch(/::/); // PostgreSQL casts
    expect(sql).not.toMatch(/\$\d/); // positional parameters (the Data API names them)
    expect(sql).not.toMatch(/\b(ILIKE|FILTER\s*\(|RETURNING|DISTINCT ON|LATERAL|GENERATE_SERIES|JSONB?_)/i);
    expect(sql).toMatch(/\banalytics\./); // schema-qualified tables
  });

  it('turns :name parameters into $n for PostgreSQL, leaving casts alone, and names a missing one', () => {
    expect(toPositional('SELECT :a, :b, :a, x::text FROM t WHERE c = :b', { a: '1', b: 'two' })).toEqual({
      text: 'SELECT $1, $2, $1, x::text FROM t WHERE c = $2',
      values: ['1', 'two'],
    });
    expect(() => toPositional('SELECT 1 WHERE m = :media_id')).toThrow('the query needs the parameter :media_id');
  });
});

/** A stand-in for the Redshift Data API (AWS itself, which cannot run here): answers from canned steps. */
function cannedDataApi(script: { describe: object[]; pages: object[] }) {
  const sent: object[] = [];
  let d = 0;
  let p = 0;
  const api: DataApi = {
    async send(command) {
      sent.push(command);
      if (command instanceof ExecuteStatementCommand) return { Id: 'stmt-1' };
      if (command instanceof DescribeStatementCommand)
        return script.describe[Math.min(d++, script.describe.length - 1)];
      if (command instanceof GetStatementResultCommand) return script.pages[p++];
      throw new Error(`unexpected command ${command.constructor.name}`);
    },
  };
  return { api, sent };
}

describe('Redshift Data API client', () => {
  it('runs the statement, polls until FINISHED, pages the result and types every cell', async () => {
    const columns = [
      { name: 'media_id', typeName: 'varchar' },
      { name: 'plays', typeName: 'int8' },
      { name: 'hours', typeName: 'numeric' },
      { name: 'rate', typeName: 'float8' },
      { name: 'day', typeName: 'date' },
      { name: 'at', typeName: 'timestamptz' },
      { name: 'mobile', typeName: 'bool' },
    ];
    const row = (id: string, plays: number): Field[] => [
      { stringValue: id },
      { longValue: plays },
      { stringValue: '12.50' },
      { doubleValue: 0.25 },
      { stringValue: '2026-11-18' },
      { stringValue: '2026-11-18 05:59:28.753+00' },
      { booleanValue: true },
    ];
    const { api, sent } = cannedDataApi({
      describe: [{ Status: 'SUBMITTED' }, { Status: 'STARTED' }, { Status: 'FINISHED', HasResultSet: true }],
      pages: [
        { ColumnMetadata: columns, Records: [row('a1', 3)], NextToken: 'page-2' },
        { ColumnMetadata: columns, Records: [row('b2', 4), [{ stringValue: 'c3' }, { isNull: true }]] },
      ],
    });
    const client = new RedshiftDataWarehouseClient({ client: api, workgroup: 'wg', database: 'db', pollMs: 1 });
    const rows = await client.query(QUERIES.curve, { media_id: 'a1' });
    expect(rows).toEqual([
      {
        media_id: 'a1',
        plays: 3,
        hours: 12.5,
        rate: 0.25,
        day: '2026-11-18',
        at: '2026-11-18T05:59:28.753Z',
        mobile: true,
      },
      {
        media_id: 'b2',
        plays: 4,
        hours: 12.5,
        rate: 0.25,
        day: '2026-11-18',
        at: '2026-11-18T05:59:28.753Z',
        mobile: true,
      },
      { media_id: 'c3', plays: null },
    ]);
    const exec = sent[0] as ExecuteStatementCommand;
    expect(exec.input).toEqual({
      WorkgroupName: 'wg',
      Database: 'db',
      Sql: QUERIES.curve, // the very text PostgreSQL runs
      Parameters: [{ name: 'media_id', value: 'a1' }],
    });
    expect(sent.filter((c) => c instanceof DescribeStatementCommand)).toHaveLength(3);
    expect((sent[5] as GetStatementResultCommand).input).toEqual({ Id: 'stmt-1', NextToken: 'page-2' });
    expect(client.description).toBe('Redshift Serverless workgroup wg, database db');
  });

  it("fails with Redshift's own error and the statement's first line when the statement fails", async () => {
    const { api } = cannedDataApi({
      describe: [{ Status: 'FAILED', Error: 'ERROR: relation "analytics.fct_media_engagement" does not exist' }],
      pages: [],
    });
    const client = new RedshiftDataWarehouseClient({ client: api, workgroup: 'wg', database: 'db', pollMs: 1 });
    const err = await client.query(QUERIES.daily).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarehouseQueryError);
    expect((err as Error).message).toBe(
      'Redshift statement stmt-1 failed: ERROR: relation "analytics.fct_media_engagement" does not exist (in: SELECT snapshot_date AS day,)',
    );
  });

  it("answers 500 with the warehouse's error, and tells the operator which request failed", async () => {
    const { api } = cannedDataApi({
      describe: [{ Status: 'FAILED', Error: 'ERROR: permission denied for schema analytics' }],
      pages: [],
    });
    const warehouse = new RedshiftDataWarehouseClient({ client: api, workgroup: 'wg', database: 'db', pollMs: 1 });
    const told: string[] = [];
    const dash = await startDashboard({ warehouse, port: 0, onError: (e, path) => told.push(`${path}: ${e.message}`) });
    try {
      const res = await fetch(new URL('/api/channels', dash.url));
      const error =
        'Redshift statement stmt-1 failed: ERROR: permission denied for schema analytics (in: SELECT channel, COUNT(*) AS sessions, COUNT(DISTINCT visitor_key) AS viewers,)';
      expect([res.status, await res.json()]).toEqual([500, { error }]);
      expect(told).toEqual([`/api/channels: ${error}`]);
      expect(await fetch(new URL('/api/runs', dash.url)).then((r) => r.json())).toEqual([]); // no store: no runs
      expect(await fetch(new URL('/api/health', dash.url)).then((r) => r.json())).toEqual({
        statuses: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        days: [],
        runs: [],
      });
    } finally {
      await dash.close();
    }
  });

  it('gives up on a statement that does not finish in time', async () => {
    const { api } = cannedDataApi({ describe: [{ Status: 'STARTED' }], pages: [] });
    const client = new RedshiftDataWarehouseClient({
      client: api,
      workgroup: 'wg',
      database: 'db',
      pollMs: 1,
      timeoutMs: 30,
    });
    await expect(client.query(QUERIES.kpis)).rejects.toThrow(/^Redshift statement stmt-1 still STARTED after 30 ms/);
  });
});
