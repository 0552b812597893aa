// What the dashboard reads the warehouse through: one small interface, two implementations running the same SQL.
// Locally the embedded PostgreSQL; in AWS Redshift Serverless through the Data API (IAM credentials, no password).
// The SQL names its parameters the Data API's way (:name); the PostgreSQL client turns them into $1, $2, ….
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type ColumnMetadata,
  type DescribeStatementResponse,
  type ExecuteStatementOutput,
  type Field,
  type GetStatementResultResponse,
} from '@aws-sdk/client-redshift-data';
import type { LocalWarehouse } from '../warehouse/postgres.ts';

export type Row = Record<string, unknown>;
export type Params = Record<string, string>;

export interface WarehouseClient {
  /** Where the data comes from, for the page and the log (never a secret). */
  readonly description: string;
  query(sql: string, params?: Params): Promise<Row[]>;
  close(): Promise<void>;
}

/** A query the warehouse refused or could not finish; the message names the statement's first line. */
export class WarehouseQueryError extends Error {
  override name = 'WarehouseQueryError';
}

const PARAM = /(?<![:\w]):([a-z_][a-z0-9_]*)/gi;

/** `:name` placeholders to PostgreSQL's `$n`, with the values in order. Every placeholder needs a value. */
export function toPositional(sql: string, params: Params = {}): { text: string; values: string[] } {
  const order: string[] = [];
  const text = sql.replace(PARAM, (_m, name: string) => {
    if (!(name in params)) throw new WarehouseQueryError(`the query needs the parameter :${name}`);
    const at = order.indexOf(name);
    if (at >= 0) return `$${at + 1}`;
    order.push(name);
    return `$${order.length}`;
  });
  return { text, values: order.map((n) => params[n] as string) };
}

const firstLine = (sql: string) => sql.trim().split('\n')[0]?.slice(0, 80) ?? '';

/** The local warehouse (embedded PostgreSQL under <data dir>/warehouse). */
export class PostgresWarehouseClient implements WarehouseClient {
  readonly description: string;

  constructor(private readonly warehouse: LocalWarehouse) {
    this.description = `local PostgreSQL (${warehouse.dir})`;
  }

  async query(sql: string, params?: Params): Promise<Row[]> {
    const { text, values } = toPositional(sql, params);
    try {
      return await this.warehouse.query(text, values);
    } catch (e) {
      throw new WarehouseQueryError(`${(e as Error).message} (in: ${firstLine(sql)})`);
    }
  }

  close(): Promise<void> {
    return this.warehouse.stop();
  }
}

/** What the Redshift Data API client is used for here: `send` of the three commands below. */
export interface DataApi {
  send(command: object): Promise<unknown>;
}

export interface RedshiftDataOptions {
  readonly client: DataApi;
  /** Redshift Serverless workgroup (the stack's WorkgroupName output). */
  readonly workgroup: string;
  readonly database: string;
  /** First wait between status polls (doubling up to 1 s). Default 50 ms. */
  readonly pollMs?: number;
  /** How long one statement may take. Default 120 s. */
  readonly timeoutMs?: number;
}

/** A Data API cell as a plain JSON value: numbers as numbers, dates as YYYY-MM-DD, timestamps as ISO strings. */
function cell(field: Field, column: ColumnMetadata | undefined): unknown {
  if (field.isNull) return null;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.stringValue !== undefined) {
    const type = (column?.typeName ?? '').toLowerCase();
    const s = field.stringValue;
    if (type === 'numeric' || type === 'decimal') return Number(s);
    if (type === 'timestamptz' || type === 'timestamp') {
      const iso = s.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
      return new Date(type === 'timestamp' && !/[zZ]|[+-]\d{2}:\d{2}$/.test(iso) ? `${iso}Z` : iso).toISOString();
    }
    return s;
  }
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue).toString('base64');
  return null;
}

/** Redshift Serverless through the Data API: ExecuteStatement, poll DescribeStatement, page GetStatementResult. */
export class RedshiftDataWarehouseClient implements WarehouseClient {
  readonly description: string;
  private readonly pollMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: RedshiftDataOptions) {
    this.description = `Redshift Serverless workgroup ${options.workgroup}, database ${options.database}`;
    this.pollMs = options.pollMs ?? 50;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  async query(sql: string, params: Params = {}): Promise<Row[]> {
    const { client, workgroup, database } = this.options;
    const parameters = Object.entries(params).map(([name, value]) => ({ name, value }));
    const started = (await client.send(
      new ExecuteStatementCommand({
        WorkgroupName: workgroup,
        Database: database,
        Sql: sql,
        ...(parameters.length ? { Parameters: parameters } : {}),
      }),
    )) as ExecuteStatementOutput;
    const id = started.Id;
    if (!id) throw new WarehouseQueryError(`the Data API returned no statement id (in: ${firstLine(sql)})`);
    const deadline = Date.now() + this.timeoutMs;
    let wait = this.pollMs;
    for (;;) {
      const d = (await client.send(new DescribeStatementCommand({ Id: id }))) as DescribeStatementResponse;
      if (d.Status === 'FINISHED') {
        if (!d.HasResultSet) return [];
        break;
      }
      if (d.Status === 'FAILED' || d.Status === 'ABORTED')
        throw new WarehouseQueryError(
          `Redshift statement ${id} ${d.Status.toLowerCase()}: ${d.Error ?? 'no error given'} (in: ${firstLine(sql)})`,
        );
      if (Date.now() > deadline)
        throw new WarehouseQueryError(
          `Redshift statement ${id} still ${d.Status ?? 'unknown'} after ${this.timeoutMs} ms (in: ${firstLine(sql)})`,
        );
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(1000, wait * 2);
    }
    const rows: Row[] = [];
    let token: string | undefined;
    do {
      const page = (await client.send(
        new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) }),
      )) as GetStatementResultResponse;
      const columns = page.ColumnMetadata ?? [];
      for (const record of page.Records ?? []) {
        const row: Row = {};
        record.forEach((f, i) => {
          const col = columns[i];
          row[col?.name ?? col?.label ?? `column${i + 1}`] = cell(f, col);
        });
        rows.push(row);
      }
      token = page.NextToken;
    } while (token);
    return rows;
  }

  async close(): Promise<void> {
    // the Data API keeps no connection open
  }
}
