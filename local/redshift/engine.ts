// The workgroup's database: statements run on PostgreSQL as the caller's database user, with Redshift's
// transaction rules and Redshift's wording of the errors PostgreSQL raises.
//
// - Each ExecuteStatement is one transaction; "The SQL statements in the Sqls parameter of
//   BatchExecuteStatement API operation are run as a single transaction. They run serially in the order of
//   the array ... If any SQL statement fails, then because they are run as one transaction, all work is
//   rolled back." (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html#data-api-calling-considerations)
//   ExecutionMode AUTO_COMMIT commits after each statement (botocore's model: ExecutionMode).
// - "TRUNCATE commits the transaction in which it is run" (https://docs.aws.amazon.com/redshift/latest/dg/r_TRUNCATE.html):
//   in a batch, what ran before a TRUNCATE stays committed even when a later statement fails.
// - The database user of an IAM identity is created on first use with the privileges of PUBLIC only, and is
//   made a member of the database roles its RedshiftDbRoles tag names ("role1:role2"; a name that is not a
//   role in the database is ignored): https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html
//   The admin user (SecretArn calls) is a superuser.
// - "By default, all users have CREATE and USAGE permissions on the PUBLIC schema of a database"
//   (https://docs.aws.amazon.com/redshift/latest/dg/r_Schemas_and_tables.html): PostgreSQL 15+ grants only
//   USAGE, so the stand-in grants CREATE too. CREATE SCHEMA needs superuser or the CREATE privilege on the
//   database (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_SCHEMA.html), as in PostgreSQL.
// - Timestamps are read and shown in UTC, Redshift's default session time zone
//   (https://docs.aws.amazon.com/redshift/latest/dg/r_timezone_config.html).
import pg from 'pg';
import { runCopy, CopyError } from './copy.ts';
import {
  TranslationError,
  TranslatorCrashedError,
  type SqlStatement,
  type Statement,
  type Translator,
} from './translator.ts';
import type { S3Client } from '@aws-sdk/client-s3';

export type Status = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

export interface Field {
  isNull?: boolean;
  booleanValue?: boolean;
  longValue?: number;
  doubleValue?: number;
  stringValue?: string;
  blobValue?: string;
}

export interface ColumnMetadata {
  isCaseSensitive: boolean;
  isCurrency: boolean;
  isSigned: boolean;
  label: string;
  name: string;
  nullable: number;
  precision: number;
  scale: number;
  schemaName: string;
  tableName: string;
  typeName: string;
  length: number;
}

export interface Result {
  readonly columns: ColumnMetadata[];
  readonly records: Field[][];
  readonly size: number;
}

export interface SubStatement {
  readonly id: string;
  readonly sql: string;
  status: Status;
  error?: string;
  readonly createdAt: number;
  updatedAt: number;
  durationNs: number;
  result?: Result;
  resultRows: number;
  resultSize: number;
  hasResultSet: boolean;
  queryId: number;
}

export interface Caller {
  readonly accessKeyId: string;
  /** The ARN the stand-in was given for the access key (an assumed-role session, a role or a user). */
  readonly arn: string;
  /** The role ARN of an assumed-role session, else the ARN itself (aws:PrincipalArn). */
  readonly principalArn: string;
  readonly account: string;
  readonly kind: 'user' | 'role';
  readonly name: string;
  readonly userId: string;
  readonly tags: Record<string, string>;
  readonly policies?: readonly unknown[];
}

export interface StatementRecord {
  readonly id: string;
  readonly batch: boolean;
  readonly owner: Caller;
  readonly dbUser: string;
  readonly secretArn?: string;
  readonly database: string;
  readonly workgroupName: string;
  readonly statementName?: string;
  readonly parameters?: { name: string; value: string }[];
  readonly executionMode: 'TRANSACTION' | 'AUTO_COMMIT';
  readonly subs: SubStatement[];
  readonly createdAt: number;
  /** The database roles from the RedshiftDbRoles tag that the user may be given (see Engine.ensureUser). */
  readonly tagRoles: string[];
  /** Set when the tag roles were not mapped because the identity may not read its tags. */
  readonly tagRolesSkipped?: string;
  status: Status;
  error?: string;
  updatedAt: number;
  pid?: number;
  cancelRequested: boolean;
}

export interface EngineOptions {
  readonly dsn: string;
  /** The Redshift database name callers use (the PostgreSQL database may be named differently). */
  readonly database: string;
  readonly adminUsername: string;
  readonly translator: Translator;
  readonly s3: S3Client;
  readonly s3Region: string;
  readonly iamRoles: readonly string[];
  readonly rolePolicies: (roleArn: string) => readonly unknown[] | undefined;
  readonly roleTrust: (roleArn: string) => unknown;
  readonly dbUserArn: (dbUser: string) => string;
  readonly poolSize?: number;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const raw = () => (v: string) => v;

/** The Data API's limits on what a result may hold (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-troubleshooting.html). */
export const ROW_LIMIT_BYTES = 64 * 1024;
/**
 * The query result size limit. The 2023 "Considerations when calling the Data API" page and the translated
 * troubleshooting pages say 100 MB, the current English troubleshooting page 500 MB: the stricter is used.
 */
export const RESULT_LIMIT_BYTES = 100 * 1024 * 1024;

const TYPE_NAMES: Record<number, string> = {
  16: 'bool',
  17: 'varbyte',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'varchar',
  700: 'float4',
  701: 'float8',
  705: 'varchar',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamptz',
  1266: 'timetz',
  1700: 'numeric',
};

class StatementFailure extends Error {
  constructor(
    message: string,
    readonly aborted = false,
  ) {
    super(message);
  }
}

export class Engine {
  private readonly pool: pg.Pool;
  private control: pg.Client | undefined;
  private pgDatabase = '';
  private queryIds = 0;

  constructor(private readonly opts: EngineOptions) {
    const config = {
      connectionString: opts.dsn,
      // UTC (Redshift's default session time zone); snapshot isolation (REPEATABLE READ in PostgreSQL), the
      // default of a new Serverless workgroup (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html)
      options:
        '-c TimeZone=UTC -c DateStyle=ISO,MDY -c extra_float_digits=1 -c default_transaction_isolation=repeatable\\ read',
      types: { getTypeParser: raw },
    };
    this.pool = new pg.Pool({ ...config, max: opts.poolSize ?? 6 });
    this.pool.on('error', () => undefined);
    this.controlConfig = config;
  }

  private readonly controlConfig: object;

  /** The admin superuser, and the database defaults Redshift has and PostgreSQL lacks. */
  async init(): Promise<void> {
    const c = new pg.Client(this.controlConfig);
    c.on('error', () => undefined);
    await c.connect();
    this.control = c;
    this.pgDatabase = (await c.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? '';
    const admin = this.opts.adminUsername;
    const exists = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [admin]);
    if (exists.rowCount === 0) await c.query(`CREATE ROLE ${ident(admin)} SUPERUSER NOLOGIN`).catch(ignoreDuplicate);
    else await c.query(`ALTER ROLE ${ident(admin)} SUPERUSER`);
    await c.query('GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC');
  }

  /**
   * The caller's database user exists, with the roles its tag names that exist as roles (NOLOGIN roles
   * that are not users: not IAM:/IAMR: users, not superusers, not PostgreSQL's own pg_* roles). Memberships
   * are added on each call (a role created after the first sign-in is mapped on the next) and never removed
   * [unconfirmed: the page does not say whether Redshift revokes a role dropped from the tag].
   */
  async ensureUser(rec: StatementRecord): Promise<void> {
    if (rec.secretArn) return;
    // one at a time: concurrent first statements of one identity must not race on CREATE ROLE / GRANT
    const next = this.provisioning.then(() => this.provision(rec.dbUser, rec.tagRoles));
    this.provisioning = next.catch(() => undefined);
    await next;
  }

  private provisioning: Promise<void> = Promise.resolve();

  private async provision(user: string, roles: string[]): Promise<void> {
    const c = this.control!;
    if ((await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount === 0)
      await c.query(`CREATE ROLE ${ident(user)} NOLOGIN`).catch(ignoreDuplicate);
    if (roles.length === 0) return;
    const found = await c.query<{ rolname: string; member: string }>(
      `SELECT r.rolname, pg_has_role($2, r.oid, 'MEMBER') AS member FROM pg_roles r
        WHERE r.rolname = ANY($1) AND NOT r.rolcanlogin AND NOT r.rolsuper
          AND r.rolname !~ '^(IAM|IAMR):' AND r.rolname !~ '^pg_' AND r.rolname <> $3`,
      [roles, user, this.opts.adminUsername],
    );
    for (const r of found.rows) if (r.member !== 't') await c.query(`GRANT ${ident(r.rolname)} TO ${ident(user)}`);
  }

  /** Cancels at once when the statement runs a query, else as soon as one starts (for up to 30 s). */
  async cancel(rec: StatementRecord): Promise<void> {
    rec.cancelRequested = true;
    const kick = () =>
      rec.pid !== undefined && rec.status === 'STARTED'
        ? this.control?.query('SELECT pg_cancel_backend($1)', [rec.pid]).catch(() => undefined)
        : undefined;
    await kick();
    const until = Date.now() + 30_000;
    const timer = setInterval(() => {
      if (rec.status !== 'STARTED' && rec.status !== 'PICKED' && rec.status !== 'SUBMITTED') clearInterval(timer);
      else if (Date.now() > until) clearInterval(timer);
      else void kick();
    }, 50);
    timer.unref();
  }

  /** Runs a statement record to its end (never throws: the outcome is in the record). */
  async run(rec: StatementRecord, touch: (rec: StatementRecord) => void): Promise<void> {
    const now = () => Date.now();
    const set = (s: Status, error?: string) => {
      rec.status = s;
      if (error !== undefined) rec.error = error;
      rec.updatedAt = now();
      touch(rec);
    };
    if (rec.cancelRequested) return this.abortAll(rec, 'Query cancelled.', set);
    set('PICKED');
    if (rec.database !== this.opts.database) {
      const msg = `FATAL: database "${rec.database}" does not exist`;
      for (const s of rec.subs) Object.assign(s, { status: 'FAILED', error: msg, updatedAt: now() });
      return set('FAILED', msg);
    }
    let client: pg.PoolClient;
    try {
      await this.ensureUser(rec);
      client = await this.pool.connect();
    } catch (e) {
      return this.failAll(rec, `ERROR: ${(e as Error).message}`, set);
    }
    let broken = false;
    try {
      rec.pid = (client as unknown as { processID: number }).processID;
      await client.query(`SET SESSION AUTHORIZATION ${ident(rec.secretArn ? this.opts.adminUsername : rec.dbUser)}`);
      if (rec.cancelRequested) return this.abortAll(rec, 'Query cancelled.', set);
      set('STARTED');
      await client.query('BEGIN');
      const names = rec.parameters?.map((p) => p.name) ?? null;
      const values = new Map(rec.parameters?.map((p) => [p.name, p.value]) ?? []);
      for (const [i, sub] of rec.subs.entries()) {
        const started = process.hrtime.bigint();
        sub.status = 'STARTED';
        sub.updatedAt = now();
        try {
          if (rec.cancelRequested) throw new StatementFailure('Query cancelled.', true);
          const stmt = await this.opts.translator.translate(sub.sql, names, rec.database);
          if (stmt.kind === 'sql' && stmt.truncate) {
            await client.query('COMMIT'); // "TRUNCATE commits the transaction in which it is run"
            await client.query(stmt.sql);
            await client.query('BEGIN');
          } else await this.runOne(client, stmt, sub, rec, values);
          if (rec.executionMode === 'AUTO_COMMIT') {
            await client.query('COMMIT');
            await client.query('BEGIN');
          }
          sub.status = 'FINISHED';
          sub.durationNs = Number(process.hrtime.bigint() - started);
          sub.updatedAt = now();
        } catch (e) {
          sub.durationNs = Number(process.hrtime.bigint() - started);
          const failure = this.redshiftError(e, rec);
          sub.status = failure.aborted ? 'ABORTED' : 'FAILED';
          sub.error = failure.message;
          sub.updatedAt = now();
          await client.query('ROLLBACK').catch(() => (broken = true));
          for (const later of rec.subs.slice(i + 1)) Object.assign(later, { status: 'ABORTED', updatedAt: now() });
          return set(failure.aborted ? 'ABORTED' : 'FAILED', failure.message);
        }
      }
      await client.query('COMMIT');
      set('FINISHED');
    } catch (e) {
      broken = true;
      return this.failAll(rec, this.redshiftError(e, rec).message, set);
    } finally {
      try {
        if (!broken) await client.query('DISCARD ALL');
      } catch {
        broken = true;
      }
      client.release(broken ? true : undefined);
    }
  }

  private failAll(rec: StatementRecord, msg: string, set: (s: Status, e?: string) => void): void {
    for (const s of rec.subs)
      if (s.status !== 'FINISHED') Object.assign(s, { status: 'FAILED', error: msg, updatedAt: Date.now() });
    set('FAILED', msg);
  }

  private abortAll(rec: StatementRecord, msg: string, set: (s: Status, e?: string) => void): void {
    for (const s of rec.subs)
      if (s.status !== 'FINISHED') Object.assign(s, { status: 'ABORTED', updatedAt: Date.now() });
    set('ABORTED', msg);
  }

  private async runOne(
    client: pg.PoolClient,
    stmt: Statement,
    sub: SubStatement,
    rec: StatementRecord,
    values: Map<string, string>,
  ): Promise<void> {
    sub.queryId = ++this.queryIds;
    if (stmt.kind === 'copy') {
      sub.resultRows = await runCopy(stmt, {
        client,
        s3: this.opts.s3,
        s3Region: this.opts.s3Region,
        iamRoles: this.opts.iamRoles,
        rolePolicies: this.opts.rolePolicies,
        roleTrust: this.opts.roleTrust,
        dbUserArn: this.opts.dbUserArn(rec.secretArn ? this.opts.adminUsername : rec.dbUser),
        cancelled: () => rec.cancelRequested,
      });
      return;
    }
    const sql = stmt.database ? stmt.sql.replace('{db}', ident(this.pgDatabase)) : stmt.sql;
    if (stmt.merge) await this.checkMergeSource(client, stmt);
    const args = stmt.params.map((n) => values.get(n) as string);
    const r = await client.query({ text: sql, values: args, rowMode: 'array' });
    if (r.fields.length > 0) {
      sub.hasResultSet = true;
      sub.result = await this.result(client, r.fields, r.rows as (string | null)[][]);
      sub.resultRows = sub.result.records.length;
      sub.resultSize = sub.result.size;
    } else sub.resultRows = r.rowCount ?? 0;
  }

  /** r_MERGE: "source_table can't be a view or a subquery". */
  private async checkMergeSource(client: pg.PoolClient, stmt: SqlStatement): Promise<void> {
    const name = stmt.merge!.source.split('.').map(ident).join('.');
    const r = await client.query<{ relkind: string }>('SELECT relkind FROM pg_class WHERE oid = $1::regclass', [name]);
    const kind = r.rows[0]?.relkind;
    if (kind === 'v' || kind === 'm')
      throw new StatementFailure(
        `ERROR: the MERGE source ${stmt.merge!.source} is a view; Redshift's MERGE reads a table (see https://docs.aws.amazon.com/redshift/latest/dg/r_MERGE.html)`,
      );
  }

  private async result(client: pg.PoolClient, fields: pg.FieldDef[], rows: (string | null)[][]): Promise<Result> {
    const tables = [...new Set(fields.map((f) => f.tableID).filter((t) => t > 0))];
    const attrs = new Map<string, { notnull: boolean; table: string; schema: string }>();
    if (tables.length) {
      const r = await client.query<{
        attrelid: string;
        attnum: string;
        attnotnull: string;
        relname: string;
        nspname: string;
      }>(
        `SELECT a.attrelid, a.attnum, a.attnotnull, c.relname, n.nspname FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0`,
        [tables],
      );
      for (const a of r.rows)
        attrs.set(`${a.attrelid}:${a.attnum}`, { notnull: a.attnotnull === 't', table: a.relname, schema: a.nspname });
    }
    const columns = fields.map((f): ColumnMetadata => {
      const typeName = TYPE_NAMES[f.dataTypeID] ?? 'varchar';
      const a = attrs.get(`${f.tableID}:${f.columnID}`);
      const mod = f.dataTypeModifier;
      let precision = 0;
      let scale = 0;
      if (typeName === 'varchar' || typeName === 'bpchar') precision = mod > 4 ? mod - 4 : 65535;
      else if (typeName === 'numeric' && mod > 4) [precision, scale] = [((mod - 4) >> 16) & 0xffff, (mod - 4) & 0xffff];
      else if (typeName === 'numeric') [precision, scale] = [38, 0];
      else
        [precision, scale] = (
          {
            int2: [5, 0],
            int4: [10, 0],
            int8: [19, 0],
            float4: [8, 8],
            float8: [17, 17],
            bool: [1, 0],
            date: [13, 0],
            timestamp: [29, 6],
            timestamptz: [35, 6],
          } as Record<string, [number, number]>
        )[typeName] ?? [0, 0];
      return {
        isCaseSensitive: typeName === 'varchar' || typeName === 'bpchar',
        isCurrency: false,
        isSigned: ['int2', 'int4', 'int8', 'float4', 'float8', 'numeric'].includes(typeName),
        label: f.name,
        name: f.name,
        nullable: a ? (a.notnull ? 0 : 1) : 1,
        precision,
        scale,
        schemaName: a?.schema ?? '',
        tableName: a?.table ?? '',
        typeName,
        length: 0,
      };
    });
    let size = 0;
    const records = rows.map((row, n) => {
      let rowSize = 0;
      const rec = row.map((v, i): Field => {
        if (v === null) return { isNull: true };
        rowSize += Buffer.byteLength(v, 'utf8');
        const t = columns[i]?.typeName;
        if (t === 'bool') return { booleanValue: v === 't' };
        if (t === 'int2' || t === 'int4' || t === 'int8') return { longValue: Number(v) };
        if ((t === 'float4' || t === 'float8') && Number.isFinite(Number(v))) return { doubleValue: Number(v) };
        if (t === 'varbyte') return { blobValue: Buffer.from(v.replace(/^\\x/, ''), 'hex').toString('base64') };
        // The Data API shows TIMESTAMP values the JDBC way, "2022-02-22 00:00:00.0"
        // (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-calling.html, get-statement-result example).
        if (t === 'timestamp' && !v.includes('.')) return { stringValue: `${v}.0` };
        return { stringValue: v };
      });
      if (rowSize > ROW_LIMIT_BYTES)
        throw new StatementFailure(
          `ERROR: Packet for query is too large: row ${n + 1} of the result is ${rowSize} bytes; the Data API size limit is 64 KB per row in the result set (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-troubleshooting.html)`,
        );
      size += rowSize;
      if (size > RESULT_LIMIT_BYTES)
        throw new StatementFailure(
          `ERROR: Database response exceeded size limit: the result is over ${RESULT_LIMIT_BYTES} bytes (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-troubleshooting.html)`,
        );
      return rec;
    });
    return { columns, records, size };
  }

  /** Redshift's wording for what went wrong (the Data API shows it as the statement's Error). */
  private redshiftError(e: unknown, rec: StatementRecord): StatementFailure {
    if (e instanceof StatementFailure) return e;
    if (e instanceof TranslationError) return new StatementFailure(`ERROR: ${e.message}`);
    if (e instanceof TranslatorCrashedError) return new StatementFailure(`ERROR: ${e.message}`);
    if (e instanceof CopyError)
      return new StatementFailure(
        e.message === 'Query cancelled.' ? e.message : `ERROR: ${e.message}`,
        e.message === 'Query cancelled.',
      );
    const err = e as Error & { code?: string; constraint?: string; column?: string };
    let msg = err.message ?? String(e);
    switch (err.code) {
      case '57014':
        return new StatementFailure('Query cancelled.', true);
      case '42501':
        // Redshift (PostgreSQL 8 based) says "relation" where PostgreSQL 17 says "table" / "view"
        msg = msg
          .replace(/^permission denied for (table|view|materialized view|sequence) /, 'permission denied for relation ')
          .replace(/^must be owner of (table|view|materialized view|sequence) /, 'must be owner of relation ');
        if (rec.tagRolesSkipped) msg += ` (${rec.tagRolesSkipped})`;
        break;
      case '23514': {
        const m = /^rs_(varchar|char)_(\d+)_/.exec(err.constraint ?? '');
        if (m?.[1] === 'varchar') msg = `value too long for type character varying(${m[2]})`;
        else if (m?.[1] === 'char') msg = `Multibyte character not supported for CHAR (Hint: Try using VARCHAR)`;
        break;
      }
      case '23502':
        // [unconfirmed] Redshift's wording
        msg = `Cannot insert a NULL value into column ${err.column ?? ''}`.trim();
        break;
      case '21000':
        if (/MERGE command cannot affect row a second time/.test(msg))
          msg = 'Found multiple matches to update the same tuple.'; // r_MERGE
        break;
      case '40001':
        // [unconfirmed] Redshift's wording (its error 1023) for two transactions writing the same rows
        msg = `1023 Serializable isolation violation: ${msg}`;
        break;
      case '22012':
        msg = 'Divide by zero'; // [unconfirmed] Redshift's wording
        break;
    }
    // the caller's database name, not the stand-in's PostgreSQL database
    msg = msg.replace(
      new RegExp(`database "?${this.pgDatabase.replace(/\W/g, '\\$&')}"?(?=\\W|$)`, 'g'),
      `database ${this.opts.database}`,
    );
    return new StatementFailure(`ERROR: ${msg}`);
  }

  async close(): Promise<void> {
    await this.control?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}

function ignoreDuplicate(e: { code?: string }): void {
  if (e.code !== '42710' && e.code !== '23505') throw e;
}
