// The Wistia client against the simulator over real HTTP: paging, retries, Retry-After, auth, errors,
// validation, the rate budget, and the token kept out of every log line and error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WistiaClient, parseRetryAfter } from '#shared/wistia/client.ts';
import {
  WistiaAuthError,
  WistiaConfigError,
  WistiaNotFoundError,
  WistiaRateLimitError,
  WistiaRequestError,
  WistiaSchemaError,
  WistiaTransientError,
} from '#shared/wistia/errors.ts';
import { validateBody, type BodyKind } from '#shared/wistia/validate.ts';
import { FAULT_KINDS } from '#local/simulator/server.ts';
import { DAY_MS, parseDay } from '#local/simulator/world.ts';
import { captureLogger, clientFor, collect, sharedDir, sim, TOKEN } from './helpers/sim.ts';

type Json = Record<string, unknown>;

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('paging', () => {
  it.each([
    [0, 1],
    [99, 1],
    [100, 2],
    [101, 2],
    [250, 3],
  ])('lists all of %i medias in %i requests (per_page=100, stopping on a short or empty page)', async (n, requests) => {
    const s = await sim({ medias: n });
    try {
      const c = clientFor(s);
      const items = await collect(c.listMediasPages());
      expect(items).toHaveLength(n);
      expect(new Set(items.map((m) => m.hashed_id)).size).toBe(n);
      expect(s.getCounters().byRoute).toEqual(n === 0 && requests === 1 ? { '/medias': 1 } : { '/medias': requests });
      expect(c.metrics.requests).toBe(requests);
    } finally {
      await s.close();
    }
  });

  it('lists every project page, newest update first when asked (sort_by=updated, sort_direction=0)', async () => {
    const s = await sim({ medias: 40 });
    try {
      const c = clientFor(s);
      const pages = [];
      for await (const p of c.listProjectsPages({ sort_by: 'updated', sort_direction: 0 })) pages.push(p);
      expect(pages.map((p) => [p.page, p.body.length, p.last])).toEqual([[1, 8, true]]);
      expect(pages[0]?.request.params).toEqual({ sort_by: 'updated', sort_direction: 0, page: 1, per_page: 100 });
      expect([pages[0]?.findings, pages[0]?.drift]).toEqual([[], []]);
      const updated = (pages[0]?.body ?? []).map((p) => Date.parse(String(p.updated)));
      expect(updated).toEqual([...updated].sort((a, b) => b - a));
      expect(s.getCounters().byRoute).toEqual({ '/projects': 1 });
    } finally {
      await s.close();
    }
  });

  it('loses nothing when new events arrive while paging (newest-first pages shift; the shift shows as duplicates)', async () => {
    // "now" moves 20 minutes per request, so today's list grows at its head while the client pages.
    const s = await sim({ medias: 100, eventsPerMediaPerDay: 8, liveMsPerRequest: 1_200_000 });
    try {
      const w = s.world;
      const todayStart = w.today * DAY_MS;
      const before = new Set<string>();
      for (let e = w.lowerBound(todayStart); e < w.visibleEvents(); e++) before.add(w.eventKey(e));
      expect(before.size).toBeGreaterThan(100);
      const c = clientFor(s);
      const items = await collect(c.listEventsPages({ start_date: '2026-11-20', end_date: '2026-11-20' }));
      const keys = items.map((e) => String(e.event_key));
      const seen = new Set(keys);
      for (const k of before) expect(seen.has(k)).toBe(true);
      expect(keys.length - seen.size).toBeGreaterThan(0); // duplicates at page boundaries: dedup happens downstream
    } finally {
      await s.close();
    }
  });
});

describe('paging ahead (issue 16: a listing of estimated size asks a few pages at once)', () => {
  // 450 medias: pages 1-4 full, page 5 short. The simulator answers each request after 300 ms.
  const listed = async (ahead: { through: number; window: number }) => {
    const s = await sim({ medias: 450, latencyMs: 300 });
    try {
      const c = clientFor(s);
      const pages = [];
      for await (const p of c.listMediasPages({}, ahead)) pages.push(p);
      const arrivals = s.requestLog().map((e) => ({ at: e.atMs, page: Number(/page=(\d+)/.exec(e.path)?.[1]) }));
      return { pages, arrivals, requests: c.metrics.requests, byRoute: s.getCounters().byRoute };
    } finally {
      await s.close();
    }
  };
  const ids = (pages: { body: Json[] }[]) => pages.flatMap((p) => p.body.map((m) => String(m.hashed_id)));

  it('with an exact estimate: the same pages in order, no extra request, three in flight at once', async () => {
    const r = await listed({ through: 5, window: 3 });
    expect(r.pages.map((p) => [p.page, p.body.length, p.last])).toEqual([
      [1, 100, false],
      [2, 100, false],
      [3, 100, false],
      [4, 100, false],
      [5, 50, true],
    ]);
    expect(new Set(ids(r.pages)).size).toBe(450);
    expect([r.requests, r.byRoute]).toEqual([5, { '/medias': 5 }]);
    // pages 1-3 were asked together: they reached the simulator well inside one 300 ms answer
    const first3 = r.arrivals.filter((a) => a.page <= 3).map((a) => a.at);
    expect(first3).toHaveLength(3);
    expect(Math.max(...first3) - Math.min(...first3)).toBeLessThan(250);
  });

  it('with an estimate too high: at most window - 1 requests past the last page, nothing yielded twice', async () => {
    const r = await listed({ through: 12, window: 3 });
    expect(r.pages.map((p) => p.page)).toEqual([1, 2, 3, 4, 5]);
    expect(ids(r.pages)).toHaveLength(450);
    expect(r.requests).toBeGreaterThanOrEqual(5);
    expect(r.requests).toBeLessThanOrEqual(7);
  });

  it('past the estimate (and without one): one page at a time, each asked after the one before was answered', async () => {
    for (const through of [0, 2]) {
      const r = await listed({ through, window: 3 });
      expect(r.pages.map((p) => p.page)).toEqual([1, 2, 3, 4, 5]);
      expect(r.requests).toBe(5);
      const at = new Map(r.arrivals.map((a) => [a.page, a.at]));
      for (let page = Math.max(through, 1) + 1; page <= 5; page++)
        expect(at.get(page)! - at.get(page - 1)!).toBeGreaterThanOrEqual(290);
    }
  });
});

describe('the account by date (issue 17)', () => {
  it('asks /stats/account/by_date once for the range, the request recorded without secrets', async () => {
    const s = await sim({ medias: 10 });
    try {
      const c = clientFor(s);
      const r = await c.getAccountByDate('2026-11-01', '2026-11-20');
      expect(r.body).toHaveLength(20);
      expect(r.body[0]).toEqual(s.world.accountByDate(parseDay('2026-11-01'), parseDay('2026-11-01'))[0]);
      expect(r.request.endpoint).toBe('GET /stats/account/by_date');
      expect(r.request.params).toEqual({ start_date: '2026-11-01', end_date: '2026-11-20' });
      expect(r.request.url).toBe(`${s.baseUrl}/stats/account/by_date.json?start_date=2026-11-01&end_date=2026-11-20`);
      expect([r.drift, r.findings]).toEqual([[], []]);
      expect(s.getCounters().byRoute).toEqual({ '/stats/account/by_date': 1 });
      expect(c.metrics.requests).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe('retries', () => {
  it.each(FAULT_KINDS.map((k) => [k]))(
    'recovers from "%s" faults and returns exactly the fault-free result',
    async (kind) => {
      const clean = await sim({ medias: 250 });
      const faulty = await sim({ medias: 250, faults: { rate: 0.3, kinds: [kind], slowMs: 600, burstMs: 200 } });
      try {
        const expected = await collect(clientFor(clean).listMediasPages());
        const c = clientFor(faulty, { timeoutMs: 250 });
        const got: Json[] = [];
        for (let i = 0; i < 4; i++) got.push(...(await collect(c.listMediasPages())));
        expect(got).toEqual([...expected, ...expected, ...expected, ...expected]);
        expect(faulty.getCounters().faults[kind]).toBeGreaterThan(0);
        expect(c.metrics.retries).toBeGreaterThanOrEqual(faulty.getCounters().faults[kind] ?? 0);
      } finally {
        await Promise.all([clean.close(), faulty.close()]);
      }
    },
  );

  it('waits Retry-After seconds after a 429 before the next request (measured at the server)', async () => {
    const s = await sim({ medias: 5, faults: { rate: 1, kinds: ['429'], burstMs: 1000 } });
    try {
      const c = clientFor(s);
      const p = c.getAccountStats();
      await new Promise((r) => setTimeout(r, 50));
      s.configure({ faults: { rate: 0 } });
      await p;
      const log = s.requestLog().filter((l) => l.route === '/stats/account');
      expect(log.map((l) => l.status)).toEqual(['429', '200']);
      const gap = (log[1]?.atMs ?? 0) - (log[0]?.atMs ?? 0);
      expect(gap).toBeGreaterThanOrEqual(1000);
      expect(gap).toBeLessThan(2500);
      expect(c.metrics.rateLimited).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('treats the legacy 503 + Retry-After as a rate limit and honours it', async () => {
    const s = await sim({ medias: 5, rateLimitPerMinute: 2, legacyRateLimit: true });
    try {
      const c = clientFor(s, { maxRetryTimeMs: 1000 });
      await c.getAccountStats();
      await c.getAccountStats();
      const err = await caught(c.getAccountStats());
      expect(err).toBeInstanceOf(WistiaRateLimitError);
      expect(err.name).toBe('WistiaRateLimitError');
      // Retry-After was ~60 s, past the 1 s retry budget: it gave up without hammering the API.
      expect(s.getCounters().byStatus).toEqual({ '200': 2, '503': 1 });
    } finally {
      await s.close();
    }
  });

  it('gives up after maxAttempts with a WistiaTransientError that counts the attempts', async () => {
    const s = await sim({ medias: 5, faults: { rate: 1, kinds: ['502'] } });
    try {
      const c = clientFor(s, { maxAttempts: 4 });
      const err = (await caught(c.getAccountStats())) as WistiaTransientError;
      expect(err).toBeInstanceOf(WistiaTransientError);
      expect(err.attempts).toBe(4);
      expect(err.message).toContain('GET /stats/account: server error 502');
      expect(s.getCounters().total).toBe(4);
    } finally {
      await s.close();
    }
  });

  it('retries a refused connection and then names the host', async () => {
    const s = await sim({ medias: 1 });
    const url = s.baseUrl;
    await s.close();
    const c = new WistiaClient({ baseUrl: url, token: TOKEN, budget: 0, maxAttempts: 3, backoffBaseMs: 5 });
    const err = await caught(c.getAccountStats());
    expect(err).toBeInstanceOf(WistiaTransientError);
    expect(err.message).toMatch(/connection refused by 127\.0\.0\.1:\d+ \(gave up after 3 attempts/);
  });
});

describe('errors that are not retried', () => {
  it('fails at once on 401 with WistiaAuthError', async () => {
    const s = await sim({ medias: 5 });
    try {
      const c = new WistiaClient({ baseUrl: s.baseUrl, token: 'not-the-token', budget: 0 });
      const err = await caught(collect(c.listMediasPages()));
      expect(err).toBeInstanceOf(WistiaAuthError);
      expect(err.message).toBe(
        'GET /medias: 401 Invalid credentials. (check the Wistia API token and its permissions)',
      );
      expect(s.getCounters().total).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('does not retry 404 or 422', async () => {
    const s = await sim({ medias: 5 });
    try {
      const c = clientFor(s);
      expect(await caught(c.getMediaStats('doesnotexist'))).toBeInstanceOf(WistiaNotFoundError);
      const bad = await caught(collect(c.listEventsPages({ start_date: '2026-02-31' })));
      expect(bad).toBeInstanceOf(WistiaRequestError);
      expect(bad.message).toContain('422 Invalid start_date');
      expect(s.getCounters().total).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('rejects a body of the wrong shape; a bad record is a finding that never fails the page; drift is reported', async () => {
    let body = '';
    let requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(String(req.url));
      res.writeHead(200, { 'content-type': 'application/json' });
      // a full page (100 records) with bad ones, then an empty page: paging goes by the page's length
      res.end(new URL(String(req.url), 'http://x').searchParams.get('page') === '2' ? '[]' : body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const c = new WistiaClient({
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        token: TOKEN,
        budget: 0,
      });
      // the shape: not the array a list endpoint returns, not the object a single-object endpoint returns
      body = JSON.stringify({ error: 'not a list' });
      const err = (await caught(collect(c.listEventsPages()))) as WistiaSchemaError;
      expect(err).toBeInstanceOf(WistiaSchemaError);
      expect([err.field, err.message]).toEqual([
        '(body)',
        'GET /stats/events: unexpected response body at (body): expected an array, got object',
      ]);
      body = JSON.stringify([{ load_count: 3 }]);
      const err2 = (await caught(c.getMediaStats('abc'))) as WistiaSchemaError;
      expect([err2.field, err2.message]).toEqual([
        '(body)',
        'GET /stats/medias/{id}: unexpected response body at (body): expected an object, got array',
      ]);
      // records: a key of another type, a key missing, not an object; the rest of the page is good
      const good = (i: number) => ({ received_at: '2025-10-17T17:24:53Z', event_key: `k${i}`, visitor_key: 'v' });
      const records: unknown[] = Array.from({ length: 100 }, (_, i) => good(i));
      records[1] = { received_at: '2025-10-17T17:24:53Z', event_key: 17 };
      records[5] = { received_at: '2025-10-17T17:24:53Z' };
      records[9] = 'not an object';
      body = JSON.stringify(records);
      requests = [];
      const pages = [];
      for await (const p of c.listEventsPages()) pages.push(p);
      expect(requests.map((u) => new URL(u, 'http://x').searchParams.get('page'))).toEqual(['1', '2']);
      expect(pages.map((p) => p.body.length)).toEqual([100, 0]);
      expect(pages[0]?.body).toEqual(records); // kept as it came
      expect(pages[0]?.findings).toEqual([
        { index: 1, field: 'event_key', message: '[1].event_key: expected string, got integer' },
        { index: 5, field: 'event_key', message: '[5].event_key: required field is missing' },
        { index: 9, field: '', message: '[9]: expected an object, got string' },
      ]);
      // a project without its id is a finding; its hashed id in either spelling (v1 hashedId, the dated API's
      // hashed_id) is not a key, so a mistyped one is drift; a null description is documented
      body = JSON.stringify([
        { id: 1, hashedId: 'a1', name: 'ok', description: null, mediaCount: 2, public: false, publicId: null },
        { hashedId: 'b2', name: 'no id' },
        { id: 3, hashedId: 33, name: 'numeric hashed id' },
        { id: 4, hashedId: 'd4', mediaCount: '2', folder_kind: 'x' },
        { id: 5, hashed_id: 'e5', name: 'dated', media_count: 1, public: true, public_id: null },
      ]);
      const projectPages = [];
      for await (const p of c.listProjectsPages()) projectPages.push(p);
      expect(projectPages[0]?.findings).toEqual([
        { index: 1, field: 'id', message: '[1].id: required field is missing' },
      ]);
      expect(projectPages[0]?.drift).toEqual([
        { field: '[].hashedId', kind: 'type', expected: 'string', got: 'integer', count: 1 },
        { field: '[].mediaCount', kind: 'type', expected: 'integer', got: 'string', count: 1 },
        { field: '[].folder_kind', kind: 'new-field', got: 'string', count: 1 },
      ]);
      // a single-object body without its key lands too (the transform quarantines it)
      body = JSON.stringify({ load_count: 3 });
      const stats = await c.getMediaStats('abc');
      expect([stats.body, stats.findings]).toEqual([
        { load_count: 3 },
        [{ index: 0, field: 'play_count', message: 'play_count: required field is missing' }],
      ]);
      body = JSON.stringify([
        {
          received_at: '2025-10-17T17:24:53.000Z',
          event_key: 'k',
          lat: '<redacted>',
          brand_new: { x: 1 },
          percent_viewed: null,
        },
      ]);
      const [page] = await (async () => {
        const pages = [];
        for await (const p of c.listEventsPages()) pages.push(p);
        return pages;
      })();
      expect(page?.body).toEqual(JSON.parse(body)); // kept as it came
      expect(page?.drift).toEqual(
        expect.arrayContaining([
          { field: '[].lat', kind: 'type', expected: 'number | null', got: 'string', count: 1 },
          { field: '[].percent_viewed', kind: 'type', expected: 'number', got: 'null', count: 1 },
          { field: '[].brand_new', kind: 'new-field', got: 'object', count: 1 },
        ]),
      );
    } finally {
      server.close();
    }
  });
});

describe('configuration', () => {
  it('refuses a base URL with credentials or a bad scheme, and an empty token, naming what is wrong', () => {
    expect(() => new WistiaClient({ baseUrl: 'https://api:secret@api.wistia.com/v1', token: 't' })).toThrow(
      WistiaConfigError,
    );
    expect(() => new WistiaClient({ baseUrl: 'ftp://api.wistia.com/v1', token: 't' })).toThrow(
      'WISTIA_API_BASE_URL must be http(s)',
    );
    expect(() => new WistiaClient({ baseUrl: 'not a url', token: 't' })).toThrow(
      'WISTIA_API_BASE_URL is not a valid URL',
    );
    expect(() => new WistiaClient({ token: '  ' })).toThrow('the Wistia API token is empty');
  });

  it('uses Bearer auth when asked', async () => {
    const s = await sim({ medias: 3 });
    try {
      expect((await clientFor(s, { auth: 'bearer' }).getAccountStats()).request.status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const d = parseRetryAfter(new Date(Date.now() + 5000).toUTCString()) ?? 0;
    expect(d).toBeGreaterThan(3000);
    expect(d).toBeLessThanOrEqual(5000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('the rate budget', () => {
  it('spaces requests to the budget (600/min: 40 requests take at least 3 s after a 10-request burst)', async () => {
    const s = await sim({ medias: 5 });
    try {
      const c = clientFor(s, { budget: 600 });
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 40 }, () => c.getAccountStats()));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
      const log = s.requestLog();
      // never more than burst + rate × window in any one-second window
      for (const l of log)
        expect(log.filter((x) => x.atMs >= l.atMs && x.atMs < l.atMs + 1000).length).toBeLessThanOrEqual(21);
    } finally {
      await s.close();
    }
  });
});

describe('secrets', () => {
  it('never puts the token in a log line, an error, or a request record', async () => {
    const secret = 'sEcReT-token-value-42';
    const basic = Buffer.from(`api:${secret}`).toString('base64');
    const s = await sim({
      medias: 900,
      token: secret,
      faults: { rate: 0.3, kinds: ['500', '503', 'truncated', 'reset'] },
    });
    try {
      const logger = captureLogger();
      const c = new WistiaClient({ baseUrl: s.baseUrl, token: secret, budget: 0, backoffBaseMs: 2, logger });
      const pages = [];
      for await (const p of c.listMediasPages()) pages.push(p);
      const texts: string[] = [...logger.lines, JSON.stringify(pages.map((p) => p.request))];
      s.configure({ faults: { rate: 1, kinds: ['502'] } });
      const failing = new WistiaClient({
        baseUrl: s.baseUrl,
        token: secret,
        budget: 0,
        backoffBaseMs: 2,
        maxAttempts: 2,
        logger,
      });
      const wrong = new WistiaClient({ baseUrl: s.baseUrl, token: `${secret}-revoked`, budget: 0, logger });
      s.configure({ faults: { rate: 0 } });
      const errors = [await caught(wrong.getAccountStats())];
      s.configure({ faults: { rate: 1, kinds: ['502'] } });
      errors.push(await caught(failing.getAccountStats()));
      for (const e of errors)
        texts.push(String(e), e.stack ?? '', JSON.stringify(e), inspect(e, { depth: 10, showHidden: true }));
      texts.push(...logger.lines);
      expect(logger.lines.filter((l) => l.includes('retrying Wistia request')).length).toBeGreaterThan(2);
      for (const t of texts) {
        expect(t).not.toContain(secret);
        expect(t).not.toContain(basic);
      }
    } finally {
      await s.close();
    }
  });
});

describe('validation of real bodies', () => {
  const kinds: Record<string, BodyKind> = {
    'example-medias.json': 'medias',
    'example-media.json': 'media',
    'example-stats-media.json': 'mediaStats',
    'example-stats-media.recorded.json': 'mediaStats',
    'example-stats-media-engagement.json': 'engagement',
    'example-stats-media-by-date.json': 'byDate',
    'example-stats-account.json': 'account',
    'example-stats-account-by-date.json': 'byDate',
    'example-stats-visitors.json': 'visitors',
    'example-stats-visitors.recorded-redacted.json': 'visitors',
    'example-stats-visitor.json': 'visitor',
    'example-stats-events.json': 'events',
    'example-stats-events.recorded-redacted.json': 'events',
    'example-stats-event.json': 'event',
    'example-projects.json': 'projects',
  };
  it('accepts every published and recorded example body (quirks as drift at most, never fatal)', () => {
    const dir = join(sharedDir(), 'wistia-api', 'examples');
    const files = readdirSync(dir).filter((f) => f in kinds);
    expect(files).toHaveLength(Object.keys(kinds).length);
    for (const f of files) {
      const r = validateBody(kinds[f] as BodyKind, JSON.parse(readFileSync(join(dir, f), 'utf8')));
      expect([f, r.fatal]).toEqual([f, undefined]);
    }
    // the redacted recording carries lat/lon as strings: reported as drift
    const rec = validateBody(
      'events',
      JSON.parse(readFileSync(join(dir, 'example-stats-events.recorded-redacted.json'), 'utf8')),
    );
    expect(rec.drift.map((d) => d.field).sort()).toEqual(['[].lat', '[].lon']);
  });
});
