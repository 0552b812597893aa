// The dashboard's web server (node:http, no framework): the page's static files from dashboard/, one JSON
// endpoint per warehouse query (local/dashboard/queries.ts), the run history and the pipeline's health from the
// object store, and each run's execution graph. Read-only: every route is a GET.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectStore } from '#shared/store/store.ts';
import { renderExecutionGraph } from '../ops/graph.ts';
import { pipelineHealth, RUN_STATUSES } from './health.ts';
import { QUERIES } from './queries.ts';
import { listRuns, runExists } from './runs.ts';
import type { Row, WarehouseClient } from './warehouse.ts';

export const ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard');

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

// The page loads nothing from elsewhere: no CDN, no network beyond this server.
const PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";

/** Wistia hashed ids: letters and digits. */
const MEDIA_ID = /^[a-z0-9]{1,40}$/i;

export interface DashboardOptions {
  readonly warehouse: WarehouseClient;
  /** Where runs/<execution>/execution.json live; without it the run history is empty. */
  readonly runs?: ObjectStore;
  /** The local data dir, for the execution graph pages (local runs only). */
  readonly dataDir?: string;
  /** The folder of index.html, app.js, style.css. Default: dashboard/ at the repository's top. */
  readonly assetsDir?: string;
  /** Told of every request that failed on the server's side (answered 500), e.g. a query the warehouse refused. */
  readonly onError?: (e: Error, path: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

/** A JSON array column (engagement_data, rewatch_data) as numbers. */
function numbers(raw: unknown, what: string): number[] {
  const arr: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  if (!Array.isArray(arr) || arr.some((n) => typeof n !== 'number'))
    throw new Error(`${what} is not a JSON array of numbers`);
  return arr as number[];
}

export function createDashboardServer(options: DashboardOptions): Server {
  const { warehouse, runs, dataDir } = options;
  const assetsDir = options.assetsDir ?? ASSETS_DIR;

  const api: Record<string, (url: URL) => Promise<unknown>> = {
    '/api/source': async () => ({ warehouse: warehouse.description, runs: runs !== undefined }),
    '/api/kpis': async () => (await warehouse.query(QUERIES.kpis))[0] ?? {},
    '/api/daily': () => warehouse.query(QUERIES.daily),
    '/api/top-media': (url) => {
      const by = url.searchParams.get('by') ?? 'plays';
      if (by !== 'plays' && by !== 'hours') throw new HttpError(400, `by: expected plays or hours, got "${by}"`);
      return warehouse.query(by === 'plays' ? QUERIES.topByPlays : QUERIES.topByHours);
    },
    '/api/medias': () => warehouse.query(QUERIES.curveMedias),
    '/api/curve': async (url) => {
      const media = url.searchParams.get('media') ?? '';
      if (!MEDIA_ID.test(media))
        throw new HttpError(400, `media: expected a Wistia hashed id (letters and digits), got "${media}"`);
      const row: Row | undefined = (await warehouse.query(QUERIES.curve, { media_id: media }))[0];
      if (!row) throw new HttpError(404, `no engagement curve for media "${media}"`);
      return {
        ...row,
        engagement_data: numbers(row.engagement_data, 'engagement_data'),
        rewatch_data: numbers(row.rewatch_data, 'rewatch_data'),
      };
    },
    '/api/channels': () => warehouse.query(QUERIES.channels),
    '/api/campaigns': () => warehouse.query(QUERIES.campaigns),
    '/api/lifetime': () => warehouse.query(QUERIES.lifetime),
    '/api/countries': () => warehouse.query(QUERIES.countries),
    '/api/devices': () => warehouse.query(QUERIES.devices),
    '/api/account-trend': () => warehouse.query(QUERIES.accountTrend),
    '/api/runs': async () => (runs ? listRuns(runs) : []),
    '/api/health': async () => (runs ? pipelineHealth(runs) : { statuses: [...RUN_STATUSES], days: [], runs: [] }),
  };

  async function graph(res: ServerResponse, execution: string): Promise<void> {
    if (!runs || !(await runExists(runs, execution))) throw new HttpError(404, `no execution "${execution}"`);
    if (!dataDir) throw new HttpError(404, 'execution graphs are drawn from a local data dir (not with --aws)');
    send(res, 200, 'text/html; charset=utf-8', await renderExecutionGraph({ dataDir, execution }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new HttpError(405, `${req.method} is not allowed: the dashboard only reads`);
    const asset = ASSETS[url.pathname];
    if (asset) {
      const body = await readFile(join(assetsDir, asset.file));
      send(res, 200, asset.type, body, asset.file === 'index.html' ? { 'content-security-policy': PAGE_CSP } : {});
      return;
    }
    const endpoint = api[url.pathname];
    if (endpoint) {
      json(res, 200, await endpoint(url));
      return;
    }
    const g = /^\/runs\/([^/]+)\/graph$/.exec(url.pathname);
    if (g?.[1]) {
      let execution: string;
      try {
        execution = decodeURIComponent(g[1]);
      } catch {
        throw new HttpError(404, `no execution "${g[1]}"`);
      }
      await graph(res, execution);
      return;
    }
    throw new HttpError(404, `no such page: ${url.pathname}`);
  }

  return createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = (e as Error).message ?? String(e);
      if (status >= 500) options.onError?.(e as Error, req.url ?? '');
      if (res.headersSent) res.destroy();
      else json(res, status, { error: message });
    });
  });
}

export interface RunningDashboard {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0 = any free port). Rejects with the listen error (EADDRINUSE for a busy port). */
export async function startDashboard(
  options: DashboardOptions & { readonly port: number; readonly host?: string },
): Promise<RunningDashboard> {
  const host = options.host ?? '127.0.0.1';
  const server = createDashboardServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
