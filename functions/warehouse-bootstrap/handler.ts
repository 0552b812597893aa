// The warehouse bootstrap: a CloudFormation custom resource (invoked by CloudFormation itself, answering by
// PUT to the event's ResponseURL in the cfn-response format) that creates the schema, the tables and the
// stage tables (sql/ddl/redshift.sql), then the database roles and their grants (sql/ddl/redshift-grants.sql),
// as the namespace's admin through the Redshift Data API.
//
// - The admin's credentials: the namespace manages the admin password in Secrets Manager
//   (manageAdminPassword); CloudFormation exposes no attribute for that secret (aws/aws-cdk#29930), so
//   GetNamespace gives its ARN (namespace.adminPasswordSecretArn), and the Data API is called with SecretArn +
//   WorkgroupName + Database. The secret's value is never read here (the Data API reads it), never logged.
// - BatchExecuteStatement takes 1..40 statements (botocore's model: SqlList) and runs them as one
//   transaction (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html); each statement is at most
//   100 KB. Statements are sent in order, in batches of at most 40; CREATE ROLE (which has no IF NOT EXISTS)
//   runs on its own so that "already exists" on a re-run fails nothing else.
// - The Data API is asynchronous: DescribeStatement is polled until FINISHED, FAILED or ABORTED, within the
//   Lambda's remaining time (an unanswered custom resource hangs the stack for an hour).
// - Responses (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html):
//   Status, Reason (required with FAILED), PhysicalResourceId, StackId, RequestId, LogicalResourceId, NoEcho,
//   Data. The PhysicalResourceId stays the same on Update (a new one would make CloudFormation delete the old
//   resource). Delete runs no SQL: the warehouse's data is retained.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type DescribeStatementResponse,
} from '@aws-sdk/client-redshift-data';
import { GetNamespaceCommand, type GetNamespaceResponse } from '@aws-sdk/client-redshift-serverless';
import type { LambdaContextLike } from '../shared/pipeline/deps.ts';
import { wrap } from '../shared/pipeline/lambda.ts';
import { logger } from '../shared/powertools.ts';
import { SQL_DIR, SQL_FILES } from './sql-files.ts';

export { SQL_FILES } from './sql-files.ts';
/** BatchExecuteStatement's SqlList maximum (botocore's model). */
export const MAX_BATCH = 40;
/** "The maximum query statement size is 100 KB" (Data API considerations). */
export const MAX_STATEMENT_BYTES = 100 * 1024;

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}
export class WarehouseBootstrapError extends Error {
  override name = 'WarehouseBootstrapError';
}
export class BootstrapTimeoutError extends Error {
  override name = 'BootstrapTimeoutError';
}

export interface SendingClient {
  send(command: object): Promise<unknown>;
}

export interface SqlFile {
  readonly name: string;
  readonly text: string;
}

export interface BootstrapDeps {
  /** @aws-sdk/client-redshift-data */
  readonly data: SendingClient;
  /** @aws-sdk/client-redshift-serverless */
  readonly serverless: SendingClient;
  /** The two SQL files, in order. */
  readonly sql: () => SqlFile[];
  /** PUTs the response JSON to the ResponseURL. Default: fetch. */
  readonly respond?: (url: string, body: string) => Promise<void>;
  /** First wait between DescribeStatement polls, doubling to 2 s. Default 250 ms. */
  readonly pollMs?: number;
  /** Time kept back from the Lambda's remaining time to answer CloudFormation. Default 20 s. */
  readonly reserveMs?: number;
}

export interface CfnResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho: boolean;
  readonly Data: Record<string, string>;
}

interface Event {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly props: { NamespaceName: string; WorkgroupName: string; Database: string; DdlHash: string };
}

function parseEvent(raw: unknown): Event {
  const e = (raw ?? {}) as Record<string, unknown>;
  const str = (o: Record<string, unknown>, k: string, where: string) => {
    const v = o[k];
    if (typeof v !== 'string' || !v) throw new InvalidEventError(`${where}${k} is missing`);
    return v;
  };
  const type = str(e, 'RequestType', '');
  if (!['Create', 'Update', 'Delete'].includes(type))
    throw new InvalidEventError(`RequestType ${type} is not Create, Update or Delete`);
  const props = (e.ResourceProperties ?? {}) as Record<string, unknown>;
  const base = {
    RequestType: type as Event['RequestType'],
    ResponseURL: str(e, 'ResponseURL', ''),
    StackId: str(e, 'StackId', ''),
    RequestId: str(e, 'RequestId', ''),
    LogicalResourceId: str(e, 'LogicalResourceId', ''),
    ...(typeof e.PhysicalResourceId === 'string' ? { PhysicalResourceId: e.PhysicalResourceId } : {}),
  };
  if (type === 'Delete') return { ...base, props: props as Event['props'] };
  return {
    ...base,
    props: {
      NamespaceName: str(props, 'NamespaceName', 'ResourceProperties.'),
      WorkgroupName: str(props, 'WorkgroupName', 'ResourceProperties.'),
      Database: str(props, 'Database', 'ResourceProperties.'),
      DdlHash: str(props, 'DdlHash', 'ResourceProperties.'),
    },
  };
}

export interface SqlStatementText {
  readonly file: string;
  /** 1-based position of the statement in its file. */
  readonly index: number;
  readonly sql: string;
}

/** The statements of a SQL file: `--` comments dropped, split on semicolons outside quotes. */
export function splitSql(file: SqlFile): SqlStatementText[] {
  const out: SqlStatementText[] = [];
  const text = file.text;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++;
      cur += '\n';
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      cur += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === ';') {
      if (cur.trim()) out.push({ file: file.name, index: out.length + 1, sql: cur.trim() });
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push({ file: file.name, index: out.length + 1, sql: cur.trim() });
  return out;
}

const isCreateRole = (s: string) => /^CREATE\s+ROLE\b/i.test(s);
const firstLine = (s: string) => {
  const l = s.split('\n')[0]?.trim() ?? '';
  return l.length > 80 ? `${l.slice(0, 77)}...` : l;
};
const where = (s: SqlStatementText) => `statement ${s.index} of ${s.file} (${firstLine(s.sql)})`;

/** The batches to send, in order: runs of at most 40 statements, each CREATE ROLE alone. */
export function plan(statements: SqlStatementText[]): SqlStatementText[][] {
  const batches: SqlStatementText[][] = [];
  let cur: SqlStatementText[] = [];
  const flush = () => {
    if (cur.length) batches.push(cur);
    cur = [];
  };
  for (const s of statements) {
    if (Buffer.byteLength(s.sql, 'utf8') > MAX_STATEMENT_BYTES)
      throw new WarehouseBootstrapError(`${where(s)} is over the Data API's 100 KB statement limit`);
    if (isCreateRole(s.sql)) {
      flush();
      batches.push([s]);
      continue;
    }
    cur.push(s);
    if (cur.length === MAX_BATCH) flush();
  }
  flush();
  return batches;
}

async function runDdl(e: Event, context: LambdaContextLike, deps: BootstrapDeps): Promise<Record<string, string>> {
  const { NamespaceName, WorkgroupName, Database, DdlHash } = e.props;
  const reserve = deps.reserveMs ?? 20_000;
  const deadline = () => context.getRemainingTimeInMillis() - reserve;
  const ns = (await deps.serverless.send(
    new GetNamespaceCommand({ namespaceName: NamespaceName }),
  )) as GetNamespaceResponse;
  const secretArn = ns.namespace?.adminPasswordSecretArn;
  if (!secretArn)
    throw new WarehouseBootstrapError(
      `namespace ${NamespaceName} has no managed admin secret (adminPasswordSecretArn): the namespace needs manageAdminPassword: true`,
    );
  const statements = deps.sql().flatMap(splitSql);
  const batches = plan(statements);
  logger.info('bootstrapping the warehouse', {
    namespace: NamespaceName,
    workgroup: WorkgroupName,
    database: Database,
    ddlHash: DdlHash,
    statements: statements.length,
    batches: batches.length,
  });
  let tolerated = 0;
  for (const batch of batches) {
    const single = batch.length === 1 && isCreateRole(batch[0]!.sql);
    const started = single
      ? await deps.data.send(
          new ExecuteStatementCommand({ WorkgroupName, Database, SecretArn: secretArn, Sql: batch[0]!.sql }),
        )
      : await deps.data.send(
          new BatchExecuteStatementCommand({
            WorkgroupName,
            Database,
            SecretArn: secretArn,
            Sqls: batch.map((s) => s.sql),
          }),
        );
    const id = (started as { Id?: string }).Id;
    if (!id) throw new WarehouseBootstrapError(`the Data API returned no statement id for ${where(batch[0]!)}`);
    const d = await waitFor(id, deps, deadline, batch);
    if (d.Status === 'FINISHED') continue;
    // the sub-statement that failed; none (an aborted batch, an error of the batch itself): the whole batch
    const failedAt = single ? 0 : (d.SubStatements?.findIndex((s) => s.Status === 'FAILED') ?? -1);
    const failed = batch[failedAt];
    const error = (single ? d.Error : (d.SubStatements?.[failedAt]?.Error ?? d.Error)) ?? 'no error given';
    if (single && failed && /already exists/i.test(error)) {
      logger.info('role already exists', { statement: where(failed) });
      tolerated++;
      continue;
    }
    const what = failed
      ? where(failed)
      : `the batch of ${where(batch[0]!)} to statement ${batch.at(-1)!.index} of ${batch.at(-1)!.file}`;
    throw new WarehouseBootstrapError(`${what} ${d.Status === 'ABORTED' ? 'was aborted' : 'failed'}: ${error}`);
  }
  logger.info('warehouse bootstrapped', {
    statements: statements.length,
    batches: batches.length,
    alreadyExisting: tolerated,
  });
  return { Statements: String(statements.length), Batches: String(batches.length), DdlHash };
}

async function waitFor(
  id: string,
  deps: BootstrapDeps,
  deadline: () => number,
  batch: SqlStatementText[],
): Promise<DescribeStatementResponse> {
  let wait = deps.pollMs ?? 250;
  for (;;) {
    const d = (await deps.data.send(new DescribeStatementCommand({ Id: id }))) as DescribeStatementResponse;
    if (d.Status === 'FINISHED' || d.Status === 'FAILED' || d.Status === 'ABORTED') return d;
    if (deadline() <= wait)
      throw new BootstrapTimeoutError(
        `statement ${id} (${where(batch[0]!)}${batch.length > 1 ? ` and ${batch.length - 1} more` : ''}) is still ${d.Status} and the Lambda is about to time out`,
      );
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(2000, wait * 2);
  }
}

const REASON_MAX = 1500; // the whole response must stay under CloudFormation's 4096 bytes

async function put(url: string, body: string): Promise<void> {
  // cfn-response's way: PUT with an empty content-type (the presigned S3 URL signs none)
  const r = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  if (!r.ok) throw new WarehouseBootstrapError(`CloudFormation's ResponseURL answered ${r.status} ${r.statusText}`);
}

export async function onEvent(raw: unknown, context: LambdaContextLike, deps: BootstrapDeps): Promise<CfnResponse> {
  const url = (raw as { ResponseURL?: unknown } | undefined)?.ResponseURL;
  if (typeof url !== 'string' || !url)
    throw new InvalidEventError('ResponseURL is missing: there is nowhere to answer');
  let response: CfnResponse;
  let e: Event | undefined;
  try {
    e = parseEvent(raw);
    const physical = e.PhysicalResourceId ?? `${e.props.NamespaceName}/${e.props.Database}/warehouse-bootstrap`;
    const data = e.RequestType === 'Delete' ? {} : await runDdl(e, context, deps);
    if (e.RequestType === 'Delete')
      logger.info('delete: no SQL runs, the warehouse is retained', { physicalResourceId: physical });
    response = { Status: 'SUCCESS', PhysicalResourceId: physical, ...ids(raw), NoEcho: false, Data: data };
  } catch (err) {
    const error = err as Error;
    const reason = `${error.name}: ${error.message}`;
    logger.error('warehouse bootstrap failed', { error: reason });
    const r = raw as Record<string, unknown>;
    response = {
      Status: 'FAILED',
      Reason: reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX - 3)}...` : reason,
      // A failed Create has no resource yet: a fixed id keeps CloudFormation from deleting a real one later.
      PhysicalResourceId:
        typeof r.PhysicalResourceId === 'string'
          ? r.PhysicalResourceId
          : `${String(r.LogicalResourceId ?? 'WarehouseBootstrap')}-failed-create`,
      ...ids(raw),
      NoEcho: false,
      Data: {},
    };
  }
  await (deps.respond ?? put)(url, JSON.stringify(response));
  return response;
}

function ids(raw: unknown): Pick<CfnResponse, 'StackId' | 'RequestId' | 'LogicalResourceId'> {
  const r = raw as Record<string, unknown>;
  return {
    StackId: String(r.StackId ?? ''),
    RequestId: String(r.RequestId ?? ''),
    LogicalResourceId: String(r.LogicalResourceId ?? ''),
  };
}

/**
 * The SQL files: in the Lambda bundle at $LAMBDA_TASK_ROOT/sql/ddl (copied there at synth), else the repository's
 * sql/ddl.
 */
export function sqlFromDisk(env: NodeJS.ProcessEnv = process.env): () => SqlFile[] {
  return () => {
    const dir = join(env.LAMBDA_TASK_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'), SQL_DIR);
    return SQL_FILES.map((name) => {
      if (!existsSync(join(dir, name))) throw new WarehouseBootstrapError(`${name} is missing from ${dir}`);
      return { name, text: readFileSync(join(dir, name), 'utf8') };
    });
  };
}

export const makeHandler = (deps: BootstrapDeps) => wrap((event, context) => onEvent(event, context, deps));
