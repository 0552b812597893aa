// The Redshift Data API stand-in (local/redshift): COPY from moto's S3 with Redshift's rules (CSV, NULLs, formats,
// lengths in bytes, UTF-8, all or nothing, GZIP, IAM roles, the options it does not emulate). Setup:
// test/helpers/redshift.ts.
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  COPY_ROLE,
  NARROW_ROLE,
  BUCKET,
  asAdmin,
  exec,
  select,
  failure,
  put,
  copy,
  admin,
  useRedshiftStandIn,
} from './helpers/redshift.ts';

useRedshiftStandIn({ queueDelayMs: 0 }); // no test here waits on the queue

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
