// The Redshift Data API stand-in (local/redshift): the IAM-derived database users and what the deploy's grants let
// them do, the SQL Redshift refuses (refused before anything runs), and Redshift's types and names on PostgreSQL.
// Setup: test/helpers/redshift.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { ExecuteStatementCommand, ListStatementsCommand } from '@aws-sdk/client-redshift-data';
import {
  ACCOUNT,
  WG,
  DB,
  WG_ARN,
  SECRET,
  asAdmin,
  exec,
  batch,
  select,
  failure,
  rejection,
  put,
  copy,
  client,
  superuser,
  admin,
  loader,
  reader,
  seedDimDate,
  useRedshiftStandIn,
} from './helpers/redshift.ts';

useRedshiftStandIn({ queueDelayMs: 0 }); // no test here waits on the queue
// the 8 days the readers count
beforeAll(async () => expect((await seedDimDate()).Status).toBe('FINISHED'));

describe('database users from IAM identities, and what the deploy grants them', () => {
  it('runs SecretArn calls as the admin (a superuser) and IAM calls as IAMR:<role> / IAM:<user>', async () => {
    expect(await select(admin, 'SELECT current_user', asAdmin)).toEqual([['admin']]);
    expect(await select(loader, 'SELECT current_user')).toEqual([['IAMR:wistia-glue-job']]);
    expect(await select(client('AKIAALICE'), 'SELECT current_user')).toEqual([['IAM:alice']]);
    // the database user is created (and granted its tag's roles) at its first call
    expect(await select(reader, 'SELECT current_user')).toEqual([['IAMR:wistia-analyst']]);
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
