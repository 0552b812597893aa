// The Glue runtime twin (local/glue/launcher.ts, issue 11 D5): a Glue job run as Glue 5.0 runs it, against moto's
// S3 server: script and assets from S3, Glue's argument rules, .venv-glue (Glue 5.0's modules, no psycopg), Spark
// with S3A for the job's s3:// URIs. Then the real pyspark/glue_job.py on the Redshift path over bronze on S3.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GLUE_PYTHON,
  GlueInvalidInputError,
  pythonErrorLine,
  resolveArguments,
  startJobRun,
  type GlueJobDefinition,
} from '#local/glue/launcher.ts';
import { Deployment } from '#local/deploy/deployment.ts';
import { zip, zipTree } from '#local/glue/zip.ts';
import { freePort } from '#local/net.ts';
import { startMoto, type Moto } from './helpers/moto.ts';
import { ROOT } from './helpers/sim.ts';

let moto: Moto;
const ASSETS = 'glue-assets-111111111111';
const DATA = 'wistia-data-111111111111';
const tmp = mkdtempSync(join(tmpdir(), 'glue-runtime-'));
// the job role's identity (moto takes any keys) and region, as Glue gives them to a run
const env = {
  AWS_ACCESS_KEY_ID: 'AKIAGLUEJOBROLE00001',
  AWS_SECRET_ACCESS_KEY: 'glue-job-secret',
  AWS_REGION: 'us-east-1',
};

async function put(Bucket: string, Key: string, Body: string | Buffer): Promise<void> {
  await moto.s3.send(new PutObjectCommand({ Bucket, Key, Body }));
}
async function get(Bucket: string, Key: string): Promise<string> {
  const out = await moto.s3.send(new GetObjectCommand({ Bucket, Key }));
  return (await out.Body?.transformToString()) ?? '';
}
async function keys(Bucket: string, Prefix: string): Promise<string[]> {
  const out = await moto.s3.send(new ListObjectsV2Command({ Bucket, Prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

beforeAll(async () => {
  moto = await startMoto();
  for (const Bucket of [ASSETS, DATA]) await moto.s3.send(new CreateBucketCommand({ Bucket }));
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the Glue runtime twin', () => {
  it('holds Glue 5.0 modules only: no psycopg, boto3 1.34.131, pyspark 3.5.4', () => {
    const r = spawnSync(GLUE_PYTHON, ['-c', 'import psycopg'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ModuleNotFoundError: No module named 'psycopg'");
    const v = spawnSync(GLUE_PYTHON, ['-c', 'import boto3, pyspark; print(boto3.__version__, pyspark.__version__)'], {
      encoding: 'utf8',
    });
    expect(v.stdout.trim()).toBe('1.34.131 3.5.4');
  });

  it('runs a script asset from S3 with an extra-py-files zip and an extra file, its s3:// URIs through S3A', async () => {
    const script = [
      'import json, os, sys',
      'import twinlib  # from the --extra-py-files zip',
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()',
      `lines = spark.read.text("s3://${DATA}/in/").count()`,
      `spark.createDataFrame([(lines,)], "n long").coalesce(1).write.mode("overwrite").json("s3://${DATA}/out/count")`,
      'try:',
      '    import psycopg',
      '    pg = "importable"',
      'except ImportError as e:',
      '    pg = str(e)',
      'import boto3',
      'out = {"argv": sys.argv[1:], "files": sorted(f for f in os.listdir(".") if not f.startswith(".")), "settings": open("settings.json").read(),',
      '       "lib": twinlib.hello(), "lines": lines, "psycopg": pg, "data_api": os.environ.get("AWS_ENDPOINT_URL_REDSHIFT_DATA"),',
      '       "leaked": [k for k in os.environ if k.startswith(("WISTIA_", "VITEST"))]}',
      `boto3.client("s3").put_object(Bucket="${DATA}", Key="out/result.json", Body=json.dumps(out))`,
    ].join('\n');
    await put(ASSETS, 'scripts/twin_job.py', script);
    await put(
      ASSETS,
      'libs/twinlib.zip',
      zip([{ name: 'twinlib/__init__.py', data: Buffer.from('def hello():\n    return "from the zip"\n') }]),
    );
    await put(ASSETS, 'files/settings.json', '{"mode": "twin"}');
    await put(DATA, 'in/a.txt', 'one\ntwo\nthree\n');
    const job: GlueJobDefinition = {
      Name: 'twin-job',
      GlueVersion: '5.0',
      Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: `s3://${ASSETS}/scripts/twin_job.py` },
      DefaultArguments: {
        '--extra-py-files': `s3://${ASSETS}/libs/twinlib.zip`,
        '--extra-files': `s3://${ASSETS}/files/settings.json`,
        '--color': 'blue',
      },
    };
    const run = await startJobRun({
      job,
      arguments: { '--color': 'green' },
      s3: { client: moto.s3, endpoint: moto.endpoint },
      env: { ...env, AWS_ENDPOINT_URL_REDSHIFT_DATA: 'http://127.0.0.1:1' },
    });
    expect([run.JobRunState, run.ErrorMessage]).toEqual(['SUCCEEDED', undefined]);
    expect(run.JobName).toBe('twin-job');
    expect(run.Id).toMatch(/^jr_[0-9a-f]{64}$/);
    expect(run.Arguments).toEqual({ '--color': 'green' });
    const out = JSON.parse(await get(DATA, 'out/result.json')) as Record<string, unknown>;
    expect(out.lib).toBe('from the zip');
    expect(out.settings).toBe('{"mode": "twin"}');
    expect(out.files).toEqual(['settings.json', 'twin_job.py']); // --extra-files land in the working directory
    expect(out.lines).toBe(3); // read through S3A from moto
    expect(out.psycopg).toBe("No module named 'psycopg'");
    expect(out.data_api).toBe('http://127.0.0.1:1');
    expect(out.leaked).toEqual([]); // nothing of the caller's environment but what the job is given
    const argv = out.argv as string[];
    expect(argv.slice(0, 6)).toEqual(['--JOB_ID', 'j_twin-job', '--JOB_RUN_ID', run.Id, '--JOB_NAME', 'twin-job']);
    expect(argv.slice(argv.indexOf('--color'), argv.indexOf('--color') + 2)).toEqual(['--color', 'green']); // run over default
    expect((await keys(DATA, 'out/count/')).some((k) => /part-.*\.json$/.test(k))).toBe(true); // written through S3A
  });

  it('refuses an empty argument and a reserved one, as StartJobRun would, before anything runs', async () => {
    const job: GlueJobDefinition = { Name: 'j', Command: { ScriptLocation: `s3://${ASSETS}/scripts/none.py` } };
    const start = (a: Record<string, string>, d: Record<string, string> = {}) =>
      startJobRun({
        job: { ...job, DefaultArguments: d },
        arguments: a,
        s3: { client: moto.s3, endpoint: moto.endpoint },
        env,
      });
    await expect(start({}, { '--company_hosts': '' })).rejects.toThrow(
      new GlueInvalidInputError('argument --company_hosts has an empty value: leave it out instead'),
    );
    await expect(start({ '--JOB_NAME': 'other' })).rejects.toThrow(
      'argument --JOB_NAME is reserved: Glue sets it itself (do not set it)',
    );
    await expect(start({ '--conf': 'spark.x=1' })).rejects.toThrow(GlueInvalidInputError);
    await expect(start({ '--extra-py-files': `s3://${ASSETS}/libs/` })).rejects.toThrow(
      `--extra-py-files: s3://${ASSETS}/libs/ is not the S3 path of a file`,
    );
    await expect(start({ '--x': 'y'.repeat(270 * 1024) })).rejects.toThrow(/over Glue's 266240/);
    // precedence: NonOverridableArguments > run Arguments > DefaultArguments
    expect(
      resolveArguments(
        { ...job, DefaultArguments: { '--a': '1', '--b': '1' }, NonOverridableArguments: { '--b': '3' } },
        { '--a': '2', '--b': '2' },
      ),
    ).toEqual({ '--a': '2', '--b': '3' });
  });

  it('takes the job definition from a synthesized template, its intrinsic functions resolved', () => {
    // the shapes CDK synthesizes for the Glue job (asset URLs with Fn::Sub, bucket paths with Fn::Join)
    const template = {
      Resources: {
        StorageBucket19DB2FF8: { Type: 'AWS::S3::Bucket' },
        WarehouseJob1A2B3C4D: {
          Type: 'AWS::Glue::Job',
          Properties: {
            Name: 'wistia-transform',
            GlueVersion: '5.0',
            Command: {
              Name: 'glueetl',
              PythonVersion: '3',
              ScriptLocation: { 'Fn::Sub': 's3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/abc.py' },
            },
            DefaultArguments: {
              '--TempDir': { 'Fn::Join': ['', ['s3://', { Ref: 'StorageBucket19DB2FF8' }, '/tmp/glue/']] },
              '--redshift_iam_role': { 'Fn::GetAtt': ['WarehouseRedshiftCopyRole', 'Arn'] },
              '--warehouse': 'redshift',
            },
          },
        },
      },
    };
    const d = new Deployment(
      {
        Resources: {
          ...template.Resources,
          WarehouseRedshiftCopyRole: { Type: 'AWS::IAM::Role' },
        },
      },
      'WistiaPipeline',
      '111111111111',
      'us-east-1',
    );
    const job = d.glueJob();
    expect(job).toEqual({
      Name: 'wistia-transform',
      GlueVersion: '5.0',
      Command: {
        Name: 'glueetl',
        PythonVersion: '3',
        ScriptLocation: 's3://cdk-hnb659fds-assets-111111111111-us-east-1/abc.py',
      },
      DefaultArguments: {
        '--TempDir': `s3://${d.physicalName('StorageBucket19DB2FF8')}/tmp/glue/`,
        '--redshift_iam_role': `arn:aws:iam::111111111111:role/${d.physicalName('WarehouseRedshiftCopyRole')}`,
        '--warehouse': 'redshift',
      },
    });
    // a CloudFormation-generated bucket name: lower case, stack and logical id, a suffix
    expect(d.physicalName('StorageBucket19DB2FF8')).toMatch(/^wistiapipeline-storagebucket19db2ff8-[a-z0-9]{12}$/);
    expect(() => d.resolve({ 'Fn::GetAtt': ['WarehouseJob1A2B3C4D', 'Nonsense'] })).toThrow(
      'does not know Fn::GetAtt WarehouseJob1A2B3C4D.Nonsense',
    );
  });

  it("reports a failed run's Python error by its last line", () => {
    const stderr = [
      'WARN something',
      'Traceback (most recent call last):',
      '  File "x.py", line 1, in <module>',
      '    raise ValueError("first")',
      'ValueError: first',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "x.py", line 3, in <module>',
      'botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "http://127.0.0.1:9/"',
      '26/12/01 22:00:00 WARN ShutdownHookManager: shutdown',
    ].join('\n');
    expect(pythonErrorLine(stderr)).toBe(
      'botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "http://127.0.0.1:9/"',
    );
    expect(pythonErrorLine('no traceback here')).toBeUndefined();
  });
});

describe('pyspark/glue_job.py on the Redshift path in the twin, bronze on S3', () => {
  const RUN = 'scheduled-2026-11-20';
  const day = '2026-11-20';
  const bronze = (entity: string, scope: string, records: unknown[], scopeObj: Record<string, unknown> = {}) =>
    put(
      DATA,
      `bronze/${entity}/ingest_date=${day}/run=${RUN}/${scope}/page-00001.json`,
      JSON.stringify({
        entity,
        runId: RUN,
        ingestDate: day,
        scope: scopeObj,
        request: { endpoint: entity, status: 200, attempts: 1 },
        page: 1,
        fetchedAt: '2026-11-20T06:00:01.000Z',
        count: records.length,
        drift: [],
        records,
      }),
    );
  // the job definition as the stack defines it (infra/constructs/warehouse.ts), assets uploaded like the CDK's
  const job = (): GlueJobDefinition => ({
    Name: 'wistia-transform',
    GlueVersion: '5.0',
    Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: `s3://${ASSETS}/glue_job.py` },
    DefaultArguments: {
      '--TempDir': `s3://${DATA}/tmp/glue/`,
      '--job-bookmark-option': 'job-bookmark-disable',
      '--enable-metrics': 'true',
      '--enable-observability-metrics': 'true',
      '--extra-py-files': `s3://${ASSETS}/wistia_pipeline.zip`,
      '--warehouse': 'redshift',
      '--redshift_workgroup': 'wistia-analytics',
      '--redshift_database': 'analytics',
      '--redshift_iam_role': 'arn:aws:iam::111111111111:role/wistia-redshift-copy',
      '--redshift_tmp_dir': `s3://${DATA}/tmp/redshift/`,
      '--hash_pii': 'true',
    },
  });
  const report = (name: string) => join(tmp, `${name}.json`);
  const s3 = () => ({ client: moto.s3, endpoint: moto.endpoint });

  beforeAll(async () => {
    await put(ASSETS, 'glue_job.py', readFileSync(join(ROOT, 'pyspark', 'glue_job.py')));
    await put(ASSETS, 'wistia_pipeline.zip', zipTree(join(ROOT, 'pyspark'), join(ROOT, 'pyspark', 'wistia_pipeline')));
    await bronze('medias', 'all', [
      {
        hashed_id: 'm1',
        id: 1,
        name: 'Spring Teaser FB',
        type: 'Video',
        created: '2026-11-01T00:00:00Z',
        updated: '2026-11-19T00:00:00Z',
        duration: 30,
      },
    ]);
    await bronze(
      'events',
      'window=2026-11-19_2026-11-20',
      [
        {
          event_key: 'e1',
          received_at: '2026-11-19T10:00:00Z',
          visitor_key: 'v1',
          media_id: 'm1',
          percent_viewed: 0.5,
          embed_url: 'https://www.facebook.com/x',
          country: 'US',
          ip: '192.0.2.1',
        },
        // 3 characters, 9 bytes: over Redshift's VARCHAR(8), quarantined (finding 8)
        {
          event_key: 'e2',
          received_at: '2026-11-19T11:00:00Z',
          visitor_key: 'v1',
          media_id: 'm1',
          percent_viewed: 0.25,
          embed_url: 'https://www.youtube.com/x',
          country: '日本国',
        },
      ],
      { window: { start: '2026-11-19', end: '2026-11-20' } },
    );
    await bronze(
      'visitors',
      'lookup=00001',
      [
        {
          visitor_key: 'v1',
          load_count: 2,
          play_count: 2,
          visitor_identity: { name: 'Jo', email: 'jo@example.com', org: { name: 'Acme', title: null } },
        },
      ],
      { lookup: '00001' },
    );
    await bronze(
      'media_stats',
      'media=m1',
      [{ date: '2026-11-19', load_count: 3, play_count: 2, hours_watched: 0.01 }],
      { media: 'm1' },
    );
    await bronze('media_engagement', 'media=m1', [{ engagement: 0.4, engagement_data: [2, 1], rewatch_data: [0, 0] }], {
      media: 'm1',
    });
    await bronze(
      'projects',
      'all',
      [
        {
          id: 5,
          hashedId: 'p5',
          name: 'Paid Social',
          mediaCount: 1,
          updated: '2026-11-19T00:00:00+00:00',
          public: false,
        },
      ],
      { sortBy: 'updated', since: null },
    );
  }, 120_000);

  it('reads and transforms the bronze over s3a:// and writes the stage files, with no Data API call (--dry_run)', async () => {
    const run = await startJobRun({
      job: job(),
      arguments: {
        '--run_id': RUN,
        '--ingest_date': day,
        '--bucket': DATA,
        '--dry_run': 'true',
        '--quarantine_threshold': '0.5', // one of its two events is quarantined on purpose
        '--report': report('dry'),
      },
      s3: s3(),
      // a Data API nobody listens on: a dry run must not call it
      env: { ...env, AWS_ENDPOINT_URL_REDSHIFT_DATA: `http://127.0.0.1:${await freePort()}` },
    });
    expect([run.JobRunState, run.ErrorMessage]).toEqual(['SUCCEEDED', undefined]);
    const r = JSON.parse(readFileSync(report('dry'), 'utf8'));
    expect(r.bronze).toEqual({
      medias: { served: 1, loaded: 1, quarantined: 0, deduplicated: 0, skipped: 0 },
      events: { served: 2, loaded: 1, quarantined: 1, deduplicated: 0, skipped: 0 },
      visitors: { served: 1, loaded: 1, quarantined: 0, deduplicated: 0, skipped: 0 },
      media_stats: { served: 1, loaded: 1, quarantined: 0, deduplicated: 0, skipped: 0 },
      media_engagement: { served: 1, loaded: 1, quarantined: 0, deduplicated: 0, skipped: 0 },
      projects: { served: 1, loaded: 1, quarantined: 0, deduplicated: 0, skipped: 0 },
      account_stats: { served: 0, loaded: 0, quarantined: 0, deduplicated: 0, skipped: 0 },
      media_lifetime: { served: 0, loaded: 0, quarantined: 0, deduplicated: 0, skipped: 0 },
    });
    expect(r.findings).toEqual([]);
    expect(r.rows).toEqual({
      dim_date: 1,
      dim_project: 1,
      dim_media: 1,
      dim_visitor: 1,
      fct_viewing_event: 1,
      fct_media_engagement: 1,
      media_engagement_curve: 1,
      fct_account_daily: 0,
      fct_media_snapshot: 0,
    });
    expect(r.plan).toEqual({ staging_statements: 22, publish_statements: 36, max_batch: 40 });
    expect(r.staged.dim_media).toBe(`s3://${DATA}/tmp/redshift/${RUN}/dim_media/`);
    const part = async (table: string) => {
      const k = (await keys(DATA, `tmp/redshift/${RUN}/${table}/`)).filter((x) => /part-/.test(x));
      expect(k).toHaveLength(1);
      return get(DATA, k[0] as string);
    };
    expect(await part('dim_media')).toMatch(/^m1,1,Spring Teaser FB,Video,/);
    const event = await part('fct_viewing_event');
    expect(event).toMatch(/^e1,m1,v1,2026-11-19,/);
    expect(event).toContain(',facebook,'); // channel
    expect(event).not.toContain('192.0.2.1'); // --hash_pii true: the ip is staged as its SHA-256
    expect(await part('quarantine')).toContain(
      'fct_viewing_event.country: 9 bytes, over its VARCHAR(8) (Redshift counts bytes)',
    );
  });

  it('passes a replay that fetched nothing on S3 too (finding 6)', async () => {
    const run = await startJobRun({
      job: job(),
      arguments: {
        '--run_id': 'replay-1',
        '--ingest_date': day,
        '--bucket': DATA,
        '--bronze_runs': 'replay-1,never-fetched',
        '--dry_run': 'true',
        '--report': report('empty'),
      },
      s3: s3(),
      env,
    });
    expect([run.JobRunState, run.ErrorMessage]).toEqual(['SUCCEEDED', undefined]);
    const r = JSON.parse(readFileSync(report('empty'), 'utf8'));
    expect(Object.values(r.bronze)).toEqual(
      Array(8).fill({ served: 0, loaded: 0, quarantined: 0, deduplicated: 0, skipped: 0 }), // eight entities
    );
  });

  it('goes on the Redshift path with Glue 5.0 modules only, failing only at the Data API endpoint it is given', async () => {
    const port = await freePort();
    const run = await startJobRun({
      job: job(),
      arguments: { '--run_id': RUN, '--ingest_date': day, '--bucket': DATA, '--report': report('wet') },
      s3: s3(),
      env: { ...env, AWS_ENDPOINT_URL_REDSHIFT_DATA: `http://127.0.0.1:${port}` },
    });
    // without finding 1's fix: "ModuleNotFoundError: No module named 'psycopg'"
    expect(run.JobRunState).toBe('FAILED');
    expect(run.ErrorMessage).toBe(
      `botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "http://127.0.0.1:${port}/"`,
    );
    const r = JSON.parse(readFileSync(report('wet'), 'utf8'));
    expect([r.status, r.error]).toEqual(['FAILED', 'EndpointConnectionError']);
  });
});
