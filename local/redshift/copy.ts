// Redshift's COPY from Amazon S3, emulated: CSV only, with Redshift's parsing and data-conversion rules, read
// from the S3 server (moto) and inserted as the caller's database user inside the statement's transaction.
//
// Rules, each from its documentation page (DG = https://docs.aws.amazon.com/redshift/latest/dg/):
// - DG r_COPY.html, copy-parameters-data-source-s3.html: FROM 's3://bucket/prefix' loads every object whose key
//   starts with the prefix ("custdata.txt" also loads custdata.txt.1, custdata.txt.bak …; a folder prefix loads
//   every file under folders that share it). No object: "The specified S3 prefix '…' does not exist" (code
//   8001, as Redshift reports it).
// - DG copy-parameters-authorization.html, mgmt/authorizing-redshift-service.html: IAM_ROLE must be a role
//   associated with the namespace; the role must be allowed to list the bucket and read the objects.
// - DG copy-parameters-data-format.html (CSV): default delimiter ",", quote '"'; a quote inside a quoted field is
//   written twice; "white space between the delimiters and the quotation mark characters is ignored"; quoted
//   fields may hold delimiters and newlines. CSV can't be used with FIXEDWIDTH, REMOVEQUOTES or ESCAPE.
// - DG copy-parameters-data-conversion.html: EMPTYASNULL (empty CHAR/VARCHAR fields load as NULL; "Empty fields
//   for other data types, such as INT, are always loaded with NULL"), BLANKSASNULL, NULL AS (default '\N'),
//   DATEFORMAT (default 'YYYY-MM-DD'), TIMEFORMAT (default 'YYYY-MM-DD HH:MI:SS', TIMESTAMPTZ
//   'YYYY-MM-DD HH:MI:SSOF'; 'auto'; 'epochsecs' / 'epochmillisecs'), ACCEPTINVCHARS (each invalid UTF-8 byte
//   replaced, default '?'; without it an invalid character fails the load), TRUNCATECOLUMNS, TRIMBLANKS,
//   FILLRECORD, IGNOREBLANKLINES, IGNOREHEADER, ROUNDEC (DECIMAL values are truncated to the column's scale
//   unless ROUNDEC).
// - DG r_Character_types.html: VARCHAR(n) and CHAR(n) hold n BYTES; CHAR only single-byte characters; a longer
//   value is an error "unless the extra characters are all spaces (blanks), in which case the string is
//   truncated to the maximum length".
// - DG r_Boolean_type.html: TRUE 't' 'true' 'y' 'yes' '1' / FALSE 'f' 'false' 'n' 'no' '0'.
// - DG automatic-recognition.html: the formats TIMEFORMAT/DATEFORMAT 'auto' recognizes (ISO 8601 with T and Z,
//   YYYYMMDD HHMISS, MM/DD/YYYY HH:MI:SS.SS, YYYY-MM-DD HH:MI:SS+/-TZ …); a DATE column takes only the date
//   part; a TIMESTAMP without time gets 00:00:00.
// - DG r_Load_Error_Reference.html: the error codes (1202 extra columns, 1203 fewer columns, 1204 out of range
//   / string length exceeds DDL length, 1205 date, 1206 timestamp, 1207 digit, 1208 float, 1209 decimal, 1210
//   boolean, 1213 NOT NULL field without data, 1214 delimiter / quote formatting, 1220 invalid UTF-8).
//   MAXERROR defaults to 0: the first bad record fails the COPY, and nothing of it is loaded.
// This module runs the statement (the role, the objects, the transaction); the rules are in copy-target.ts (the
// columns' types, the errors), copy-csv.ts (records, UTF-8), copy-datetime.ts and copy-convert.ts (one field's value).
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { evaluate } from './iam.ts';
import type { CopyStatement } from './translator.ts';
import { convert } from './copy-convert.ts';
import { csvRecords } from './copy-csv.ts';
import { converters } from './copy-datetime.ts';
import { CopyError, LoadError, targetOf, type ColumnInfo } from './copy-target.ts';

export { CopyError } from './copy-target.ts';

// ---- the COPY -----------------------------------------------------------------------------------------

export interface CopyContext {
  /** Inside the statement's transaction, as the caller's database user. */
  readonly client: pg.ClientBase;
  readonly s3: S3Client;
  readonly s3Region: string;
  /** The namespace's IAM roles. */
  readonly iamRoles: readonly string[];
  /** The resolved policies of an IAM role, when the stand-in was given them. */
  readonly rolePolicies: (roleArn: string) => readonly unknown[] | undefined;
  /** The resolved trust policy of an IAM role, when the stand-in was given it. */
  readonly roleTrust: (roleArn: string) => unknown;
  /** The caller's database user ARN, for Redshift's "not authorized to assume IAM Role" error. */
  readonly dbUserArn: string;
  readonly cancelled: () => boolean;
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Whether a trust policy lets an AWS service assume the role (an Allow of sts:AssumeRole to that service). */
function trusts(policy: unknown, service: string): boolean {
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const statements = list((policy as { Statement?: unknown }).Statement) as {
    Effect?: string;
    Action?: string | string[];
    Principal?: { Service?: string | string[] };
  }[];
  return statements.some(
    (st) =>
      st.Effect === 'Allow' &&
      list(st.Action).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*') &&
      list(st.Principal?.Service).includes(service),
  );
}

async function columnsOf(
  client: pg.ClientBase,
  table: string,
): Promise<{ oid: number; relname: string; columns: ColumnInfo[] }> {
  const rel = await client.query<{ oid: string; relname: string }>(
    `SELECT c.oid, c.relname FROM pg_class c WHERE c.oid = $1::regclass`,
    [table],
  );
  const row = rel.rows[0];
  if (!row) throw new CopyError(`relation "${table}" does not exist`);
  const cols = await client.query<{
    attname: string;
    typname: string;
    atttypmod: string;
    attnotnull: string;
    attidentity: string;
  }>(
    `SELECT a.attname, t.typname, a.atttypmod, a.attnotnull, a.attidentity
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [row.oid],
  );
  return {
    oid: Number(row.oid),
    relname: row.relname,
    columns: cols.rows.map((c) => ({
      name: c.attname,
      typname: c.typname,
      typmod: Number(c.atttypmod),
      notNull: c.attnotnull === 't',
      identity: c.attidentity,
    })),
  };
}

function s3Url(source: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
  if (!m) throw new CopyError(`invalid S3 path '${source}'`);
  return { bucket: m[1] as string, prefix: m[2] as string };
}

export async function runCopy(stmt: CopyStatement, ctx: CopyContext): Promise<number> {
  const o = stmt.options;
  // The table first (as Redshift, which resolves it as the caller: a missing table or schema privilege fails here).
  const qualified = stmt.schema ? `${quoteIdent(stmt.schema)}.${quoteIdent(stmt.name)}` : quoteIdent(stmt.name);
  const { relname, columns: all } = await columnsOf(ctx.client, qualified);
  const byName = new Map(all.map((c) => [c.name, c]));
  const names = stmt.columns ?? all.filter((c) => c.identity !== 'a').map((c) => c.name);
  const seen = new Set<string>();
  const columns = names.map((n) => {
    const c = byName.get(n);
    if (!c) throw new CopyError(`column "${n}" of relation "${relname}" does not exist`);
    if (seen.has(n)) throw new CopyError(`column "${n}" specified more than once`);
    seen.add(n);
    return c;
  });
  const targets = columns.map(targetOf);
  const conv = converters(o);

  // Authorization: the role must be associated with the namespace (DG copy-parameters-authorization.html).
  if (!ctx.iamRoles.includes(stmt.iamRole))
    throw new CopyError(
      `User ${ctx.dbUserArn} is not authorized to assume IAM Role ${stmt.iamRole} (the role is not associated with the namespace)`,
    );
  // ... and Redshift Serverless must be able to assume it: "make sure that it contains
  // redshift-serverless.amazonaws.com and redshift.amazonaws.com" (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-iam.html)
  const trust = ctx.roleTrust(stmt.iamRole);
  if (trust !== undefined) {
    const missing = ['redshift-serverless.amazonaws.com', 'redshift.amazonaws.com'].filter(
      (service) => !trusts(trust, service),
    );
    if (missing.length)
      throw new CopyError(
        `User ${ctx.dbUserArn} is not authorized to assume IAM Role ${stmt.iamRole} (its trust policy does not let ${missing.join(' and ')} assume it)`,
      );
  }
  const policies = ctx.rolePolicies(stmt.iamRole);
  const { bucket, prefix } = s3Url(stmt.source);
  const denied = (action: string, resource: string, context: Record<string, string>) =>
    policies !== undefined && evaluate(policies, { action, resource, context }) !== 'allow';
  if (o.REGION && o.REGION !== ctx.s3Region)
    throw new CopyError(
      `S3ServiceException:The bucket you are attempting to access must be addressed using the specified endpoint (bucket ${bucket} is in ${ctx.s3Region}, REGION says ${o.REGION})`,
    );
  if (denied('s3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': prefix }))
    throw new CopyError(
      `S3ServiceException:Access Denied,Status 403,Error AccessDenied (IAM role ${stmt.iamRole} may not s3:ListBucket arn:aws:s3:::${bucket} with prefix '${prefix}')`,
    );

  const keys: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await ctx.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    } catch (e) {
      throw new CopyError(`S3ServiceException:${(e as Error).message} (listing s3://${bucket}/${prefix})`);
    }
    for (const obj of page.Contents ?? []) if (obj.Key !== undefined) keys.push(obj.Key);
    token = page.NextContinuationToken;
  } while (token);
  if (keys.length === 0) throw new CopyError(`The specified S3 prefix '${prefix}' does not exist`);
  keys.sort();

  const delim = (o.DELIMITER ?? ',').charCodeAt(0);
  const quote = (o.QUOTE ?? '"').charCodeAt(0);
  const values: (string | null)[][] = columns.map(() => []);
  let rows = 0;
  for (const key of keys) {
    if (ctx.cancelled()) throw new CopyError('Query cancelled.');
    if (denied('s3:GetObject', `arn:aws:s3:::${bucket}/${key}`, {}))
      throw new CopyError(
        `S3ServiceException:Access Denied,Status 403,Error AccessDenied (IAM role ${stmt.iamRole} may not s3:GetObject s3://${bucket}/${key})`,
      );
    let body: Buffer = Buffer.from(
      await (await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
    );
    if (o.GZIP && body.length > 0) {
      try {
        body = gunzipSync(body);
      } catch {
        throw new CopyError(`gzip: s3://${bucket}/${key}: not in gzip format`);
      }
    }
    let skip = o.IGNOREHEADER ?? 0;
    let line = 0;
    try {
      for (const rec of csvRecords(body, delim, quote)) {
        line = rec.line;
        if (skip > 0) {
          skip--;
          continue;
        }
        const blank = rec.fields.length === 1 && !rec.fields[0]!.quoted && rec.fields[0]!.bytes.length === 0;
        if (blank && o.IGNOREBLANKLINES) continue;
        if (rec.fields.length > columns.length)
          throw new LoadError(1202, `Extra column(s) found: ${rec.fields.length} fields for ${columns.length} columns`);
        if (rec.fields.length < columns.length && !o.FILLRECORD)
          throw new LoadError(
            1203,
            `Input data had fewer columns than were defined in the DDL: ${rec.fields.length} fields for ${columns.length} columns`,
          );
        columns.forEach((c, k) => {
          let v: string | null;
          try {
            v = convert(rec.fields[k], c, targets[k]!, o, conv);
          } catch (e) {
            if (e instanceof LoadError)
              throw Object.assign(e, { column: c.name, raw: rec.fields[k]?.bytes.toString('utf8').slice(0, 60) });
            throw e;
          }
          if (v === null && c.notNull)
            throw Object.assign(new LoadError(1213, 'Missing data for not-null field'), { column: c.name });
          values[k]!.push(v);
        });
        rows++;
      }
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      const x = e as LoadError & { column?: string; raw?: string; line?: number };
      throw new CopyError(
        `Load into table '${relname}' failed. Check 'sys_load_error_detail' system table for details. ` +
          `[s3://${bucket}/${key} line ${x.line ?? line}${x.column ? `, column ${x.column}` : ''}: error ${x.code} ${x.reason}${x.raw !== undefined ? `; raw value "${x.raw}"` : ''}]`,
      );
    }
  }

  const list = columns.map((c) => quoteIdent(c.name)).join(', ');
  const typeOf = (c: ColumnInfo) => `pg_catalog.${quoteIdent(c.typname)}`;
  const select = columns.map((c, k) => `u.c${k}::${typeOf(c)}`).join(', ');
  const unnest = columns.map((_c, k) => `$${k + 1}::text[]`).join(', ');
  const alias = columns.map((_c, k) => `c${k}`).join(', ');
  const chunk = 5000;
  for (let from = 0; from < rows; from += chunk) {
    if (ctx.cancelled()) throw new CopyError('Query cancelled.');
    await ctx.client.query(
      `INSERT INTO ${qualified} (${list}) SELECT ${select} FROM unnest(${unnest}) AS u(${alias})`,
      values.map((v) => v.slice(from, from + chunk)),
    );
  }
  return rows;
}
