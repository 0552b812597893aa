// The Glue runtime twin: runs a Glue job as AWS Glue 5.0 would, on this machine. From a job definition (its name,
// Command.ScriptLocation, DefaultArguments, NonOverridableArguments) and a run's Arguments it downloads the script,
// --extra-py-files and --extra-files from S3 (moto's server in tests), refuses what Glue documents as refused, and
// runs the script with .venv-glue's Python (Glue 5.0's modules only: no psycopg) under Spark 3.5.4 with the S3A
// connector, so the job's own s3:// URIs go to the given S3 endpoint. The job learns nothing about endpoints: its
// arguments are Glue's, and everything else (credentials, region, the Data API endpoint) comes from its environment,
// as on Glue. The result is a Glue JobRun (JobRunState, ErrorMessage = the Python error's last line).
//
// Docs: job parameters https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html;
// JobRun https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html; Glue 5.0 (Spark 3.5.4, Python 3.11,
// Java 17) https://docs.aws.amazon.com/glue/latest/dg/release-notes.html.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GLUE_PYTHON = join(ROOT, '.venv-glue', 'bin', 'python');
/** hadoop-aws matching pyspark 3.5.4's Hadoop (3.3.4) and the AWS SDK bundle it was built with (scripts/bootstrap.mjs). */
export const S3A_JARS = ['hadoop-aws-3.3.4.jar', 'aws-java-sdk-bundle-1.12.262.jar'].map((n) =>
  join(ROOT, '.tools', 'jars', n),
);

/** The parts of a Glue job definition (GetJob's Job, or the template's AWS::Glue::Job resolved) a run needs. */
export interface GlueJobDefinition {
  readonly Name: string;
  readonly Command: { readonly ScriptLocation: string; readonly Name?: string; readonly PythonVersion?: string };
  readonly DefaultArguments?: Readonly<Record<string, string>>;
  readonly NonOverridableArguments?: Readonly<Record<string, string>>;
  readonly GlueVersion?: string;
  /** minutes (Glue's default: 2,880) */
  readonly Timeout?: number;
}

export interface StartJobRunOptions {
  readonly job: GlueJobDefinition;
  /** the run's Arguments (StartJobRun) */
  readonly arguments?: Readonly<Record<string, string>>;
  /** where the job's S3 is: the client downloads the assets, the endpoint is what S3A and boto3 talk to */
  readonly s3: { readonly client: S3Client; readonly endpoint: string };
  /**
   * The job's environment, as its IAM role gives it on Glue: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and
   * AWS_SESSION_TOKEN) of the role's identity, AWS_REGION, and service endpoints such as
   * AWS_ENDPOINT_URL_REDSHIFT_DATA. Nothing else of this process's environment reaches the job.
   */
  readonly env: Readonly<Record<string, string>>;
  /** the Python to run (default .venv-glue/bin/python) and the S3A jars (default .tools/jars) */
  readonly python?: string;
  readonly jars?: readonly string[];
  /** overrides the job's Timeout */
  readonly timeoutMs?: number;
  /** every chunk the job prints (both streams), e.g. to a log file */
  readonly onOutput?: (chunk: string) => void;
  /** keep the run's working directory (default: removed) */
  readonly keepWorkDir?: boolean;
}

export interface GlueJobRun {
  readonly Id: string;
  readonly JobName: string;
  readonly JobRunState: 'SUCCEEDED' | 'FAILED' | 'TIMEOUT';
  /** seconds */
  readonly ExecutionTime: number;
  readonly ErrorMessage?: string;
  /** the run's Arguments, as GetJobRun returns them */
  readonly Arguments: Record<string, string>;
  readonly GlueVersion?: string;
  readonly Attempt: number;
  readonly StartedOn: Date;
  readonly CompletedOn: Date;
  /** where the run worked, when kept */
  readonly WorkDir?: string;
}

/** What StartJobRun itself would refuse: nothing ran. */
export class GlueInvalidInputError extends Error {
  override name = 'GlueInvalidInputError';
}

/**
 * Argument names Glue uses itself. The job-parameters page: "--conf, --debug, --mode, --JOB_NAME — Internal to AWS
 * Glue. Do not set!" (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html, its
 * source: awsdocs/aws-glue-developer-guide doc_source/aws-glue-programming-etl-glue-arguments.md; today's page
 * describes --conf as for advanced use: the stricter reading is kept). --endpoint, --JOB_ID and --JOB_RUN_ID:
 * [unconfirmed] (--endpoint is listed as reserved in ../shared/aws-notes; the other two are what Glue passes every
 * script): refused, the stricter behaviour.
 */
export const RESERVED_ARGUMENTS = [
  '--conf',
  '--debug',
  '--mode',
  '--JOB_NAME',
  '--endpoint',
  '--JOB_ID',
  '--JOB_RUN_ID',
];
/** "Job arguments have a maximum size limit of 260KB." (job-parameters page) */
export const MAX_ARGUMENTS_BYTES = 260 * 1024;

/**
 * The run's effective arguments: "job NonOverridableArguments will override job run Arguments, which will override
 * job DefaultArguments" (job-parameters page), checked as Glue checks them.
 */
export function resolveArguments(
  job: GlueJobDefinition,
  run: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const sources = [job.DefaultArguments ?? {}, run, job.NonOverridableArguments ?? {}];
  for (const source of sources)
    for (const [k, v] of Object.entries(source)) {
      if (RESERVED_ARGUMENTS.includes(k))
        throw new GlueInvalidInputError(`argument ${k} is reserved: Glue sets it itself (do not set it)`);
      // [unconfirmed] Glue's docs name every job argument "--name"; a key without the dashes is refused (stricter)
      if (!/^--[A-Za-z0-9_.-]+$/.test(k))
        throw new GlueInvalidInputError(`argument name ${JSON.stringify(k)} is not --name`);
      // [unconfirmed] the docs say nothing of empty values; an empty one reaches the script as a flag without a
      // value (issue 11, finding 17), so it is refused (stricter): leave the argument out instead
      if (typeof v !== 'string' || v === '')
        throw new GlueInvalidInputError(`argument ${k} has an empty value: leave it out instead`);
    }
  const merged = Object.assign({}, ...sources) as Record<string, string>;
  const size = Object.entries(merged).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > MAX_ARGUMENTS_BYTES)
    throw new GlueInvalidInputError(`the job's arguments are ${size} bytes, over Glue's ${MAX_ARGUMENTS_BYTES}`);
  for (const k of ['--extra-py-files', '--extra-files'])
    for (const p of list(merged[k]))
      // "Only individual files are supported, not a directory path." (job-parameters page)
      if (!/^s3:\/\/[^/]+\/.+[^/]$/.test(p)) throw new GlueInvalidInputError(`${k}: ${p} is not the S3 path of a file`);
  return merged;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function s3Location(uri: string): { Bucket: string; Key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new GlueInvalidInputError(`not an S3 object URI: ${uri}`);
  return { Bucket: m[1] as string, Key: m[2] as string };
}

async function download(s3: S3Client, uri: string, file: string): Promise<void> {
  const out = await s3.send(new GetObjectCommand(s3Location(uri)));
  if (!out.Body) throw new Error(`${uri} has no body`);
  writeFileSync(file, await out.Body.transformToByteArray());
}

/** The Python exception's last line in ``stderr`` (what Glue shows as the run's ErrorMessage). */
export function pythonErrorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--)
    if ((lines[i] as string).startsWith('Traceback (most recent call last):')) {
      start = i;
      break;
    }
  if (start < 0) return undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = (lines[i] as string).trimEnd();
    if (line && !line.startsWith(' ') && !line.startsWith('\t')) return line;
  }
  return undefined;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Spark's submit arguments for the job: the S3A jars, s3:// and s3a:// through S3A, to ``endpoint``. */
export function sparkSubmitArgs(endpoint: string, region: string, jars: readonly string[]): string {
  const url = new URL(endpoint);
  // https://hadoop.apache.org/docs/r3.3.4/hadoop-aws/tools/hadoop-aws/index.html (fs.s3a.* options)
  const conf: Record<string, string> = {
    'spark.hadoop.fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem', // the job's s3:// URIs (EMRFS on Glue)
    'spark.hadoop.fs.s3a.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    'spark.hadoop.fs.AbstractFileSystem.s3.impl': 'org.apache.hadoop.fs.s3a.S3A',
    'spark.hadoop.fs.s3a.endpoint': endpoint,
    'spark.hadoop.fs.s3a.endpoint.region': region,
    'spark.hadoop.fs.s3a.path.style.access': 'true',
    'spark.hadoop.fs.s3a.connection.ssl.enabled': url.protocol === 'https:' ? 'true' : 'false',
    // the role's credentials from the environment only: no instance-metadata lookup off this machine
    'spark.hadoop.fs.s3a.aws.credentials.provider': 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider',
  };
  const args = ['--jars', jars.join(','), ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`])];
  return [...args, 'pyspark-shell'].map(shellQuote).join(' ');
}

/** StartJobRun + wait: runs the job to its end and returns its JobRun. */
export async function startJobRun(o: StartJobRunOptions): Promise<GlueJobRun> {
  const args = resolveArguments(o.job, o.arguments);
  const python = o.python ?? GLUE_PYTHON;
  const jars = o.jars ?? S3A_JARS;
  for (const f of [python, ...jars])
    if (!existsSync(f))
      throw new Error(`the Glue runtime twin is missing ${f}: run "npm run setup" (npm test installs it too)`);
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'])
    if (!o.env[k]) throw new Error(`the job's environment needs ${k} (its role's identity and region)`);
  if (args['--additional-python-modules'])
    throw new GlueInvalidInputError(
      '--additional-python-modules: Glue would pip-install them when the run starts, and the job runs in a VPC with no route to PyPI; ship them in --extra-py-files instead',
    );

  const id = `jr_${randomBytes(32).toString('hex')}`;
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'glue-run-'));
  const pyDir = join(work, '.glue-py');
  mkdirSync(pyDir);
  const finish = (state: GlueJobRun['JobRunState'], error?: string): GlueJobRun => {
    const completed = new Date();
    if (!o.keepWorkDir) rmSync(work, { recursive: true, force: true });
    return {
      Id: id,
      JobName: o.job.Name,
      JobRunState: state,
      ExecutionTime: Math.round((completed.getTime() - started.getTime()) / 1000),
      ...(error ? { ErrorMessage: error } : {}),
      Arguments: { ...(o.arguments ?? {}) },
      ...(o.job.GlueVersion ? { GlueVersion: o.job.GlueVersion } : {}),
      Attempt: 0,
      StartedOn: started,
      CompletedOn: completed,
      ...(o.keepWorkDir ? { WorkDir: work } : {}),
    };
  };

  // the assets, as Glue stages them: the script and --extra-files in the working directory, --extra-py-files on
  // the Python path ("The Amazon S3 paths to additional Python modules that AWS Glue adds to the Python path"),
  // --extra-jars on the classpath. "--scriptLocation … overrides a script location set in the JobCommand object."
  const scriptUri = args['--scriptLocation'] ?? o.job.Command.ScriptLocation;
  const script = join(work, basename(s3Location(scriptUri).Key));
  const pythonPath: string[] = [];
  const extraJars: string[] = [];
  try {
    await download(o.s3.client, scriptUri, script);
    for (const uri of list(args['--extra-files'])) await download(o.s3.client, uri, join(work, basename(uri)));
    for (const uri of list(args['--extra-py-files'])) {
      const file = join(pyDir, basename(uri));
      await download(o.s3.client, uri, file);
      if (/\.(zip|egg|whl)$/.test(file)) pythonPath.push(file);
    }
    for (const uri of list(args['--extra-jars'])) {
      const file = join(work, '.glue-jars', basename(uri));
      mkdirSync(dirname(file), { recursive: true });
      await download(o.s3.client, uri, file);
      extraJars.push(file);
    }
  } catch (e) {
    return finish('FAILED', `could not stage the job's files from S3: ${(e as Error).name}: ${(e as Error).message}`);
  }
  pythonPath.push(pyDir);

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? work,
    ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
    LANG: 'C.UTF-8',
    TMPDIR: work,
    AWS_DEFAULT_REGION: o.env.AWS_REGION as string, // botocore reads AWS_DEFAULT_REGION
    AWS_ENDPOINT_URL_S3: o.s3.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...o.env,
    PYSPARK_PYTHON: python,
    PYSPARK_SUBMIT_ARGS: sparkSubmitArgs(o.s3.endpoint, o.env.AWS_REGION as string, [...jars, ...extraJars]),
    PYTHONPATH: pythonPath.join(':'),
    SPARK_LOCAL_IP: '127.0.0.1',
  };
  const argv = [script, '--JOB_ID', `j_${o.job.Name}`, '--JOB_RUN_ID', id, '--JOB_NAME', o.job.Name];
  for (const [k, v] of Object.entries(args)) argv.push(k, v);

  const timeoutMs = o.timeoutMs ?? (o.job.Timeout ?? 2880) * 60_000;
  const child = spawn(python, argv, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  const keep = (chunk: Buffer, isErr: boolean): void => {
    const text = chunk.toString();
    if (isErr) stderr = (stderr + text).slice(-1_000_000);
    o.onOutput?.(text);
  };
  child.stdout.on('data', (c: Buffer) => keep(c, false));
  child.stderr.on('data', (c: Buffer) => keep(c, true));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) process.kill(-child.pid, 'SIGKILL'); // the run's process group: Python and its JVM
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  if (timedOut) return finish('TIMEOUT', `the run exceeded its timeout of ${Math.round(timeoutMs / 60_000)} minutes`);
  if (code === 0) return finish('SUCCEEDED');
  // [unconfirmed] Glue's wording for a script that exits non-zero without an exception
  return finish('FAILED', pythonErrorLine(stderr) ?? `Command failed with exit code ${code}`);
}
