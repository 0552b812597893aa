// Every 200 body the simulator serves validates against Wistia's published v1 JSON Schemas
// (contracts/wistia-api/schemas/*.v1.json, vendored from ../shared/wistia-api), but for the one documented
// deviation: conversion_data "".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { get, sharedDir, sim } from './helpers/sim.ts';

type Json = Record<string, unknown>;
let s: WistiaSimulator;
const ajv = new Ajv2020.default({ strict: false, allErrors: true });
addFormats.default(ajv);

function validator(name: string) {
  const schema = JSON.parse(readFileSync(join(sharedDir(), 'wistia-api', 'schemas', `schema-${name}.v1.json`), 'utf8'));
  return ajv.compile(schema);
}

/** Replaces the documented conversion_data "" deviation by {} and reports how often it occurred. */
function withoutDocumentedDeviation(events: Json[]): { events: Json[]; deviations: number } {
  let deviations = 0;
  const out = events.map((e) => {
    if (e.conversion_data === '') {
      deviations++;
      return { ...e, conversion_data: {} };
    }
    return e;
  });
  return { events: out, deviations };
}

beforeAll(async () => {
  s = await sim({ medias: 120, historyDays: 120, eventsPerMediaPerDay: 0.3 });
});
afterAll(() => s.close());

describe('simulator bodies against the shared v1 schemas', () => {
  it('/medias pages validate, with Video, Audio and Image medias and both project id spellings', async () => {
    const v = validator('medias');
    const all: Json[] = [];
    for (let page = 1; page <= 2; page++) {
      const body = (await get(s, `/medias.json?per_page=100&page=${page}`)).json() as Json[];
      expect(v(body), ajv.errorsText(v.errors)).toBe(true);
      all.push(...body);
    }
    expect(all).toHaveLength(120);
    expect(new Set(all.map((m) => m.type))).toEqual(new Set(['Video', 'Audio', 'Image']));
    expect(all.filter((m) => m.type === 'Image').every((m) => !('duration' in m))).toBe(true);
    expect(all.every((m) => /\+00:00$/.test(String(m.created)) && /\+00:00$/.test(String(m.updated)))).toBe(true);
    const projects = all.map((m) => m.project as Json);
    expect(projects.some((p) => 'hashed_id' in p)).toBe(true);
    expect(projects.some((p) => 'hashedId' in p)).toBe(true);
  });

  it('/medias/{id} validates', async () => {
    const v = validator('media');
    const [first] = (await get(s, '/medias.json?per_page=1')).json() as Json[];
    const body = (await get(s, `/medias/${String(first?.hashed_id)}.json`)).json();
    expect(v(body), ajv.errorsText(v.errors)).toBe(true);
    expect(body).toEqual(first);
  });

  it('/stats/medias/{id}, /engagement and /by_date validate, with actions sometimes absent', async () => {
    const vStats = validator('stats-media');
    const vEng = validator('stats-media-engagement');
    const vByDate = validator('stats-media-by-date');
    const medias = (await get(s, '/medias.json?per_page=100')).json() as Json[];
    let withoutActions = 0;
    for (const m of medias.slice(0, 40)) {
      const stats = (await get(s, `/stats/medias/${String(m.hashed_id)}.json`)).json() as Json;
      expect(vStats(stats), ajv.errorsText(vStats.errors)).toBe(true);
      if (!('actions' in stats)) withoutActions++;
      const eng = (await get(s, `/stats/medias/${String(m.hashed_id)}/engagement.json`)).json();
      expect(vEng(eng), ajv.errorsText(vEng.errors)).toBe(true);
      const byDate = (
        await get(s, `/stats/medias/${String(m.hashed_id)}/by_date.json?start_date=2026-11-01&end_date=2026-11-20`)
      ).json();
      expect(vByDate(byDate), ajv.errorsText(vByDate.errors)).toBe(true);
    }
    expect(withoutActions).toBeGreaterThan(0);
  });

  it('/stats/visitors and /stats/visitors/{key} validate, with the real quirks', async () => {
    const vList = validator('stats-visitors');
    const vOne = validator('stats-visitor');
    const body = (await get(s, '/stats/visitors.json?per_page=100')).json() as Json[];
    expect(vList(body), ajv.errorsText(vList.errors)).toBe(true);
    expect(body).toHaveLength(100);
    const one = (await get(s, `/stats/visitors/${String(body[0]?.visitor_key)}.json`)).json();
    expect(vOne(one), ajv.errorsText(vOne.errors)).toBe(true);
    expect(one).toEqual(body[0]);
    const identity = body.map((v) => v.visitor_identity as Json);
    expect(identity.some((i) => i.name === '')).toBe(true);
    expect(body.every((v) => typeof (v.user_agent_details as Json).browser_version === 'string')).toBe(true);
    expect(body.some((v) => !('identifying_event_key' in v))).toBe(true);
    expect(body.some((v) => v.identifying_event_key === null)).toBe(true);
    expect(body.every((v) => /^\d{7}_[0-9a-f-]{36}$/.test(String(v.visitor_key)))).toBe(true);
  });

  it('/stats/events and /stats/events/{key} validate but for conversion_data "", the documented deviation', async () => {
    const vList = validator('stats-events');
    const vOne = validator('stats-event');
    const raw = [
      ...((await get(s, '/stats/events.json?per_page=100')).json() as Json[]),
      ...((await get(s, '/stats/events.json?per_page=100&page=2')).json() as Json[]),
    ];
    expect(vList(raw)).toBe(false); // the deviation itself does not validate…
    const { events, deviations } = withoutDocumentedDeviation(raw);
    expect(deviations).toBeGreaterThan(0);
    expect(vList(events), ajv.errorsText(vList.errors)).toBe(true); // …and is the only thing that does not
    const one = (await get(s, `/stats/events/${String(raw[0]?.event_key)}.json`)).json() as Json;
    expect(vOne(withoutDocumentedDeviation([one]).events[0]), ajv.errorsText(vOne.errors)).toBe(true);
    expect(one).toEqual(raw[0]);
    // the quirks real bodies show
    expect(new Set(raw.map((e) => typeof e.conversion_type))).toEqual(new Set(['string', 'number']));
    expect(raw.some((e) => /\.\d{3}Z$/.test(String(e.received_at)))).toBe(true);
    expect(raw.some((e) => /:\d{2}Z$/.test(String(e.received_at)))).toBe(true);
    expect(raw.some((e) => !('thumbnail' in e))).toBe(true);
    const regions = new Set(raw.map((e) => String(e.region)));
    expect([...regions].some((r) => /^[A-Z0-9]{2,3}$/.test(r))).toBe(true);
    expect([...regions].some((r) => r.length > 3)).toBe(true);
    expect(raw.every((e) => /^\d{7}_[0-9a-f-]{36}$/.test(String(e.event_key)))).toBe(true);
    const hosts = new Set(raw.map((e) => new URL(String(e.embed_url)).hostname));
    expect([...hosts].some((h) => h.endsWith('facebook.com'))).toBe(true);
    expect([...hosts].some((h) => h.endsWith('youtube.com'))).toBe(true);
    expect(hosts.has('www.example.com')).toBe(true);
    for (const e of raw) {
      const ip = String(e.ip);
      expect(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/.test(ip) || ip.startsWith('2001:db8:'), ip).toBe(true);
    }
  });

  it('/projects pages validate, every media names one of them, and mediaCount counts its medias', async () => {
    const v = validator('projects');
    const first = (await get(s, '/projects.json?per_page=5&page=1')).json() as Json[];
    const second = (await get(s, '/projects.json?per_page=5&page=2')).json() as Json[];
    const past = (await get(s, '/projects.json?per_page=5&page=3')).json() as Json[];
    for (const body of [first, second, past]) expect(v(body), ajv.errorsText(v.errors)).toBe(true);
    expect([first.length, second.length, past]).toEqual([5, 3, []]);
    const projects = [...first, ...second];
    // default order: by id, ascending
    expect(projects.map((p) => p.id)).toEqual([...projects.map((p) => p.id as number)].sort((a, b) => a - b));
    expect(new Set(projects.map((p) => p.hashedId)).size).toBe(8);
    expect(projects.some((p) => p.description === null)).toBe(true);
    expect(projects.some((p) => p.public === true && typeof p.publicId === 'string')).toBe(true);
    expect(projects.some((p) => p.public === false && p.publicId === null)).toBe(true);
    const medias = [
      ...((await get(s, '/medias.json?per_page=100&page=1')).json() as Json[]),
      ...((await get(s, '/medias.json?per_page=100&page=2')).json() as Json[]),
    ];
    const byId = new Map(projects.map((p) => [p.id, p]));
    for (const m of medias) {
      const mp = m.project as Json;
      const p = byId.get(mp.id);
      expect(p, `project ${String(mp.id)}`).toBeDefined();
      expect([mp.name, mp.hashed_id ?? mp.hashedId]).toEqual([p?.name, p?.hashedId]);
    }
    for (const p of projects) expect(p.mediaCount).toBe(medias.filter((m) => (m.project as Json).id === p.id).length);
    expect(projects.reduce((n, p) => n + (p.mediaCount as number), 0)).toBe(120);
    // updated: the newest media's creation in the project (never before the project's own creation)
    for (const p of projects) {
      const newest = Math.max(
        Date.parse(String(p.created)),
        ...medias.filter((m) => (m.project as Json).id === p.id).map((m) => Date.parse(String(m.created))),
      );
      expect(Date.parse(String(p.updated))).toBe(newest);
    }
    const desc = (await get(s, '/projects.json?per_page=100&sort_by=updated&sort_direction=0')).json() as Json[];
    const times = desc.map((p) => Date.parse(String(p.updated)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('/stats/account validates and carries the required totals', async () => {
    const v = validator('stats-account');
    const body = (await get(s, '/stats/account.json')).json();
    expect(v(body), ajv.errorsText(v.errors)).toBe(true);
  });

  it("/stats/account/by_date validates (a media by_date's row shape) and is the sum of the medias' by_date", async () => {
    // no schema of its own is published: the README (2.5) gives it the row shape of a media's by_date
    const v = validator('stats-media-by-date');
    const q = 'start_date=2026-10-01&end_date=2026-11-20';
    const account = (await get(s, `/stats/account/by_date.json?${q}`)).json() as Json[];
    expect(v(account), ajv.errorsText(v.errors)).toBe(true);
    expect(account).toHaveLength(51);
    const sum = new Map<string, { load_count: number; play_count: number; hours_watched: number }>();
    for (const m of s.world.visibleMedias())
      for (const r of (await get(s, `/stats/medias/${m.hashedId}/by_date.json?${q}`)).json() as Json[]) {
        const acc = sum.get(String(r.date)) ?? { load_count: 0, play_count: 0, hours_watched: 0 };
        acc.load_count += Number(r.load_count);
        acc.play_count += Number(r.play_count);
        acc.hours_watched += Number(r.hours_watched);
        sum.set(String(r.date), acc);
      }
    for (const row of account) {
      const m = sum.get(String(row.date));
      expect([row.date, row.load_count, row.play_count]).toEqual([row.date, m?.load_count, m?.play_count]);
      expect(row.hours_watched as number).toBeCloseTo(m?.hours_watched ?? NaN, 9);
    }
    expect(account.reduce((a, r) => a + Number(r.play_count), 0)).toBeGreaterThan(0);
    // without dates: yesterday and today, as a media's
    expect(((await get(s, '/stats/account/by_date.json')).json() as Json[]).map((r) => r.date)).toEqual([
      '2026-11-19',
      '2026-11-20',
    ]);
  });

  it("with accountLagMinutes the account's today falls short of its medias' (Wistia's edge disagreement)", async () => {
    const lagged = await sim({ medias: 30, historyDays: 30, eventsPerMediaPerDay: 2, nowHourUtc: 12 });
    try {
      const q = 'start_date=2026-11-18&end_date=2026-11-20';
      const exact = (await get(lagged, `/stats/account/by_date.json?${q}`)).json() as Json[];
      lagged.configure({ accountLagMinutes: 180 });
      const lag = (await get(lagged, `/stats/account/by_date.json?${q}`)).json() as Json[];
      expect(lag.slice(0, 2)).toEqual(exact.slice(0, 2)); // the days before today agree
      const w = lagged.world;
      const lastHours = w.visibleEvents() - w.upperBound(w.nowMs - 180 * 60_000);
      expect(lastHours).toBeGreaterThan(0);
      expect(Number(exact[2]?.play_count) - Number(lag[2]?.play_count)).toBe(lastHours);
    } finally {
      await lagged.close();
    }
  });

  it('/stats/medias/{id} (lifetime) agrees with the events and the by_date rows', async () => {
    const w = s.world;
    const m = w.visibleMedias().find((x) => [...w.mediaEvents(x)].length > 0);
    expect(m).toBeDefined();
    const stats = (await get(s, `/stats/medias/${m!.hashedId}.json`)).json() as Json;
    const events = [...w.mediaEvents(m!)];
    const days = (
      await get(s, `/stats/medias/${m!.hashedId}/by_date.json?start_date=2024-01-01&end_date=2026-11-20`)
    ).json() as Json[];
    expect(stats.play_count).toBe(events.length);
    expect(stats.play_count).toBe(days.reduce((a, r) => a + Number(r.play_count), 0));
    expect(stats.load_count).toBe(days.reduce((a, r) => a + Number(r.load_count), 0));
    expect(stats.play_rate as number).toBeCloseTo(Number(stats.play_count) / Number(stats.load_count), 12);
  });
});
