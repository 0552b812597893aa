// A whole local "Redshift Serverless workgroup": an embedded PostgreSQL server (the project's LocalWarehouse,
// under <dataDir>/warehouse) with a database of its own for the workgroup, and the Data API stand-in in front
// of it. For tests and the local production path; the defaults name things as the CDK stack does.
import pg from 'pg';
import { LocalWarehouse } from '../warehouse/postgres.ts';
import { startRedshiftDataApi, type RedshiftDataApi, type RedshiftDataApiOptions } from './server.ts';

export const LOCAL_ACCOUNT = '111111111111';
export const LOCAL_REGION = 'us-east-1';

export interface LocalRedshiftOptions
  extends
    Partial<Omit<RedshiftDataApiOptions, 'pg' | 'identities' | 's3'>>,
    Pick<RedshiftDataApiOptions, 'identities' | 's3'> {
  /** Where the embedded PostgreSQL keeps its data (<dataDir>/warehouse/pg); a running server there is reused. */
  readonly dataDir: string;
}

export interface LocalRedshift {
  readonly api: RedshiftDataApi;
  readonly warehouse: LocalWarehouse;
  /** Superuser DSN of the workgroup's PostgreSQL database (to inspect what the stand-in did). */
  readonly dsn: string;
  readonly options: RedshiftDataApiOptions;
  close(): Promise<void>;
}

export async function startLocalRedshift(o: LocalRedshiftOptions): Promise<LocalRedshift> {
  const warehouse = await new LocalWarehouse(o.dataDir).start();
  const database = o.database ?? 'analytics';
  const pgDatabase = `redshift_${database}`;
  const admin = new pg.Client({ connectionString: warehouse.dsn });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [pgDatabase]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${pgDatabase}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(warehouse.dsn);
  url.pathname = `/${pgDatabase}`;
  const dsn = url.toString();
  const options: RedshiftDataApiOptions = {
    pg: { dsn },
    database,
    workgroupName: o.workgroupName ?? 'wistia-analytics',
    workgroupArn:
      o.workgroupArn ??
      `arn:aws:redshift-serverless:${LOCAL_REGION}:${LOCAL_ACCOUNT}:workgroup/5f1d2c3b-0000-4000-8000-00000000a11c`,
    namespaceName: o.namespaceName ?? 'wistia-analytics',
    ...(o.namespaceArn ? { namespaceArn: o.namespaceArn } : {}),
    adminUsername: o.adminUsername ?? 'admin',
    adminSecretArn:
      o.adminSecretArn ??
      `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:redshift!wistia-analytics-admin-Ab12Cd`,
    iamRoles: o.iamRoles ?? [`arn:aws:iam::${LOCAL_ACCOUNT}:role/wistia-redshift-copy`],
    identities: o.identities,
    s3: o.s3,
    ...(o.roleIdentities ? { roleIdentities: o.roleIdentities } : {}),
    ...(o.resultPageRows ? { resultPageRows: o.resultPageRows } : {}),
    ...(o.queueDelayMs !== undefined ? { queueDelayMs: o.queueDelayMs } : {}),
    ...(o.python ? { python: o.python } : {}),
    ...(o.port ? { port: o.port } : {}),
  };
  const api = await startRedshiftDataApi(options);
  return {
    api,
    warehouse,
    dsn,
    options,
    async close() {
      await api.close();
      await warehouse.stop();
    },
  };
}
