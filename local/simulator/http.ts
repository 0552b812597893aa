// The simulator's HTTP plumbing: the rolling-minute rate limiter, paging and date parameters, route templates for
// the counters, and sending a reply. The API itself (auth, faults, dispatch over the world) is ./server.ts.
import type { ServerResponse } from 'node:http';
import { parseDay } from './world.ts';

/** A body sent as this exact text (e.g. malformed JSON) instead of being serialised. */
export class RawBody {
  constructor(readonly text: string) {}
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Rolling-window limiter: at most `limit` accepted requests in any 60 s. */
export class RateLimiter {
  private readonly stamps: number[] = [];
  private head = 0;
  check(limit: number, now: number): number | null {
    if (limit <= 0) return null;
    while (this.head < this.stamps.length && (this.stamps[this.head] as number) <= now - 60_000) this.head++;
    if (this.head > 4096) {
      this.stamps.splice(0, this.head);
      this.head = 0;
    }
    if (this.stamps.length - this.head >= limit) {
      const oldest = this.stamps[this.head] as number;
      return Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000));
    }
    this.stamps.push(now);
    return null;
  }
}

export function pageParams(q: URLSearchParams): { page: number; perPage: number } {
  const page = Math.max(1, Number.parseInt(q.get('page') ?? '1', 10) || 1);
  const raw = Number.parseInt(q.get('per_page') ?? '10', 10);
  const perPage = Math.min(100, Math.max(1, Number.isFinite(raw) && raw > 0 ? raw : 10));
  return { page, perPage };
}

export function dateParam(q: URLSearchParams, name: string): number | undefined | Error {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  try {
    return parseDay(v);
  } catch {
    return new Error(`Invalid ${name}: expected YYYY-MM-DD, got "${v}"`);
  }
}

/** The route template a path belongs to, for counters ("/stats/medias/:id/engagement"). */
export function routeOf(path: string): string {
  const seg = path.split('/').filter(Boolean);
  if (seg[0] === 'medias') return seg.length === 1 ? '/medias' : '/medias/:id';
  if (seg[0] === 'projects') return seg.length === 1 ? '/projects' : '/projects/:id';
  if (seg[0] === 'stats') {
    if (seg[1] === 'medias') return seg.length === 3 ? '/stats/medias/:id' : `/stats/medias/:id/${seg[3] ?? ''}`;
    if (seg[1] === 'visitors') return seg.length === 2 ? '/stats/visitors' : '/stats/visitors/:key';
    if (seg[1] === 'events') return seg.length === 2 ? '/stats/events' : '/stats/events/:key';
    if (seg[1] === 'account') return seg[2] === 'by_date' ? '/stats/account/by_date' : '/stats/account';
  }
  return 'other';
}

export function send(res: ServerResponse, r: Reply): void {
  if (r.body === undefined) {
    res.writeHead(r.status, { 'content-length': '0', ...r.headers });
    return void res.end();
  }
  const text = r.body instanceof RawBody ? r.body.text : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...r.headers,
  });
  res.end(text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
