// The Redshift Data API stand-in: an HTTP server speaking the Data API's wire protocol (AWS JSON 1.1, POST /
// with X-Amz-Target: RedshiftData.<Operation>, and RedshiftServerless.GetNamespace for the bootstrap), so that
// boto3 (the Glue job) and @aws-sdk/client-redshift-data / client-redshift-serverless (the dashboard's --aws
// path, the bootstrap) talk to it over real HTTP with nothing but an endpoint override. It runs the SQL on an
// embedded PostgreSQL database after translating it from Redshift's dialect (translate.py), as the caller's
// database user, and refuses what Redshift refuses. local/redshift/README.md lists every rule with its page.
//
// The wire protocol and shapes: botocore's service models (model.ts validates each request against them).
// Limits and behaviour, from https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html ("Considerations
// when calling the Amazon Redshift Data API") unless noted:
// - "The maximum query statement size is 100 KB" (ValidationException "Cannot process query string larger
//   than 100kB", the message AWS returns); BatchExecuteStatement takes 1..40 statements (SqlList min 1 max 40).
// - "The maximum number of active queries (STARTED and SUBMITTED queries) ... is 200" (the 2023 page; the
//   stricter of the published figures): ActiveStatementsExceededException.
// - "The maximum retention time for query results is 24 hours"; "for a client token ... 8 hours" (ClientToken
//   makes ExecuteStatement / BatchExecuteStatement idempotent).
// - Calls are asynchronous: a statement goes SUBMITTED -> PICKED -> STARTED -> FINISHED | FAILED | ABORTED
//   (StatusString in the model); callers poll DescribeStatement. A batch's sub-statements are "<id>:<n>"
//   (DescribeStatement / GetStatementResult Id, API reference).
// - GetStatementResult pages with NextToken; the page size is the stand-in's (resultPageRows), so callers
//   must page. 64 KB per row, 100 MB per result (data-api-troubleshooting.html; engine.ts).
// - "users with the same IAM role or IAM permissions as the runner of an ExecuteStatement or
//   BatchExecuteStatement API operation can act on the same statement with CancelStatement,
//   DescribeStatement, GetStatementResult, and ListStatements": others get ResourceNotFoundException.
// - Authentication: SecretArn (the namespace's admin secret: runs as the admin, a superuser) or, for a
//   serverless workgroup, temporary credentials: "The database user name is derived from the IAM identity.
//   For example, arn:iam::123456789012:user:foo has the database user name IAM:foo. Also, permission to call
//   the redshift-serverless:GetCredentials operation is required." A role's user is IAMR:<role name>
//   (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html). DbUser and
//   ClusterIdentifier are for provisioned clusters only.
// - "Only the execute-statement operation supports SQL statements with parameters" is the 2023 page; botocore's
//   current model accepts Parameters on BatchExecuteStatement too, so both are accepted. "You can't set a zero
//   length value" (ParameterValue min 1).
// - The caller's identity is the access key id in the SigV4 Authorization header (the stand-in is given the
//   identities; it does not check signatures: it holds no secret keys). If an identity comes with resolved
//   IAM policy documents, every call must be allowed by them (iam.ts): redshift-data:<Operation> on the
//   workgroup ARN (ExecuteStatement / BatchExecuteStatement) or "*" (the statement calls, condition key
//   redshift-data:statement-owner-iam-userid), redshift-serverless:GetCredentials on the workgroup ARN,
//   secretsmanager:GetSecretValue on the secret, redshift-serverless:GetNamespace on the namespace ARN
//   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftdataapi.html,
//   .../list_amazonredshiftserverless.html).
import { randomUUID, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Engine, type Caller, type StatementRecord, type SubStatement } from './engine.ts';
import { deniedMessage, evaluate, type Request } from './iam.ts';
import { botocoreData, loadModel, RequestError, validateInput, type ServiceModel } from './model.ts';
import { Translator } from './translator.ts';

import { arnParts, callerOf, dbUserOf, type IdentityConfig } from './identity.ts';

export { dbUserOf, type IdentityConfig } from './identity.ts';

export interface RedshiftDataApiOptions {
  /** Superuser DSN of an embedded PostgreSQL database: "the workgroup's database". */
  readonly pg: { readonly dsn: string };
  /** The Redshift database name callers must pass (e.g. "analytics"). */
  readonly database: string;
  readonly workgroupName: string;
  readonly workgroupArn: string;
  readonly namespaceName: string;
  /** The namespace's ARN (what GetNamespace is authorized on). Default: one derived from the workgroup's. */
  readonly namespaceArn?: string;
  /** SecretArn calls run as this (super)user. */
  readonly adminUsername: string;
  readonly adminSecretArn: string;
  /** The namespace's IamRoles: a COPY's IAM_ROLE must be one of them. */
  readonly iamRoles: string[];
  /** By access key id. */
  readonly identities: Record<string, IdentityConfig>;
  /**
   * A COPY's IAM_ROLE may read S3 only where these policies allow, and must trust Redshift Serverless in its trust
   * policy (each when given).
   */
  readonly roleIdentities?: Record<string, { policies?: unknown[]; trust?: unknown }>;
  readonly s3: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** Rows per GetStatementResult page. Default 500 (the real page size is not documented). */
  readonly resultPageRows?: number;
  /** How long a statement stays SUBMITTED before it is picked. Default 20 ms. */
  readonly queueDelayMs?: number;
  /** The project's Python (with sqlglot). Default $WISTIA_PIPELINE_PYTHON, else <repo>/.venv/bin/python. */
  readonly python?: string;
  /** Loopback port. Default: any free one. */
  readonly port?: number;
}

export interface RedshiftDataApi {
  readonly endpoint: string;
  /** The translator helper's process id (tests kill it to see it restarted). */
  readonly translatorPid: () => number | undefined;
  close(): Promise<void>;
}

const ROOT = join(import.meta.dirname, '..', '..');
export const MAX_STATEMENT_BYTES = 100 * 1024;
export const MAX_ACTIVE_STATEMENTS = 200;
const RETENTION_MS = 24 * 3600_000;
const CLIENT_TOKEN_MS = 8 * 3600_000;

interface Ctx {
  readonly caller: Caller;
  readonly service: 'redshift-data' | 'redshift-serverless';
}

export async function startRedshiftDataApi(opts: RedshiftDataApiOptions): Promise<RedshiftDataApi> {
  const python = opts.python ?? process.env.WISTIA_PIPELINE_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
  const data = botocoreData(join(ROOT, '.venv'));
  const models: Record<string, ServiceModel> = {
    RedshiftData: loadModel(data, 'redshift-data'),
    RedshiftServerless: loadModel(data, 'redshift-serverless'),
  };
  const { region, account } = arnParts(opts.workgroupArn);
  const workgroupId = opts.workgroupArn.split('/').pop() ?? '';
  const namespaceArn =
    opts.namespaceArn ??
    `arn:aws:redshift-serverless:${region}:${account}:namespace/${uuidFrom(`namespace:${opts.namespaceName}:${opts.workgroupArn}`)}`;
  const namespaceId = namespaceArn.split('/').pop() ?? '';
  const created = new Date();
  const pageRows = opts.resultPageRows ?? 500;
  const callers = new Map(Object.entries(opts.identities).map(([k, v]) => [k, callerOf(k, v)]));

  const translator = new Translator(python);
  const s3 = new S3Client({
    endpoint: opts.s3.endpoint,
    region: opts.s3.region,
    forcePathStyle: true,
    credentials: opts.s3.credentials,
  });
  const engine = new Engine({
    dsn: opts.pg.dsn,
    database: opts.database,
    adminUsername: opts.adminUsername,
    translator,
    s3,
    s3Region: opts.s3.region,
    iamRoles: opts.iamRoles,
    rolePolicies: (arn) => opts.roleIdentities?.[arn]?.policies,
    roleTrust: (arn) => opts.roleIdentities?.[arn]?.trust,
    // a Serverless database user's ARN (https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-redshift-service-database-users.html)
    dbUserArn: (u) => `arn:aws:redshift:${region}:${account}:dbuser:serverless-${account}-${workgroupId}/${u}`,
  });
  await engine.init();

  const statements = new Map<string, StatementRecord>();
  const tokens = new Map<string, { at: number; response: object }>();
  const running = new Set<Promise<void>>();

  const authorize = (caller: Caller, req: Request) => {
    if (!caller.policies) return;
    const decision = evaluate(caller.policies, req);
    if (decision !== 'allow') throw new RequestError('AccessDeniedException', deniedMessage(caller.arn, req, decision));
  };
  const context = (caller: Caller, extra: Record<string, string> = {}) => ({
    'aws:userid': caller.userId,
    'aws:PrincipalArn': caller.principalArn,
    'aws:PrincipalAccount': caller.account,
    'aws:RequestedRegion': region,
    ...(caller.kind === 'user' ? { 'aws:username': caller.name } : {}),
    ...Object.fromEntries(Object.entries(caller.tags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
    ...extra,
  });

  /** Statements the caller may act on: the same IAM user, or any session of the same IAM role. */
  const own = (caller: Caller, id: string): { rec: StatementRecord; sub?: SubStatement } => {
    const [base = '', n] = id.split(':');
    const rec = statements.get(base);
    if (!rec || rec.owner.principalArn !== caller.principalArn || Date.now() - rec.createdAt > RETENTION_MS)
      throw new RequestError('ResourceNotFoundException', `Query does not exist: ${id}`); // [unconfirmed] wording
    if (n === undefined) return { rec };
    const sub = rec.batch ? rec.subs[Number(n) - 1] : undefined;
    if (!sub || !/^\d+$/.test(n)) throw new RequestError('ResourceNotFoundException', `Query does not exist: ${id}`);
    return { rec, sub };
  };

  const statementCall = (op: string, ctx: Ctx, owner?: StatementRecord) =>
    authorize(ctx.caller, {
      action: `redshift-data:${op}`,
      resource: '*',
      context: context(ctx.caller, owner ? { 'redshift-data:statement-owner-iam-userid': owner.owner.userId } : {}),
    });

  function submit(op: 'ExecuteStatement' | 'BatchExecuteStatement', body: Record<string, unknown>, ctx: Ctx): object {
    const caller = ctx.caller;
    if (body.ClusterIdentifier !== undefined || body.DbUser !== undefined)
      throw new RequestError(
        'ValidationException',
        'ClusterIdentifier and DbUser are for provisioned clusters: this endpoint serves the Redshift Serverless workgroup ' +
          `${opts.workgroupName} (give WorkgroupName, Database and either SecretArn or IAM credentials)`,
      );
    const wg = body.WorkgroupName as string | undefined;
    if (wg === undefined)
      throw new RequestError(
        'ValidationException',
        'WorkgroupName is required (this endpoint serves a Redshift Serverless workgroup)',
      );
    if (wg !== opts.workgroupName && wg !== opts.workgroupArn)
      throw new RequestError('ResourceNotFoundException', `Workgroup ${wg} not found`); // [unconfirmed] wording
    if (body.Database === undefined) throw new RequestError('ValidationException', 'Database is required');
    if (body.SessionId !== undefined || body.SessionKeepAliveSeconds !== undefined)
      throw new RequestError(
        'ValidationException',
        'sessions (SessionId, SessionKeepAliveSeconds) [not emulated by the Redshift stand-in]',
      );
    if (body.ResultFormat === 'CSV')
      throw new RequestError(
        'ValidationException',
        'ResultFormat CSV (GetStatementResultV2) [not emulated by the Redshift stand-in]',
      );
    if (body.WithEvent === true)
      throw new RequestError(
        'ValidationException',
        'WithEvent (EventBridge events) [not emulated by the Redshift stand-in]',
      );
    const sqls = op === 'ExecuteStatement' ? [body.Sql as string] : (body.Sqls as string[]);
    for (const s of sqls)
      if (Buffer.byteLength(s, 'utf8') > MAX_STATEMENT_BYTES)
        throw new RequestError('ValidationException', 'Cannot process query string larger than 100kB');
    authorize(caller, { action: `redshift-data:${op}`, resource: opts.workgroupArn, context: context(caller) });
    const secretArn = body.SecretArn as string | undefined;
    if (secretArn !== undefined) {
      authorize(caller, { action: 'secretsmanager:GetSecretValue', resource: secretArn, context: context(caller) });
      if (secretArn !== opts.adminSecretArn)
        throw new RequestError(
          'ValidationException',
          `Secrets Manager can't find the specified secret ${secretArn} for this workgroup`,
        ); // [unconfirmed]
    } else
      authorize(caller, {
        action: 'redshift-serverless:GetCredentials',
        resource: opts.workgroupArn,
        context: context(caller),
      });
    const token = body.ClientToken as string | undefined;
    const tokenKey = token ? `${caller.principalArn}\u0000${token}` : undefined;
    const previous = tokenKey ? tokens.get(tokenKey) : undefined;
    if (previous && Date.now() - previous.at < CLIENT_TOKEN_MS) return previous.response;
    const active = [...statements.values()].filter((s) => ['SUBMITTED', 'PICKED', 'STARTED'].includes(s.status)).length;
    if (active >= MAX_ACTIVE_STATEMENTS)
      throw new RequestError(
        'ActiveStatementsExceededException',
        `Active statements exceeded the limit of ${MAX_ACTIVE_STATEMENTS}`,
      );

    const id = randomUUID();
    const now = Date.now();
    // The tag roles are mapped when the identity may read its tags: the federated-roles page requires
    // tag:GetResources and tag:GetTagKeys for IAM sign-in [unconfirmed whether the service enforces it].
    const tagRoles = (caller.tags.RedshiftDbRoles ?? '')
      .split(':')
      .map((r) => r.trim())
      .filter(Boolean);
    let skipped: string | undefined;
    if (tagRoles.length && caller.policies) {
      const missing = ['tag:GetResources', 'tag:GetTagKeys'].filter(
        (a) => evaluate(caller.policies!, { action: a, resource: '*', context: context(caller) }) !== 'allow',
      );
      if (missing.length)
        skipped = `the RedshiftDbRoles roles ${tagRoles.join(', ')} were not granted: ${caller.arn} may not ${missing.join(' and ')}`;
    }
    const rec: StatementRecord = {
      id,
      batch: op === 'BatchExecuteStatement',
      owner: caller,
      dbUser: secretArn ? opts.adminUsername : dbUserOf(caller),
      ...(secretArn ? { secretArn } : {}),
      database: body.Database as string,
      workgroupName: opts.workgroupName,
      ...(body.StatementName ? { statementName: body.StatementName as string } : {}),
      ...(body.Parameters ? { parameters: body.Parameters as { name: string; value: string }[] } : {}),
      executionMode: (body.ExecutionMode as 'TRANSACTION' | 'AUTO_COMMIT' | undefined) ?? 'TRANSACTION',
      subs: sqls.map((sql, i) => ({
        id: op === 'BatchExecuteStatement' ? `${id}:${i + 1}` : id,
        sql,
        status: 'SUBMITTED',
        createdAt: now,
        updatedAt: now,
        durationNs: -1,
        resultRows: -1,
        resultSize: -1,
        hasResultSet: false,
        queryId: 0,
      })),
      createdAt: now,
      tagRoles: skipped ? [] : tagRoles,
      ...(skipped ? { tagRolesSkipped: skipped } : {}),
      status: 'SUBMITTED',
      updatedAt: now,
      cancelRequested: false,
    };
    statements.set(id, rec);
    const run = new Promise<void>((r) => setTimeout(r, opts.queueDelayMs ?? 20)).then(() =>
      engine.run(rec, () => undefined),
    );
    running.add(run);
    void run.finally(() => running.delete(run));
    const response = {
      Id: id,
      CreatedAt: now / 1000,
      Database: rec.database,
      WorkgroupName: opts.workgroupName,
      ...(secretArn ? { SecretArn: secretArn } : {}),
    };
    if (tokenKey) tokens.set(tokenKey, { at: now, response });
    return response;
  }

  const describeSub = (s: SubStatement) => ({
    Id: s.id,
    Status: s.status,
    QueryString: s.sql,
    CreatedAt: s.createdAt / 1000,
    UpdatedAt: s.updatedAt / 1000,
    Duration: s.durationNs,
    HasResultSet: s.hasResultSet,
    ResultRows: s.resultRows,
    ResultSize: s.resultSize,
    RedshiftQueryId: s.queryId,
    ...(s.error ? { Error: s.error } : {}),
  });

  const ops: Record<string, (body: Record<string, unknown>, ctx: Ctx) => object | Promise<object>> = {
    ExecuteStatement: (b, c) => submit('ExecuteStatement', b, c),
    BatchExecuteStatement: (b, c) => submit('BatchExecuteStatement', b, c),

    DescribeStatement(b, ctx) {
      const { rec, sub } = own(ctx.caller, b.Id as string);
      statementCall('DescribeStatement', ctx, rec);
      const base = {
        Database: rec.database,
        WorkgroupName: rec.workgroupName,
        ...(rec.secretArn ? { SecretArn: rec.secretArn } : {}),
        RedshiftPid: rec.pid ?? 0,
        ResultFormat: 'JSON',
        ...(rec.parameters ? { QueryParameters: rec.parameters } : {}),
      };
      if (sub) return { ...base, ...describeSub(sub) };
      const head = rec.batch
        ? {
            Id: rec.id,
            Status: rec.status,
            CreatedAt: rec.createdAt / 1000,
            UpdatedAt: rec.updatedAt / 1000,
            Duration: rec.subs.reduce((a, s) => a + Math.max(0, s.durationNs), 0),
            HasResultSet: rec.subs.some((s) => s.hasResultSet),
            ResultRows: rec.subs.reduce((a, s) => a + Math.max(0, s.resultRows), 0),
            ResultSize: rec.subs.reduce((a, s) => a + Math.max(0, s.resultSize), 0),
            ExecutionMode: rec.executionMode,
            SubStatements: rec.subs.map(describeSub),
            ...(rec.error ? { Error: rec.error } : {}),
          }
        : { ...describeSub(rec.subs[0]!), Status: rec.status, ...(rec.error ? { Error: rec.error } : {}) };
      return { ...base, ...head };
    },

    GetStatementResult(b, ctx) {
      const { rec, sub: chosen } = own(ctx.caller, b.Id as string);
      statementCall('GetStatementResult', ctx, rec);
      if (rec.batch && !chosen)
        throw new RequestError(
          'ValidationException',
          `Statement ${rec.id} is a batch: fetch the results of a sub-statement, ${rec.id}:<n>`, // [unconfirmed] wording
        );
      const sub = chosen ?? rec.subs[0]!;
      if (sub.status !== 'FINISHED')
        throw new RequestError(
          'ValidationException',
          `Query has not finished: its status is ${sub.status}. Check the query status with DescribeStatement.`,
        );
      if (!sub.hasResultSet || !sub.result)
        throw new RequestError(
          'ValidationException',
          'Query does not have result. Please check query status with DescribeStatement.',
        );
      let from = 0;
      if (b.NextToken !== undefined) {
        const t = decodeToken(b.NextToken as string);
        if (!t || t.id !== sub.id) throw new RequestError('ValidationException', 'Invalid NextToken');
        from = t.offset;
      }
      const records = sub.result.records.slice(from, from + pageRows);
      const next =
        from + pageRows < sub.result.records.length ? encodeToken({ id: sub.id, offset: from + pageRows }) : undefined;
      return {
        Records: records,
        ColumnMetadata: sub.result.columns,
        TotalNumRows: sub.result.records.length,
        ...(next ? { NextToken: next } : {}),
      };
    },

    async CancelStatement(b, ctx) {
      const { rec } = own(ctx.caller, b.Id as string);
      statementCall('CancelStatement', ctx, rec);
      // "Cancels a running query. To be canceled, a query must be running." (API reference)
      if (!['SUBMITTED', 'PICKED', 'STARTED'].includes(rec.status))
        throw new RequestError(
          'ValidationException',
          `Could not cancel a query that is already in ${rec.status} state.`,
        ); // [unconfirmed] wording
      await engine.cancel(rec);
      return { Status: true };
    },

    ListStatements(b, ctx) {
      statementCall('ListStatements', ctx);
      // "By default, only finished statements are shown"; RoleLevel (default true): every statement of the
      // caller's IAM role, else only this session's; StatementName: a case-sensitive prefix
      // (https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_ListStatements.html).
      const status = (b.Status as string | undefined) ?? 'FINISHED';
      const roleLevel = (b.RoleLevel as boolean | undefined) ?? true;
      const max = (b.MaxResults as number | undefined) || 100;
      const name = b.StatementName as string | undefined;
      const all = [...statements.values()]
        .filter((s) => s.owner.principalArn === ctx.caller.principalArn)
        .filter((s) => roleLevel || s.owner.accessKeyId === ctx.caller.accessKeyId)
        .filter((s) => status === 'ALL' || s.status === status)
        .filter((s) => !name || (s.statementName ?? '').startsWith(name))
        .filter((s) => !b.Database || s.database === b.Database)
        .filter(
          () => !b.WorkgroupName || b.WorkgroupName === opts.workgroupName || b.WorkgroupName === opts.workgroupArn,
        )
        .filter((s) => Date.now() - s.createdAt <= RETENTION_MS)
        .sort((x, y) => y.createdAt - x.createdAt);
      let from = 0;
      if (b.NextToken !== undefined) {
        const t = decodeToken(b.NextToken as string);
        if (!t || t.id !== 'list') throw new RequestError('ValidationException', 'Invalid NextToken');
        from = t.offset;
      }
      const page = all.slice(from, from + max);
      return {
        Statements: page.map((s) => ({
          Id: s.id,
          Status: s.status,
          CreatedAt: s.createdAt / 1000,
          UpdatedAt: s.updatedAt / 1000,
          IsBatchStatement: s.batch,
          ResultFormat: 'JSON',
          ...(s.batch ? { QueryStrings: s.subs.map((x) => x.sql) } : { QueryString: s.subs[0]!.sql }),
          ...(s.statementName ? { StatementName: s.statementName } : {}),
          ...(s.secretArn ? { SecretArn: s.secretArn } : {}),
          ...(s.parameters ? { QueryParameters: s.parameters } : {}),
        })),
        ...(from + max < all.length ? { NextToken: encodeToken({ id: 'list', offset: from + max }) } : {}),
      };
    },

    GetNamespace(b, ctx) {
      authorize(ctx.caller, {
        action: 'redshift-serverless:GetNamespace',
        resource: namespaceArn,
        context: context(ctx.caller),
      });
      if (b.namespaceName !== opts.namespaceName)
        throw new RequestError('ResourceNotFoundException', `Namespace ${String(b.namespaceName)} not found`);
      return {
        namespace: {
          adminPasswordSecretArn: opts.adminSecretArn,
          adminUsername: opts.adminUsername,
          creationDate: created.toISOString(),
          dbName: opts.database,
          // GetNamespace lists the roles as "IamRole(applyStatus=in-sync, iamRoleArn=…)", not as bare ARNs
          // (as reported by its users, e.g. aws-solutions-library-samples/guidance-for-clickstream-analytics-on-aws#507).
          iamRoles: opts.iamRoles.map((r) => `IamRole(applyStatus=in-sync, iamRoleArn=${r})`),
          kmsKeyId: 'AWS_OWNED_KMS_KEY',
          logExports: [],
          namespaceArn,
          namespaceId,
          namespaceName: opts.namespaceName,
          status: 'AVAILABLE',
        },
      };
    },
  };
  const serverlessOps = new Set(['GetNamespace']);

  const server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: object) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
      });
      res.end(text);
    };
    const fail = (e: RequestError) => send(e.status, { __type: e.code, message: e.message, Message: e.message });
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (req.method !== 'POST')
        throw new RequestError('UnknownOperationException', `${req.method} is not an operation`);
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix = '', op = ''] = target.split('.');
      const model = models[prefix];
      const handler = ops[op];
      if (!model || !handler || !model.operations[op] || (prefix === 'RedshiftServerless') !== serverlessOps.has(op))
        throw new RequestError(
          'UnknownOperationException',
          `Unknown operation ${target} [the stand-in serves RedshiftData.{ExecuteStatement, BatchExecuteStatement, DescribeStatement, GetStatementResult, CancelStatement, ListStatements} and RedshiftServerless.GetNamespace]`,
        );
      const service = model.metadata.signingName as Ctx['service'];
      const auth = String(req.headers.authorization ?? '');
      const cred = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
      if (!cred) throw new RequestError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      const [, keyId = '', credRegion, credService] = cred;
      if (credService !== service)
        throw new RequestError(
          'InvalidSignatureException',
          `Credential should be scoped to correct service: '${service}'.`,
          403,
        );
      if (credRegion !== region)
        throw new RequestError(
          'InvalidSignatureException',
          `Credential should be scoped to a valid region, not '${credRegion}'. (this endpoint serves ${region})`,
          403,
        );
      const caller = callers.get(keyId);
      if (!caller)
        throw new RequestError('UnrecognizedClientException', 'The security token included in the request is invalid.');
      let body: Record<string, unknown>;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        throw new RequestError('SerializationException', 'The request body is not valid JSON');
      }
      validateInput(model, op, body);
      send(200, await handler(body, { caller, service }));
    } catch (e) {
      if (e instanceof RequestError) return fail(e);
      fail(new RequestError('InternalServerException', (e as Error).message, 500));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    translatorPid: () => translator.pid,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await Promise.allSettled([...running]);
      await translator.close();
      await engine.close();
      s3.destroy();
    },
  };
}

function encodeToken(t: { id: string; offset: number }): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}
function decodeToken(s: string): { id: string; offset: number } | undefined {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { id?: unknown; offset?: unknown };
    return typeof t.id === 'string' && typeof t.offset === 'number' ? { id: t.id, offset: t.offset } : undefined;
  } catch {
    return undefined;
  }
}

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
