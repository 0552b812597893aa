// The Wistia API simulator: an HTTP server on loopback serving the Data/Stats API over a seeded World (v1 under
// /v1, the dated API under /modern: ./dialect.ts), with the real API's auth, paging, errors and rate limit, plus
// injectable faults and request counters (the HTTP plumbing: ./http.ts).
// Control endpoints under /__sim/ (no auth) let tests and the local runner drive the clock and read counters.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hash32, Rng } from './rng.ts';
import { DAY_MS, World, type MediaRecord, type WorldOptions } from './world.ts';
import { parseApiPath, shapeBody } from './dialect.ts';
import { dateParam, pageParams, RateLimiter, RawBody, type Reply, routeOf, send, sleep } from './http.ts';

export { RawBody, routeOf } from './http.ts';
import { misbehave, type MisbehaveOptions, type MisbehaviourLedger } from './misbehave.ts';

export const DEFAULT_SIMULATOR_TOKEN = 'local-simulator-token';
export const FAULT_KINDS = ['500', '502', '503', '504', '429', 'slow', 'reset', 'truncated'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Share of requests (0..1) that get a fault. */
  readonly rate: number;
  /** Kinds to draw from (uniformly). Default: all. */
  readonly kinds?: readonly FaultKind[];
  /** How long a "slow" response takes, past the client's timeout. Default 35 s. */
  readonly slowMs?: number;
  /** How long a "429" burst lasts: every request in it is refused. Default 1000 ms. */
  readonly burstMs?: number;
}

export interface SimulatorOptions extends WorldOptions {
  /** Port to listen on; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Accepted API token. Default: WISTIA_API_TOKEN, else DEFAULT_SIMULATOR_TOKEN. */
  readonly token?: string;
  /** Requests per rolling minute per account; 0 disables. Default 600. */
  readonly rateLimitPerMinute?: number;
  /** Answer rate limiting as the 2016 API did: 503 + Retry-After instead of 429. */
  readonly legacyRateLimit?: boolean;
  readonly faults?: FaultOptions;
  /** Fixed latency added to every request. Default 0. */
  readonly latencyMs?: number;
  /** Simulated "now" advances this many ms per API request (events arriving while a run pages). Default 0. */
  readonly liveMsPerRequest?: number;
  /** Records served with one defect each, seeded (./misbehave.ts). Default off. */
  readonly misbehave?: MisbehaveOptions;
  /** /stats/account/by_date counts events only up to this many minutes before "now" (the account's aggregate lags
   * its medias', as Wistia's own figures disagree at the edges); 0: the exact sum of the medias'. Default 0. */
  readonly accountLagMinutes?: number;
}

export interface Counters {
  total: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byRouteStatus: Record<string, Record<string, number>>;
  faults: Record<string, number>;
  /** Requests by API: "v1", the dated release a /modern request named in X-Wistia-Api-Version, or "modern (no
   * version header)" (Wistia then serves its newest release). */
  byApiVersion: Record<string, number>;
  firstAtMs: number | null;
  lastAtMs: number | null;
}

/** One answered request, for tests that measure timing (the last 100,000 to 200,000 are kept). */
export interface RequestLogEntry {
  readonly atMs: number;
  readonly route: string;
  readonly status: string;
  /** The request's path and query, e.g. "/stats/events?start_date=2026-11-20&page=2". */
  readonly path: string;
}

export interface MutableConfig {
  token: string;
  rateLimitPerMinute: number;
  legacyRateLimit: boolean;
  faults: Required<FaultOptions>;
  latencyMs: number;
  liveMsPerRequest: number;
  /** Media hashed ids whose stats endpoints always answer this status (a permanently failing item). */
  failMedias: Record<string, number>;
  /** Opt-in (tests): rewrites every 200 body before it is sent (drift, bad records, malformed text). */
  rewrite?: BodyRewrite;
  /** Records served with one defect each (./misbehave.ts); rate 0 is off. */
  misbehave: MisbehaveOptions;
  /** The account's by_date lags its medias' by this many minutes (SimulatorOptions.accountLagMinutes). */
  accountLagMinutes: number;
}

/** What a rewrite sees of the request: its route template ("/stats/events"), path and query. */
export interface RewriteRequest {
  readonly route: string;
  readonly path: string;
  readonly query: URLSearchParams;
}
export type BodyRewrite = (req: RewriteRequest, body: unknown) => unknown;

type ConfigPatch = Partial<Omit<MutableConfig, 'faults'>> & { faults?: Partial<FaultOptions> };

const emptyCounters = (): Counters => ({
  total: 0,
  byRoute: {},
  byStatus: {},
  byRouteStatus: {},
  faults: {},
  byApiVersion: {},
  firstAtMs: null,
  lastAtMs: null,
});
const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);

export class WistiaSimulator {
  readonly world: World;
  readonly config: MutableConfig;
  private counters: Counters = emptyCounters();
  private log: RequestLogEntry[] = [];
  private readonly limiter = new RateLimiter();
  private readonly faultRng: Rng;
  private burstUntil = 0;
  private ledger: MisbehaviourLedger = {};
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mediaSortCache = new Map<string, { key: string; list: MediaRecord[] }>();
  private scheduled: { atTotal: number; patch: ConfigPatch; done: (atMs: number) => void }[] = [];

  constructor(readonly options: SimulatorOptions) {
    this.world = new World(options);
    this.faultRng = new Rng(hash32(options.seed, 0xfa17));
    this.config = {
      token: options.token ?? process.env.WISTIA_API_TOKEN ?? DEFAULT_SIMULATOR_TOKEN,
      rateLimitPerMinute: options.rateLimitPerMinute ?? 600,
      legacyRateLimit: options.legacyRateLimit ?? false,
      faults: { rate: 0, kinds: FAULT_KINDS, slowMs: 35_000, burstMs: 1000, ...options.faults },
      latencyMs: options.latencyMs ?? 0,
      liveMsPerRequest: options.liveMsPerRequest ?? 0,
      accountLagMinutes: options.accountLagMinutes ?? 0,
      failMedias: {},
      misbehave: options.misbehave ?? { rate: 0 },
    };
  }

  /** Starts listening on 127.0.0.1 and resolves to the v1 base URL. */
  async listen(port = this.options.port ?? 0): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return this.baseUrl;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }
  /** The base URL of an API version: "v1" (or none) → /v1, a dated release → /modern. */
  baseUrlFor(apiVersion?: string): string {
    return !apiVersion || apiVersion.toLowerCase() === 'v1' ? this.baseUrl : `${this.origin}/modern`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  getCounters(): Counters {
    return structuredClone(this.counters);
  }
  /** The defects served so far, by entity and defect (every serving counts, retries and overlaps included). */
  misbehaviour(): MisbehaviourLedger {
    return structuredClone(this.ledger);
  }
  resetCounters(): void {
    this.counters = emptyCounters();
    this.log = [];
  }
  requestLog(): RequestLogEntry[] {
    return [...this.log];
  }
  advance(days = 1): void {
    this.world.advance(days);
  }
  configure(patch: ConfigPatch): void {
    const { faults, ...rest } = patch;
    Object.assign(this.config, rest);
    if (faults) this.config.faults = { ...this.config.faults, ...faults };
  }
  /**
   * Applies `patch` once `requests` more API requests have arrived: the next one sees it (e.g. the token
   * revoked in the middle of a run). Resolves with the time it was applied.
   */
  configureAfter(requests: number, patch: ConfigPatch): Promise<number> {
    return new Promise((done) =>
      this.scheduled.push({ atTotal: this.counters.total + Math.max(0, requests), patch, done }),
    );
  }

  state(): Record<string, unknown> {
    return {
      today: new Date(this.world.today * DAY_MS).toISOString().slice(0, 10),
      now: new Date(this.world.nowMs).toISOString(),
      medias: this.world.visibleMedias().length,
      visitors: this.world.visibleVisitors(),
      events: this.world.visibleEvents(),
    };
  }

  // ---- request handling -----------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname.startsWith('/__sim/')) return this.control(req, res, url);
    const api = parseApiPath(url.pathname);
    // a path of neither API (e.g. /modern/medias.json) is routed as "other": 404
    const path = api?.path ?? url.pathname;
    const route = routeOf(path);
    const c = this.counters;
    const now = Date.now();
    for (const s of this.scheduled.filter((x) => x.atTotal <= c.total)) {
      this.scheduled.splice(this.scheduled.indexOf(s), 1);
      this.configure(s.patch);
      s.done(now);
    }
    c.total++;
    c.firstAtMs ??= now;
    c.lastAtMs = now;
    bump(c.byRoute, route);
    const header = req.headers['x-wistia-api-version'];
    if (api)
      bump(
        c.byApiVersion,
        api.dialect === 'v1' ? 'v1' : typeof header === 'string' ? header : 'modern (no version header)',
      );
    const record = (status: string) => {
      this.log.push({ atMs: Date.now(), route, status, path: `${path}${url.search}` });
      if (this.log.length > 200_000) this.log.splice(0, 100_000);
      bump(c.byStatus, status);
      bump((c.byRouteStatus[route] ??= {}), status);
    };
    if (this.config.latencyMs > 0) await sleep(this.config.latencyMs);
    if (!this.authorized(req.headers.authorization)) {
      record('401');
      return send(res, { status: 401, body: { error: 'Invalid credentials.' } });
    }
    const retryAfter =
      Date.now() < this.burstUntil ? 1 : this.limiter.check(this.config.rateLimitPerMinute, Date.now());
    if (retryAfter !== null) {
      const status = this.config.legacyRateLimit ? 503 : 429;
      record(String(status));
      res.writeHead(status, { 'content-type': 'text/plain', 'retry-after': String(retryAfter) });
      return void res.end('Rate limit exceeded');
    }
    const fault = this.drawFault();
    if (fault) {
      bump(c.faults, fault);
      if (fault === 'reset') {
        record('reset');
        req.socket.destroy();
        return;
      }
      if (fault === '429') {
        this.burstUntil = Date.now() + this.config.faults.burstMs;
        record('429');
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1' });
        return void res.end('Rate limit exceeded');
      }
      if (fault === 'slow') {
        await sleep(this.config.faults.slowMs);
        if (req.socket.destroyed) return record('slow-abandoned');
      } else if (fault !== 'truncated') {
        record(fault);
        const body = fault === '500' ? { error: 'Internal server error' } : undefined;
        return send(res, { status: Number(fault), body, headers: fault === '503' ? { 'retry-after': '1' } : {} });
      }
    }
    this.world.tick(this.config.liveMsPerRequest);
    let reply: Reply;
    try {
      reply = this.dispatch(path, url.searchParams);
    } catch (e) {
      reply = { status: 500, body: { error: 'Internal server error' } };
      process.stderr.write(`simulator: ${req.url}: ${(e as Error).stack}\n`);
    }
    if (reply.status === 200 && api && !(reply.body instanceof RawBody))
      reply = { ...reply, body: shapeBody(api.dialect, route, reply.body) };
    if (reply.status === 200 && this.config.misbehave.rate > 0)
      reply = { ...reply, body: misbehave(this.config.misbehave, route, path, reply.body, this.ledger) };
    if (reply.status === 200 && this.config.rewrite)
      reply = { ...reply, body: this.config.rewrite({ route, path, query: url.searchParams }, reply.body) };
    if (fault === 'truncated' && reply.status === 200) {
      record('200-truncated');
      const text = reply.body instanceof RawBody ? reply.body.text : JSON.stringify(reply.body);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      return void res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    }
    record(String(reply.status));
    send(res, reply);
  }

  private authorized(header: string | undefined): boolean {
    if (!header) return false;
    const [scheme, value] = header.split(' ', 2);
    if (!value) return false;
    if (scheme?.toLowerCase() === 'bearer') return value === this.config.token;
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      return sep > 0 && decoded.slice(0, sep) === 'api' && decoded.slice(sep + 1) === this.config.token;
    }
    return false;
  }

  private drawFault(): FaultKind | undefined {
    const f = this.config.faults;
    if (f.rate <= 0 || f.kinds.length === 0) return undefined;
    if (this.faultRng.next() >= f.rate) return undefined;
    return f.kinds[this.faultRng.int(f.kinds.length)];
  }

  private dispatch(path: string, q: URLSearchParams): Reply {
    const w = this.world;
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    const notFound: Reply = { status: 404 };
    if (seg[0] === 'medias') {
      if (seg.length === 1) return { status: 200, body: this.listMedias(q) };
      if (seg.length === 2) {
        const m = w.mediaByHashedId(seg[1] as string);
        return m ? { status: 200, body: w.renderMedia(m) } : notFound;
      }
      return notFound;
    }
    if (seg[0] === 'projects') return seg.length === 1 ? { status: 200, body: this.listProjects(q) } : notFound;
    if (seg[0] !== 'stats') return notFound;
    if (seg[1] === 'account' && seg.length === 2) return { status: 200, body: w.accountStats() };
    if (seg[1] === 'account' && seg[2] === 'by_date' && seg.length === 3) {
      const start = dateParam(q, 'start_date');
      const end = dateParam(q, 'end_date');
      if (start instanceof Error) return { status: 400, body: { error: start.message } };
      if (end instanceof Error) return { status: 400, body: { error: end.message } };
      const today = w.today;
      const lagMs = this.config.accountLagMinutes * 60_000;
      return { status: 200, body: w.accountByDate(start ?? today - 1, Math.min(end ?? today, today), lagMs) };
    }
    if (seg[1] === 'medias' && seg.length >= 3 && seg.length <= 4) {
      const m = w.mediaByHashedId(seg[2] as string);
      if (!m) return notFound;
      const failStatus = this.config.failMedias[m.hashedId];
      if (failStatus)
        return { status: failStatus, body: failStatus >= 500 ? { error: 'Internal server error' } : undefined };
      if (seg.length === 3) return { status: 200, body: w.mediaStats(m) };
      if (seg[3] === 'engagement') return { status: 200, body: w.mediaEngagement(m) };
      if (seg[3] === 'by_date') {
        const start = dateParam(q, 'start_date');
        const end = dateParam(q, 'end_date');
        if (start instanceof Error) return { status: 400, body: { error: start.message } };
        if (end instanceof Error) return { status: 400, body: { error: end.message } };
        const today = w.today;
        return { status: 200, body: w.mediaByDate(m, start ?? today - 1, Math.min(end ?? today, today)) };
      }
      return notFound;
    }
    if (seg[1] === 'visitors') {
      if (seg.length === 2) return { status: 200, body: this.listVisitors(q) };
      if (seg.length === 3) {
        const v = w.visitorIndexByKey(seg[2] as string);
        return v === undefined ? notFound : { status: 200, body: w.renderVisitor(v) };
      }
      return notFound;
    }
    if (seg[1] === 'events') {
      if (seg.length === 2) return this.listEvents(q);
      if (seg.length === 3) {
        const e = w.eventIndexByKey(seg[2] as string);
        return e === undefined || w.evTime.at(e) < w.retentionStartMs()
          ? notFound
          : { status: 200, body: w.renderEvent(e) };
      }
    }
    return notFound;
  }

  private listMedias(q: URLSearchParams): unknown[] {
    const w = this.world;
    const { page, perPage } = pageParams(q);
    const sortBy = q.get('sort_by') ?? 'id';
    const desc = q.get('sort_direction') === '0';
    const cacheKey = `${sortBy}:${desc}`;
    const version = `${w.nowMs}:${w.medias.length}`;
    let sorted = this.mediaSortCache.get(cacheKey);
    if (!sorted || sorted.key !== version) {
      const key = (m: MediaRecord): string | number =>
        sortBy === 'name'
          ? w.mediaName(m).toLowerCase()
          : sortBy === 'created'
            ? m.createdMs
            : sortBy === 'updated'
              ? w.mediaUpdatedMs(m)
              : m.id;
      const list = w.visibleMedias().map((m) => ({ m, k: key(m) }));
      list.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.m.id - b.m.id) * (desc ? -1 : 1));
      sorted = { key: version, list: list.map((x) => x.m) };
      this.mediaSortCache.set(cacheKey, sorted);
    }
    let list = sorted.list;
    const type = q.get('type');
    const hashed = q.get('hashed_id');
    const name = q.get('name');
    const archived = q.get('archived');
    if (type || hashed || name || archived) {
      list = list.filter((m) => {
        const r = w.renderMedia(m);
        return (
          (!type || r.type === type) &&
          (!hashed || r.hashed_id === hashed) &&
          (!name || r.name === name) &&
          (!archived || String(r.archived) === archived)
        );
      });
    }
    return list.slice((page - 1) * perPage, page * perPage).map((m) => w.renderMedia(m));
  }

  /** GET /projects: paged (1-based, per_page ≤ 100), sort_by name | created | updated | mediaCount | id (default
   * id), sort_direction 0 = descending (OAS-V1 /projects). */
  private listProjects(q: URLSearchParams): unknown[] {
    const { page, perPage } = pageParams(q);
    const sortBy = q.get('sort_by') ?? 'id';
    const desc = q.get('sort_direction') === '0';
    const hashed = q.getAll('hashed_ids[]');
    const key = (p: Record<string, unknown>): string | number =>
      sortBy === 'name'
        ? String(p.name).toLowerCase()
        : sortBy === 'created' || sortBy === 'updated'
          ? Date.parse(String(p[sortBy]))
          : sortBy === 'mediaCount'
            ? Number(p.mediaCount)
            : Number(p.id);
    const list = this.world
      .renderProjects()
      .filter((p) => hashed.length === 0 || hashed.includes(String(p.hashedId)))
      .map((p) => ({ p, k: key(p) }));
    list.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : Number(a.p.id) - Number(b.p.id)) * (desc ? -1 : 1));
    return list.slice((page - 1) * perPage, page * perPage).map((x) => x.p);
  }

  private listVisitors(q: URLSearchParams): unknown[] {
    const w = this.world;
    const { page, perPage } = pageParams(q);
    const filter = q.get('filter') ?? undefined;
    const search = q.get('search') ?? undefined;
    const out: unknown[] = [];
    let skip = (page - 1) * perPage;
    // Newest first, like the events list.
    for (let v = w.visibleVisitors() - 1; v >= 0 && out.length < perPage; v--) {
      if ((filter || search) && !w.visitorMatches(v, filter, search)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(w.renderVisitor(v));
    }
    return out;
  }

  private listEvents(q: URLSearchParams): Reply {
    const w = this.world;
    const { page, perPage } = pageParams(q);
    const start = dateParam(q, 'start_date');
    const end = dateParam(q, 'end_date');
    if (start instanceof Error) return { status: 422, body: { error: start.message } };
    if (end instanceof Error) return { status: 422, body: { error: end.message } };
    const fromMs = Math.max(w.retentionStartMs(), start === undefined ? 0 : start * DAY_MS);
    const toMs = end === undefined ? Infinity : (end + 1) * DAY_MS;
    const lo = w.lowerBound(fromMs);
    const hi = Math.min(w.visibleEvents(), toMs === Infinity ? Infinity : w.lowerBound(toMs));
    const offset = (page - 1) * perPage;
    const mediaId = q.get('media_id');
    const visitorKey = q.get('visitor_key');
    const chosen: number[] = [];
    if (mediaId || visitorKey) {
      let source: Iterable<number> = [];
      if (mediaId) {
        const m = w.mediaByHashedId(mediaId);
        source = m ? w.mediaEvents(m) : [];
      } else if (visitorKey) {
        const v = w.visitorIndexByKey(visitorKey);
        source = v === undefined ? [] : w.visitorEvents(v);
      }
      let skip = offset;
      for (const e of source) {
        if (e < lo || e >= hi) continue;
        if (mediaId && visitorKey && w.visitorKey(w.evVisitor.at(e)) !== visitorKey) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        chosen.push(e);
        if (chosen.length === perPage) break;
      }
    } else {
      for (let e = hi - 1 - offset; e >= lo && chosen.length < perPage; e--) chosen.push(e);
    }
    return { status: 200, body: chosen.map((e) => w.renderEvent(e)) };
  }

  // ---- control API ----------------------------------------------------------------------------------

  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const p = url.pathname;
    if (req.method === 'GET' && p === '/__sim/counters') return send(res, { status: 200, body: this.getCounters() });
    if (req.method === 'GET' && p === '/__sim/state') return send(res, { status: 200, body: this.state() });
    if (req.method === 'POST' && p === '/__sim/counters/reset') {
      this.resetCounters();
      return send(res, { status: 200, body: { ok: true } });
    }
    if (req.method === 'POST' && p === '/__sim/advance') {
      this.advance(Number(url.searchParams.get('days') ?? '1') || 1);
      return send(res, { status: 200, body: this.state() });
    }
    if (req.method === 'POST' && p === '/__sim/config') {
      const chunks: Buffer[] = [];
      for await (const ch of req) chunks.push(ch as Buffer);
      try {
        this.configure(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch (e) {
        return send(res, { status: 400, body: { error: (e as Error).message } });
      }
      return send(res, { status: 200, body: { ok: true } });
    }
    send(res, { status: 404 });
  }
}

/** Starts a simulator and returns it with its base URL. */
export async function startSimulator(options: SimulatorOptions): Promise<WistiaSimulator> {
  const sim = new WistiaSimulator(options);
  await sim.listen();
  return sim;
}
