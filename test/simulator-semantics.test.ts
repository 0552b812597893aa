// The simulator behaves as the documented API does: paging, sorting, filters, errors, auth, rate limit,
// consistency across endpoints, the clock, determinism, and scale.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type WistiaSimulator } from '#local/simulator/server.ts';
import { DAY_MS } from '#local/simulator/world.ts';
import { defectOf } from '#local/simulator/misbehave.ts';
import { get, sim, TODAY, TOKEN } from './helpers/sim.ts';

type Json = Record<string, unknown>;
let s: WistiaSimulator;
beforeAll(async () => {
  s = await sim({ medias: 60, historyDays: 90, eventsPerMediaPerDay: 0.5 });
});
afterAll(() => s.close());

async function allPages(path: string): Promise<Json[]> {
  const out: Json[] = [];
  for (let page = 1; ; page++) {
    const body = (await get(s, `${path}${path.includes('?') ? '&' : '?'}per_page=100&page=${page}`)).json() as Json[];
    out.push(...body);
    if (body.length < 100) return out;
  }
}

describe('paging', () => {
  it('defaults to 10 per page, caps per_page at 100, is 1-based and answers [] past the last page', async () => {
    expect(((await get(s, '/medias.json')).json() as Json[]).length).toBe(10);
    expect(((await get(s, '/stats/events.json?per_page=500')).json() as Json[]).length).toBe(100);
    const p1 = (await get(s, '/medias.json?per_page=25&page=1')).json() as Json[];
    const p0 = (await get(s, '/medias.json?per_page=25&page=0')).json() as Json[];
    expect(p0).toEqual(p1);
    expect((await get(s, '/medias.json?per_page=25&page=3')).json()).toHaveLength(10);
    expect((await get(s, '/medias.json?per_page=25&page=4')).json()).toEqual([]);
    expect((await get(s, '/medias?per_page=25&page=4')).status).toBe(200); // the .json suffix is optional
  });

  it('sorts medias by name, created or updated in both directions', async () => {
    for (const key of ['created', 'updated'] as const) {
      const asc = (await get(s, `/medias.json?per_page=100&sort_by=${key}&sort_direction=1`)).json() as Json[];
      const desc = (await get(s, `/medias.json?per_page=100&sort_by=${key}&sort_direction=0`)).json() as Json[];
      const t = asc.map((m) => Date.parse(String(m[key])));
      expect(t).toEqual([...t].sort((a, b) => a - b));
      expect(desc.map((m) => m[key])).toEqual([...asc.map((m) => m[key])].reverse());
    }
    const byName = ((await get(s, '/medias.json?per_page=100&sort_by=name')).json() as Json[]).map((m) =>
      String(m.name).toLowerCase(),
    );
    expect(byName).toEqual([...byName].sort());
  });

  it('lists events newest first, filtered by inclusive dates, media and visitor', async () => {
    const all = await allPages('/stats/events.json');
    expect(all.length).toBe((s.state() as { events: number }).events);
    const times = all.map((e) => Date.parse(String(e.received_at)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const day = '2026-11-10';
    const oneDay = await allPages(`/stats/events.json?start_date=${day}&end_date=${day}`);
    expect(oneDay.length).toBe(all.filter((e) => String(e.received_at).startsWith(day)).length);
    expect(oneDay.length).toBeGreaterThan(0);
    const mediaId = String(all[0]?.media_id);
    const ofMedia = await allPages(`/stats/events.json?media_id=${mediaId}`);
    expect(ofMedia.map((e) => e.event_key)).toEqual(all.filter((e) => e.media_id === mediaId).map((e) => e.event_key));
    const visitorKey = String(all[5]?.visitor_key);
    const ofVisitor = await allPages(`/stats/events.json?visitor_key=${visitorKey}`);
    expect(ofVisitor.map((e) => e.event_key)).toEqual(
      all.filter((e) => e.visitor_key === visitorKey).map((e) => e.event_key),
    );
  });
});

describe('errors and auth', () => {
  it('answers 422 with an error object for a bad date', async () => {
    const r = await get(s, '/stats/events.json?start_date=2026-02-30');
    expect(r.status).toBe(422);
    expect(r.json()).toEqual({ error: expect.stringContaining('start_date') });
  });

  it('answers 404 with an empty body for unknown ids', async () => {
    for (const p of [
      '/medias/nope123456.json',
      '/stats/medias/nope123456.json',
      '/stats/visitors/1760721_nope.json',
      '/stats/events/1760721_nope.json',
      '/nothing.json',
    ]) {
      const r = await get(s, p);
      expect([p, r.status, r.text]).toEqual([p, 404, '']);
    }
  });

  it('accepts Basic (user api) and Bearer, and refuses anything else with 401 Invalid credentials', async () => {
    const basic = (user: string, pw: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`,
    });
    expect((await get(s, '/stats/account.json', basic('api', TOKEN))).status).toBe(200);
    expect((await get(s, '/stats/account.json', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    for (const h of [
      basic('api', 'wrong'),
      basic('admin', TOKEN),
      { authorization: 'Bearer wrong' },
      { authorization: `Token ${TOKEN}` },
      {},
    ]) {
      const r = await get(s, '/stats/account.json', h);
      expect(r.status).toBe(401);
      expect(r.json()).toEqual({ error: 'Invalid credentials.' });
    }
  });

  it('rate limits per rolling minute with 429 text/plain and Retry-After, or 503 in legacy mode', async () => {
    for (const legacy of [false, true]) {
      const r = await startSimulator({
        seed: 1,
        medias: 5,
        today: TODAY,
        token: TOKEN,
        rateLimitPerMinute: 5,
        legacyRateLimit: legacy,
      });
      try {
        const statuses: number[] = [];
        let last: Awaited<ReturnType<typeof get>> | undefined;
        for (let i = 0; i < 7; i++) {
          last = await get(r, '/stats/account.json');
          statuses.push(last.status);
        }
        const limited = legacy ? 503 : 429;
        expect(statuses).toEqual([200, 200, 200, 200, 200, limited, limited]);
        expect(last?.headers.get('content-type')).toBe('text/plain');
        expect(last?.text).toBe('Rate limit exceeded');
        const retryAfter = Number(last?.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(59);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(r.getCounters().byStatus).toEqual({ '200': 5, [String(limited)]: 2 });
      } finally {
        await r.close();
      }
    }
  });
});

describe('consistency across endpoints', () => {
  it("a media's stats equal its events: plays, distinct visitors, hours watched, engagement; loads reconcile by date", async () => {
    const events = await allPages('/stats/events.json');
    const medias = await allPages('/medias.json');
    let checked = 0;
    for (const m of medias.filter((x) => x.type !== 'Image').slice(0, 15)) {
      const id = String(m.hashed_id);
      const mine = events.filter((e) => e.media_id === id);
      const stats = (await get(s, `/stats/medias/${id}.json`)).json() as Json;
      expect(stats.play_count).toBe(mine.length);
      expect(stats.visitors).toBe(new Set(mine.map((e) => e.visitor_key)).size);
      const hours = mine.reduce((a, e) => a + Number(e.percent_viewed) * Number(m.duration), 0) / 3600;
      expect(stats.hours_watched as number).toBeCloseTo(hours, 6);
      if (mine.length)
        expect(stats.engagement as number).toBeCloseTo(
          mine.reduce((a, e) => a + Number(e.percent_viewed), 0) / mine.length,
          6,
        );
      expect(stats.play_rate as number).toBeCloseTo(Number(stats.play_count) / Number(stats.load_count), 10);
      const byDate = (
        await get(s, `/stats/medias/${id}/by_date.json?start_date=2026-08-01&end_date=${TODAY}`)
      ).json() as Json[];
      expect(byDate.reduce((a, r) => a + Number(r.play_count), 0)).toBe(mine.length);
      expect(byDate.reduce((a, r) => a + Number(r.load_count), 0)).toBe(stats.load_count);
      const eng = (await get(s, `/stats/medias/${id}/engagement.json`)).json() as {
        engagement_data: number[];
        rewatch_data: number[];
      };
      expect(eng.engagement_data.length).toBe(Math.min(1000, Math.ceil(Number(m.duration))));
      expect(eng.rewatch_data.length).toBe(eng.engagement_data.length);
      expect(eng.engagement_data[0]).toBe(mine.length); // every play starts at the first second
      checked++;
    }
    expect(checked).toBe(15);
  });

  it('by_date without dates returns yesterday and today', async () => {
    const [m] = (await get(s, '/medias.json?per_page=1')).json() as Json[];
    const rows = (await get(s, `/stats/medias/${String(m?.hashed_id)}/by_date.json`)).json() as Json[];
    expect(rows.map((r) => r.date)).toEqual(['2026-11-19', '2026-11-20']);
  });

  it("visitors' counts and account totals reconcile with the events", async () => {
    const events = await allPages('/stats/events.json');
    const visitors = await allPages('/stats/visitors.json');
    expect(visitors.length).toBe(new Set(events.map((e) => e.visitor_key)).size);
    for (const v of visitors.slice(0, 30)) {
      const mine = events.filter((e) => e.visitor_key === v.visitor_key);
      expect(v.play_count).toBe(mine.length);
      expect(v.last_event_key).toBe(mine[0]?.event_key);
    }
    const account = (await get(s, '/stats/account.json')).json() as Json;
    expect(account.play_count).toBe(events.length);
    expect(account.load_count).toBe(visitors.reduce((a, v) => a + Number(v.load_count), 0));
  });
});

describe('the clock', () => {
  it('advancing a day adds medias, updates some, and brings new visitors and events', async () => {
    const c = await sim({ medias: 40, historyDays: 30, eventsPerMediaPerDay: 0.5 });
    try {
      const before = c.state() as { medias: number; events: number; visitors: number; today: string };
      const mediasBefore = (await get(c, '/medias.json?per_page=100')).json() as Json[];
      c.advance(1);
      const after = c.state() as { medias: number; events: number; visitors: number; today: string };
      expect(after.today).toBe('2026-11-21');
      expect(after.medias).toBe(before.medias + 1); // max(1, 40 medias / 30 days)
      expect(after.events).toBeGreaterThan(before.events);
      expect(after.visitors).toBeGreaterThan(before.visitors);
      const mediasAfter = (await get(c, '/medias.json?per_page=100')).json() as Json[];
      const changed = mediasAfter.filter((m) => {
        const old = mediasBefore.find((o) => o.hashed_id === m.hashed_id);
        return old && old.updated !== m.updated;
      });
      expect(changed.length).toBeGreaterThan(0);
      for (const m of changed)
        expect(Date.parse(String(m.updated))).toBeGreaterThan(Date.parse('2026-11-20T06:00:00Z'));
      // a past day's events are a stable list
      const past = (await get(c, '/stats/events.json?start_date=2026-11-15&end_date=2026-11-15&per_page=100')).json();
      c.advance(1);
      expect(
        (await get(c, '/stats/events.json?start_date=2026-11-15&end_date=2026-11-15&per_page=100')).json(),
      ).toEqual(past);
    } finally {
      await c.close();
    }
  });

  it('is deterministic: the same seed serves the same bodies, another seed different ones', async () => {
    const a = await sim({ seed: 99 });
    const b = await sim({ seed: 99 });
    const c = await sim({ seed: 100 });
    try {
      for (const p of [
        '/medias.json?per_page=100',
        '/stats/events.json?per_page=100',
        '/stats/visitors.json?per_page=100',
      ]) {
        expect((await get(a, p)).text).toBe((await get(b, p)).text);
        expect((await get(a, p)).text).not.toBe((await get(c, p)).text);
      }
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('keeps events for two years only', async () => {
    const old = await sim({ medias: 5, historyDays: 730 });
    try {
      old.advance(10);
      const today = Date.parse(`${String((old.state() as { today: string }).today)}T00:00:00Z`);
      const cutoff = new Date(today - 730 * DAY_MS).toISOString().slice(0, 10);
      const r = (await get(old, `/stats/events.json?end_date=${cutoff}&per_page=100`)).json() as Json[];
      expect(r.every((e) => String(e.received_at).slice(0, 10) >= cutoff)).toBe(true);
    } finally {
      await old.close();
    }
  });
});

describe('scale', () => {
  it('holds 10k medias and about 1M events in modest memory', async () => {
    const before = process.memoryUsage().rss;
    const big = await startSimulator({
      seed: 3,
      medias: 10_000,
      today: TODAY,
      historyDays: 365,
      eventsPerMediaPerDay: 0.55,
      token: TOKEN,
      rateLimitPerMinute: 0,
    });
    try {
      const st = big.state() as { medias: number; events: number };
      expect(st.medias).toBe(10_000);
      expect(st.events).toBeGreaterThan(800_000);
      const account = (await get(big, '/stats/account.json')).json() as Json;
      expect(account.play_count).toBe(st.events);
      const grownMb = (process.memoryUsage().rss - before) / 2 ** 20;
      expect(grownMb).toBeLessThan(600);
    } finally {
      await big.close();
    }
  });
});

describe('bad records (issue 12: --bad-records, off by default)', () => {
  it('serves the same records with the same defect on every request, leaves the rest as they were, and counts what it served', async () => {
    const opts = { rate: 0.2, seed: 3 };
    const bad = await sim({ medias: 60, historyDays: 90, eventsPerMediaPerDay: 0.5, misbehave: opts });
    try {
      const path = '/stats/events.json?per_page=100&page=1';
      const clean = (await get(s, path)).json() as Json[];
      const first = (await get(bad, path)).json() as Json[];
      expect((await get(bad, path)).json()).toEqual(first); // a retry sees the same page
      expect(first).toHaveLength(clean.length); // records are altered, never dropped or added
      let altered = 0;
      clean.forEach((c, i) => {
        const d = defectOf(opts, 'events', String(c.event_key));
        if (!d) expect(first[i]).toEqual(c);
        else {
          altered++;
          const want = structuredClone(c);
          d.apply(want);
          expect(first[i]).toEqual(want);
        }
      });
      expect(altered).toBeGreaterThan(0);
      const ledger = bad.misbehaviour().events ?? {};
      expect(Object.values(ledger).reduce((a, b) => a + b, 0)).toBe(2 * altered); // served twice
      // off by default: the default simulator served nothing altered
      expect(s.misbehaviour()).toEqual({});
    } finally {
      await bad.close();
    }
  });
});
