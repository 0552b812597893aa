// The Wistia Data/Stats API client (v1, or a dated release of the modern API: api-version.ts): one place that knows auth, paging, retries, the rate budget and
// response validation. Built for the documented API and the quirks of real bodies (../shared/wistia-api),
// not for the simulator's habits.
import { tracked } from '../metrics.ts';
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import {
  WistiaAuthError,
  WistiaConfigError,
  WistiaError,
  WistiaNotFoundError,
  WistiaRateLimitError,
  WistiaRequestError,
  WistiaSchemaError,
  WistiaTransientError,
} from './errors.ts';
import {
  type ApiVersion,
  defaultBaseUrl,
  parseApiVersion,
  pathFor,
  queryFor,
  versionHeaders,
  versionLabel,
} from './api-version.ts';
import { NO_PAGE_AHEAD, PER_PAGE, type PageAhead } from './paging.ts';
import { RateBudget, type RequestBudget } from './rate-budget.ts';
import { type BodyKind, type DriftIssue, type RecordFinding, validateBody } from './validate.ts';

/** Wistia's documented limit is 600 requests a minute per account; stay a little under it by default. */
export const DEFAULT_REQUESTS_PER_MINUTE = 570;
export { PER_PAGE };

export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}
const silent: Logger = { debug() {}, info() {}, warn() {} };

export interface WistiaClientOptions {
  /** Default WISTIA_API_BASE_URL, else Wistia's base URL for the API version. */
  readonly baseUrl?: string;
  /** "v1" or a dated release "YYYY-MM" (api-version.ts). Default WISTIA_API_VERSION, else v1. */
  readonly apiVersion?: string | ApiVersion;
  /** The API token, or a function resolving it (SSM, cached). */
  readonly token: string | (() => Promise<string>);
  /** HTTP Basic (user "api", password = token), as the mission asks; or Bearer. Default basic. */
  readonly auth?: 'basic' | 'bearer';
  /** Per-request timeout. Default 30 s. */
  readonly timeoutMs?: number;
  /** Attempts per request, the first included. Default 8. */
  readonly maxAttempts?: number;
  /** Give up retrying once this much time has passed since the first attempt. Default 120 s. */
  readonly maxRetryTimeMs?: number;
  /** Backoff base and cap (full jitter: a wait is uniform in [0, min(cap, base·2^n)]). Defaults 500 ms, 20 s. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Request budget (requests/minute) or a shared one (RateBudget, AccountBudget); 0 disables. Default 570. */
  readonly budget?: number | RequestBudget;
  /** Concurrent sockets. Default 16. */
  readonly maxSockets?: number;
  readonly logger?: Logger;
  /** Source of randomness for jitter (tests). */
  readonly random?: () => number;
}

/** What a request was, without secrets: recorded with every bronze object. */
export interface RequestRecord {
  readonly endpoint: string;
  /** "v1" or the dated release the request asked for (its X-Wistia-Api-Version). */
  readonly apiVersion: string;
  readonly url: string;
  readonly params: Readonly<Record<string, string | number>>;
  readonly status: number;
  readonly attempts: number;
  readonly fetchedAt: string;
  readonly durationMs: number;
}

export interface Fetched<T> {
  readonly body: T;
  readonly request: RequestRecord;
  readonly drift: DriftIssue[];
  /** Records of the body the transform will quarantine (a missing or mistyped key, not an object): the fetch
   * still succeeds and the body lands as served. */
  readonly findings: RecordFinding[];
}

export interface Page<T> extends Fetched<T[]> {
  readonly page: number;
  readonly perPage: number;
  /** True when this page ends the listing (short or empty). */
  readonly last: boolean;
}

export interface ClientMetrics {
  requests: number;
  retries: number;
  byStatus: Record<string, number>;
  rateLimited: number;
  retryWaitMs: number;
}

export type Json = Record<string, unknown>;
export type EventsQuery = { start_date?: string; end_date?: string; media_id?: string; visitor_key?: string };
export type MediasQuery = {
  sort_by?: 'name' | 'created' | 'updated' | 'position';
  sort_direction?: 0 | 1;
  project_id?: string;
  type?: string;
  archived?: boolean;
};
/** GET /projects sorts (OAS-V1; the 2016 docs: default by id). */
export type ProjectsQuery = {
  sort_by?: 'name' | 'created' | 'updated' | 'mediaCount' | 'id';
  sort_direction?: 0 | 1;
};
export type VisitorsQuery = { filter?: 'has_name' | 'has_email' | 'identified_by_email_gate'; search?: string };

const NETWORK_TRANSIENT = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'ERR_BAD_RESPONSE',
]);
const QUERY_SECRETS = /^(api_password|access_token|token|password)$/i;

/** Validates and normalises a base URL; rejects credentials in it (they would end up in logs). */
export function parseBaseUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new WistiaConfigError(`WISTIA_API_BASE_URL is not a valid URL: "${raw.replace(/\/\/[^@/]*@/, '//***@')}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new WistiaConfigError(`WISTIA_API_BASE_URL must be http(s), got "${u.protocol}"`);
  if (u.username || u.password)
    throw new WistiaConfigError('WISTIA_API_BASE_URL must not contain credentials; set WISTIA_API_TOKEN instead');
  u.pathname = u.pathname.replace(/\/+$/, '');
  return u;
}

export class WistiaClient {
  readonly baseUrl: URL;
  readonly apiVersion: ApiVersion;
  readonly metrics: ClientMetrics = { requests: 0, retries: 0, byStatus: {}, rateLimited: 0, retryWaitMs: 0 };
  private readonly http: AxiosInstance;
  private readonly budget: RequestBudget | undefined;
  private readonly opts: Required<Omit<WistiaClientOptions, 'baseUrl' | 'apiVersion' | 'budget' | 'token'>>;
  private readonly tokenSource: () => Promise<string>;

  constructor(options: WistiaClientOptions) {
    const v = options.apiVersion ?? process.env.WISTIA_API_VERSION;
    this.apiVersion = typeof v === 'object' ? v : parseApiVersion(v);
    this.baseUrl = parseBaseUrl(options.baseUrl || process.env.WISTIA_API_BASE_URL || defaultBaseUrl(this.apiVersion));
    const tok = options.token;
    this.tokenSource = typeof tok === 'function' ? tok : async () => tok;
    if (typeof tok === 'string' && tok.trim() === '')
      throw new WistiaConfigError('the Wistia API token is empty (set WISTIA_API_TOKEN)');
    this.opts = {
      auth: options.auth ?? 'basic',
      timeoutMs: options.timeoutMs ?? 30_000,
      maxAttempts: options.maxAttempts ?? 8,
      maxRetryTimeMs: options.maxRetryTimeMs ?? 120_000,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 20_000,
      maxSockets: options.maxSockets ?? 16,
      logger: options.logger ?? silent,
      random: options.random ?? Math.random,
    };
    const b = options.budget ?? DEFAULT_REQUESTS_PER_MINUTE;
    this.budget = typeof b === 'number' ? (b > 0 ? new RateBudget({ perMinute: b }) : undefined) : b;
    const agentOpts = { keepAlive: true, maxSockets: this.opts.maxSockets };
    this.http = axios.create({
      httpAgent: new http.Agent(agentOpts),
      httpsAgent: new https.Agent(agentOpts),
      timeout: this.opts.timeoutMs,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      maxRedirects: 0,
      decompress: true,
    });
  }

  /**
   * A client sharing this one's connections and token, with its own request budget and metrics: one per
   * Lambda invocation, spending either the account's budget (an AccountBudget, shared by every caller) or that
   * invocation's fixed share of it (a number: no burst, it starts empty, so back-to-back short invocations
   * never exceed the share).
   */
  withBudget(budget: number | RequestBudget): WistiaClient {
    const view = Object.create(WistiaClient.prototype) as WistiaClient;
    Object.assign(view, this, {
      budget:
        typeof budget === 'number'
          ? budget > 0
            ? new RateBudget({ perMinute: budget, burst: 1, startEmpty: true })
            : undefined
          : budget,
      metrics: { requests: 0, retries: 0, byStatus: {}, rateLimited: 0, retryWaitMs: 0 },
    });
    // the current Lambda invocation's run metrics count this view's requests (functions/shared/metrics.ts)
    return tracked(view);
  }

  // ---- endpoints -------------------------------------------------------------------------------------

  listMediasPages(query: MediasQuery = {}, ahead: PageAhead = NO_PAGE_AHEAD): AsyncGenerator<Page<Json>> {
    return this.pages('GET /medias', '/medias', 'medias', query, 1, ahead);
  }
  listProjectsPages(query: ProjectsQuery = {}): AsyncGenerator<Page<Json>> {
    return this.pages('GET /projects', '/projects', 'projects', query);
  }
  getMedia(hashedId: string): Promise<Fetched<Json>> {
    return this.fetch('GET /medias/{id}', `/medias/${enc(hashedId)}`, 'media');
  }
  getMediaStats(mediaId: string): Promise<Fetched<Json>> {
    return this.fetch('GET /stats/medias/{id}', `/stats/medias/${enc(mediaId)}`, 'mediaStats');
  }
  getMediaEngagement(mediaId: string): Promise<Fetched<Json>> {
    return this.fetch('GET /stats/medias/{id}/engagement', `/stats/medias/${enc(mediaId)}/engagement`, 'engagement');
  }
  getMediaByDate(mediaId: string, startDate: string, endDate: string): Promise<Fetched<Json[]>> {
    return this.fetch('GET /stats/medias/{id}/by_date', `/stats/medias/${enc(mediaId)}/by_date`, 'byDate', {
      start_date: startDate,
      end_date: endDate,
    });
  }
  /** The account's loads, plays and hours watched per day, the range inclusive (no paging: one row a day). The
   * rows have the shape of a media's by_date (../shared/wistia-api README 2.5); no dates: yesterday and today. */
  getAccountByDate(startDate: string, endDate: string): Promise<Fetched<Json[]>> {
    return this.fetch('GET /stats/account/by_date', '/stats/account/by_date', 'byDate', {
      start_date: startDate,
      end_date: endDate,
    });
  }
  getAccountStats(): Promise<Fetched<Json>> {
    return this.fetch('GET /stats/account', '/stats/account', 'account');
  }
  listVisitorsPages(
    query: VisitorsQuery = {},
    startPage = 1,
    ahead: PageAhead = NO_PAGE_AHEAD,
  ): AsyncGenerator<Page<Json>> {
    return this.pages('GET /stats/visitors', '/stats/visitors', 'visitors', query, startPage, ahead);
  }
  getVisitor(visitorKey: string): Promise<Fetched<Json>> {
    return this.fetch('GET /stats/visitors/{key}', `/stats/visitors/${enc(visitorKey)}`, 'visitor');
  }
  listEventsPages(query: EventsQuery = {}, startPage = 1): AsyncGenerator<Page<Json>> {
    return this.pages('GET /stats/events', '/stats/events', 'events', query, startPage);
  }
  getEvent(eventKey: string): Promise<Fetched<Json>> {
    return this.fetch('GET /stats/events/{key}', `/stats/events/${enc(eventKey)}`, 'event');
  }

  // ---- paging ----------------------------------------------------------------------------------------

  /**
   * Every page of a list endpoint, `per_page=100`, 1-based, until a short or empty page. Lists are bare
   * arrays with no total, so a full last page costs one more (empty) request.
   */
  async *pages(
    endpoint: string,
    path: string,
    kind: BodyKind,
    query: Record<string, unknown>,
    startPage = 1,
    ahead: PageAhead = NO_PAGE_AHEAD,
  ): AsyncGenerator<Page<Json>> {
    // Pages up to `ahead.through` are asked `ahead.window` at a time (the listing's size is estimated, so they
    // are expected to exist); past it, one at a time. Yielded in order. Pages still in flight when the listing
    // ends (a short page before the estimate) or the caller stops (a continuation) are wasted: at most
    // window - 1 requests.
    const window = Math.max(1, Math.floor(ahead.window));
    const inFlight: { page: number; result: Promise<Fetched<Json[]> | { error: unknown }> }[] = [];
    const ask = (page: number) => {
      const result = this.fetch<Json[]>(endpoint, path, kind, { ...query, page, per_page: PER_PAGE }).catch(
        (error: unknown) => ({ error }),
      );
      inFlight.push({ page, result });
    };
    let next = startPage;
    for (;;) {
      while (inFlight.length === 0 || (inFlight.length < window && next <= ahead.through)) ask(next++);
      const { page, result } = inFlight.shift()!;
      const r = await result;
      if ('error' in r) throw r.error;
      const last = r.body.length < PER_PAGE;
      yield { ...r, page, perPage: PER_PAGE, last };
      if (last) return;
    }
  }

  // ---- one request with retries ------------------------------------------------------------------------

  async fetch<T = Json>(
    endpoint: string,
    path: string,
    kind: BodyKind,
    query: Record<string, unknown> = {},
  ): Promise<Fetched<T>> {
    const given: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null) given[k] = typeof v === 'boolean' ? String(v) : (v as string | number);
    const params = queryFor(this.apiVersion, given);
    const url = this.urlFor(path, params);
    const started = Date.now();
    const log = this.opts.logger;
    let lastError: WistiaError | undefined;
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      await this.budget?.take();
      const t0 = Date.now();
      const outcome = await this.attempt(endpoint, url, params, kind, attempt);
      this.metrics.requests++;
      const statusKey =
        outcome.ok || outcome.status !== 0
          ? String(outcome.status)
          : outcome.error.message.includes('timed out')
            ? 'timeout'
            : 'network';
      this.metrics.byStatus[statusKey] = (this.metrics.byStatus[statusKey] ?? 0) + 1;
      if (outcome.ok) {
        if (outcome.drift.length)
          log.info('response drifted from the documented shape', { endpoint, url, drift: outcome.drift });
        if (outcome.findings.length)
          log.warn('records the transform will quarantine; the page lands as served', {
            endpoint,
            url,
            findings: outcome.findings,
          });
        return {
          body: outcome.body as T,
          drift: outcome.drift,
          findings: outcome.findings,
          request: {
            endpoint,
            apiVersion: versionLabel(this.apiVersion),
            url,
            params,
            status: outcome.status,
            attempts: attempt,
            fetchedAt: new Date(t0).toISOString(),
            durationMs: Date.now() - t0,
          },
        };
      }
      const err = outcome.error;
      if (!outcome.retry) throw err;
      lastError = err;
      const elapsed = Date.now() - started;
      let wait: number;
      if (outcome.retryAfterMs !== undefined) {
        this.metrics.rateLimited++;
        wait = outcome.retryAfterMs + Math.floor(this.opts.random() * 250);
        await this.budget?.pauseUntil(Date.now() + wait);
      } else {
        wait = Math.floor(
          this.opts.random() * Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (attempt - 1)),
        );
      }
      if (attempt === this.opts.maxAttempts || elapsed + wait > this.opts.maxRetryTimeMs) break;
      this.metrics.retries++;
      this.metrics.retryWaitMs += wait;
      log.warn('retrying Wistia request', {
        endpoint,
        url,
        attempt,
        status: outcome.status,
        error: err.name,
        reason: err.message,
        waitMs: wait,
      });
      await new Promise((r) => setTimeout(r, wait));
    }
    const e = lastError as WistiaError;
    const Kind = e instanceof WistiaRateLimitError ? WistiaRateLimitError : WistiaTransientError;
    throw new Kind(
      `${e.message} (gave up after ${e.attempts ?? this.opts.maxAttempts} attempts in ${Math.round((Date.now() - started) / 1000)} s)`,
      { endpoint, url, status: e.status, attempts: e.attempts },
    );
  }

  private urlFor(path: string, params: Record<string, string | number>): string {
    const u = new URL(this.baseUrl.toString());
    u.pathname = `${this.baseUrl.pathname}${pathFor(this.apiVersion, path)}`;
    for (const [k, v] of Object.entries(params)) if (!QUERY_SECRETS.test(k)) u.searchParams.set(k, String(v));
    return u.toString();
  }

  private async authHeader(): Promise<string> {
    let token: string;
    try {
      token = (await this.tokenSource()).trim();
    } catch (e) {
      if (e instanceof WistiaError) throw e;
      throw new WistiaConfigError(`could not read the Wistia API token: ${(e as Error).name}`);
    }
    if (!token)
      throw new WistiaConfigError('the Wistia API token is empty (set WISTIA_API_TOKEN or the SSM parameter)');
    return this.opts.auth === 'bearer' ? `Bearer ${token}` : `Basic ${Buffer.from(`api:${token}`).toString('base64')}`;
  }

  private async attempt(
    endpoint: string,
    url: string,
    params: Record<string, string | number>,
    kind: BodyKind,
    attempt: number,
  ): Promise<
    | { ok: true; status: number; body: unknown; drift: DriftIssue[]; findings: RecordFinding[] }
    | { ok: false; status: number; retry: boolean; retryAfterMs?: number; error: WistiaError }
  > {
    const details = { endpoint, url, attempts: attempt };
    let res: AxiosResponse<string>;
    try {
      res = await this.http.get<string>(url, {
        headers: {
          Authorization: await this.authHeader(),
          Accept: 'application/json',
          ...versionHeaders(this.apiVersion),
        },
      });
    } catch (e) {
      if (e instanceof WistiaError) return { ok: false, status: 0, retry: false, error: e };
      // Never keep the axios error: its config holds the Authorization header.
      const code = (e as { code?: string }).code ?? 'UNKNOWN';
      const msg = (e as Error).message ?? '';
      if (code === 'ENOTFOUND')
        return {
          ok: false,
          status: 0,
          retry: false,
          error: new WistiaConfigError(
            `${endpoint}: cannot resolve host "${this.baseUrl.hostname}" (check WISTIA_API_BASE_URL)`,
            details,
          ),
        };
      const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(msg);
      const what = timedOut
        ? `timed out after ${this.opts.timeoutMs} ms`
        : code === 'ECONNREFUSED'
          ? `connection refused by ${this.baseUrl.host}`
          : `network error ${code}`;
      return {
        ok: false,
        status: 0,
        retry: timedOut || NETWORK_TRANSIENT.has(code),
        error: new WistiaTransientError(`${endpoint}: ${what}`, details),
      };
    }
    const status = res.status;
    const d = { ...details, status };
    const text = typeof res.data === 'string' ? res.data : '';
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    if (status === 200) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        // A truncated or garbled body: transient on the wire, so retried.
        return {
          ok: false,
          status,
          retry: true,
          error: new WistiaTransientError(
            `${endpoint}: response body is not valid JSON (${text.length} bytes, truncated?)`,
            d,
          ),
        };
      }
      const v = validateBody(kind, body);
      if (v.fatal)
        return {
          ok: false,
          status,
          retry: false,
          error: new WistiaSchemaError(`${endpoint}: unexpected response body at ${v.fatal.message}`, v.fatal.field, d),
        };
      return { ok: true, status, body, drift: v.drift, findings: v.findings };
    }
    const apiMessage = errorMessageOf(text);
    if (status === 401 || status === 403)
      return {
        ok: false,
        status,
        retry: false,
        error: new WistiaAuthError(
          `${endpoint}: ${status} ${apiMessage || 'unauthorized'} (check the Wistia API token and its permissions)`,
          d,
        ),
      };
    if (status === 404)
      return { ok: false, status, retry: false, error: new WistiaNotFoundError(`${endpoint}: not found (${url})`, d) };
    if (status === 400 || status === 422)
      return {
        ok: false,
        status,
        retry: false,
        error: new WistiaRequestError(`${endpoint}: ${status} ${apiMessage || 'bad request'}`, d),
      };
    if (status === 429 || (status === 503 && retryAfterMs !== undefined))
      return {
        ok: false,
        status,
        retry: true,
        retryAfterMs: retryAfterMs ?? undefined,
        error: new WistiaRateLimitError(`${endpoint}: rate limited (${status})`, d),
      };
    if (status >= 500)
      return {
        ok: false,
        status,
        retry: true,
        error: new WistiaTransientError(`${endpoint}: server error ${status}${apiMessage ? ` ${apiMessage}` : ''}`, d),
      };
    return { ok: false, status, retry: false, error: new WistiaError(`${endpoint}: unexpected status ${status}`, d) };
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
export function parseRetryAfter(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function errorMessageOf(text: string): string {
  try {
    const o = JSON.parse(text) as { error?: unknown };
    return typeof o?.error === 'string' ? o.error.slice(0, 200) : '';
  } catch {
    return text.trim().slice(0, 100);
  }
}
