// WISTIA_API_VERSION (issue 17): v1 by default, or a dated release of the modern API. The rule as a table, then the
// client against the simulator over HTTP in both dialects: the dated API is asked at /modern/<path> with
// X-Wistia-Api-Version, serves `folder` for `project` and snake_case asset keys, and lands the same records
// otherwise; bodies of both dialects validate against Wistia's schemas of that dialect.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '#shared/wistia/api-version.ts';
import { WistiaClient } from '#shared/wistia/client.ts';
import { parseApiPath, shapeBody } from '#local/simulator/dialect.ts';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { clientFor, collect, sharedDir, sim, TOKEN } from './helpers/sim.ts';

type Json = Record<string, unknown>;

describe('the API version rule', () => {
  it.each([
    [undefined, 'v1'],
    ['', 'v1'],
    ['v1', 'v1'],
    [' V1 ', 'v1'],
    ['2026-01', '2026-01'],
    ['2026-03', '2026-03'],
    ['2027-11', '2027-11'],
  ])('%j is %s', (raw, label) => {
    expect(api.versionLabel(api.parseApiVersion(raw))).toBe(label);
  });

  it.each([
    ['2026-13', /must be "v1" or a dated release "YYYY-MM"/],
    ['2026-00', /must be "v1" or a dated release/],
    ['2026-3', /must be "v1" or a dated release/],
    ['modern', /must be "v1" or a dated release/],
    ['v2', /must be "v1" or a dated release/],
    ['2025-12', /before the first dated release \(2026-01\)/],
  ])('%j is refused, naming WISTIA_API_VERSION', (raw, message) => {
    expect(() => api.parseApiVersion(raw)).toThrow(message);
    expect(() => api.parseApiVersion(raw)).toThrow(/^WISTIA_API_VERSION /);
    try {
      api.parseApiVersion(raw);
    } catch (e) {
      expect((e as Error).name).toBe('WistiaConfigError');
    }
  });

  it('spells paths, queries, headers and the base URL as each version does', () => {
    const v1 = api.parseApiVersion('v1');
    const dated = api.parseApiVersion('2026-03');
    expect(api.defaultBaseUrl(v1)).toBe('https://api.wistia.com/v1');
    expect(api.defaultBaseUrl(dated)).toBe('https://api.wistia.com/modern');
    expect(api.pathFor(v1, '/medias')).toBe('/medias.json');
    expect(api.pathFor(v1, '/projects')).toBe('/projects.json');
    expect(api.pathFor(dated, '/medias')).toBe('/medias');
    expect(api.pathFor(dated, '/projects')).toBe('/folders');
    expect(api.pathFor(dated, '/projects/abc')).toBe('/folders/abc');
    // the Stats API keeps "projects" in the dated API
    expect(api.pathFor(dated, '/stats/projects/abc')).toBe('/stats/projects/abc');
    expect(api.queryFor(v1, { project_id: 'p1', page: 2 })).toEqual({ project_id: 'p1', page: 2 });
    expect(api.queryFor(dated, { project_id: 'p1', page: 2 })).toEqual({ folder_id: 'p1', page: 2 });
    expect(api.versionHeaders(v1)).toEqual({});
    expect(api.versionHeaders(dated)).toEqual({ 'X-Wistia-Api-Version': '2026-03' });
  });

  it('the simulator routes both dialects and shapes media bodies as the dated API does', () => {
    expect(parseApiPath('/v1/medias.json')).toEqual({ dialect: 'v1', path: '/medias' });
    expect(parseApiPath('/v1/stats/events')).toEqual({ dialect: 'v1', path: '/stats/events' });
    expect(parseApiPath('/modern/medias')).toEqual({ dialect: 'modern', path: '/medias' });
    expect(parseApiPath('/modern/folders')).toEqual({ dialect: 'modern', path: '/projects' });
    expect(parseApiPath('/modern/stats/projects/x')).toEqual({ dialect: 'modern', path: '/stats/projects/x' });
    expect(parseApiPath('/modern/medias.json')).toBeNull();
    expect(parseApiPath('/modern/projects')).toBeNull();
    expect(parseApiPath('/medias.json')).toBeNull();
    const v1 = {
      hashed_id: 'abc',
      project: { id: 1, name: 'P', hashed_id: 'ph' },
      assets: [{ url: 'u', fileSize: 5, contentType: 'video/mp4', type: 'OriginalFile' }],
    };
    expect(shapeBody('modern', '/medias/:id', v1)).toEqual({
      hashed_id: 'abc',
      folder: { id: 1, name: 'P', hashedId: 'ph' },
      assets: [{ url: 'u', file_size: 5, content_type: 'video/mp4', type: 'OriginalFile' }],
    });
    expect(shapeBody('v1', '/medias/:id', v1)).toBe(v1);
    expect(shapeBody('modern', '/stats/events', [{ a: 1 }])).toEqual([{ a: 1 }]);
  });
});

describe('the client in both dialects, against the simulator', () => {
  let s: WistiaSimulator;
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const schema = (name: string) =>
    ajv.compile(JSON.parse(readFileSync(join(sharedDir(), 'wistia-api', 'schemas', `schema-${name}.json`), 'utf8')));

  beforeAll(async () => {
    s = await sim({ medias: 130, historyDays: 30, eventsPerMediaPerDay: 0.5 });
  });
  afterAll(() => s.close());

  const dated = () => clientFor(s, { baseUrl: s.baseUrlFor('2026-03'), apiVersion: '2026-03' });

  it('asks /modern/<path> with X-Wistia-Api-Version and records the version with each request', async () => {
    s.resetCounters();
    const pages = [];
    for await (const p of dated().listMediasPages()) pages.push(p);
    expect(pages.map((p) => p.body.length)).toEqual([100, 30]);
    const [first] = pages;
    expect(first?.request.apiVersion).toBe('2026-03');
    expect(new URL(String(first?.request.url)).pathname).toMatch(/\/modern\/medias$/);
    expect(first?.request.url).not.toContain('.json');
    expect(s.getCounters().byApiVersion).toEqual({ '2026-03': 2 });
    const v1Page = await clientFor(s).listMediasPages().next();
    expect(v1Page.value?.request.apiVersion).toBe('v1');
    expect(new URL(String(v1Page.value?.request.url)).pathname).toMatch(/\/v1\/medias\.json$/);
    expect(s.getCounters().byApiVersion).toEqual({ '2026-03': 2, v1: 1 });
  });

  it("serves the dated API's media shape, which validates against its schema and drifts nowhere", async () => {
    const validate = schema('medias.modern');
    const pages = [];
    for await (const p of dated().listMediasPages()) pages.push(p);
    const medias = pages.flatMap((p) => p.body);
    for (const p of pages) {
      expect(validate(p.body), ajv.errorsText(validate.errors)).toBe(true);
      expect(p.drift).toEqual([]);
      expect(p.findings).toEqual([]);
    }
    expect(medias.every((m) => !('project' in m) && typeof (m.folder as Json).hashedId === 'string')).toBe(true);
    const assets = medias.flatMap((m) => m.assets as Json[]);
    expect(assets.length).toBeGreaterThan(medias.length);
    expect(assets.every((a) => typeof a.file_size === 'number' && !('fileSize' in a))).toBe(true);
    const one = await dated().getMedia(String(medias[0]?.hashed_id));
    expect(schema('media.modern')(one.body)).toBe(true);
    expect(one.body).toEqual(medias[0]);
  });

  it('the same account either way: media for media (project = folder), and the Stats API identical', async () => {
    const v1 = await collect(clientFor(s).listMediasPages());
    const modern = await collect(dated().listMediasPages());
    expect(modern.map((m) => m.hashed_id)).toEqual(v1.map((m) => m.hashed_id));
    const p = (m: Json) => {
      const x = (m.project ?? m.folder) as Json;
      return [x.id, x.name, x.hashed_id ?? x.hashedId];
    };
    expect(modern.map(p)).toEqual(v1.map(p));
    const q = { start_date: '2026-11-01', end_date: '2026-11-20' };
    const eventsV1 = await collect(clientFor(s).listEventsPages(q));
    expect(eventsV1.length).toBeGreaterThan(100);
    expect(await collect(dated().listEventsPages(q))).toEqual(eventsV1);
    const id = String(v1[0]?.hashed_id);
    expect((await dated().getMediaStats(id)).body).toEqual((await clientFor(s).getMediaStats(id)).body);
    expect((await dated().getMediaEngagement(id)).body).toEqual((await clientFor(s).getMediaEngagement(id)).body);
  });

  it("lists projects as the dated API's /folders, in snake_case, the same projects as v1's /projects", async () => {
    const pages = [];
    for await (const p of dated().listProjectsPages()) pages.push(p);
    expect(new URL(String(pages[0]?.request.url)).pathname).toMatch(/\/modern\/folders$/);
    expect(pages.flatMap((p) => p.drift)).toEqual([]);
    const folders = pages.flatMap((p) => p.body);
    const projects = await collect(clientFor(s).listProjectsPages());
    expect(projects.length).toBeGreaterThan(1);
    expect(folders.every((f) => typeof f.hashed_id === 'string' && typeof f.media_count === 'number')).toBe(true);
    expect(folders.every((f) => !('hashedId' in f) && !('mediaCount' in f))).toBe(true);
    expect(folders.map((f) => [f.id, f.hashed_id, f.media_count, f.updated])).toEqual(
      projects.map((p) => [p.id, p.hashedId, p.mediaCount, p.updated]),
    );
  });

  it('the simulator refuses the v1 spelling (.json) on /modern, a 404 the client names', async () => {
    const r = await fetch(`${s.origin}/modern/medias.json`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'x-wistia-api-version': '2026-03' },
    });
    expect(r.status).toBe(404);
    const wrong = new WistiaClient({ baseUrl: `${s.origin}/modern`, token: TOKEN, budget: 0, apiVersion: 'v1' });
    await expect(wrong.getAccountStats()).rejects.toThrow(/GET \/stats\/account: not found/);
  });

  it('a bad WISTIA_API_VERSION stops the client at construction, naming the variable', () => {
    const before = process.env.WISTIA_API_VERSION;
    process.env.WISTIA_API_VERSION = '26-03';
    try {
      expect(() => new WistiaClient({ token: TOKEN })).toThrow(/WISTIA_API_VERSION must be "v1" or a dated release/);
    } finally {
      if (before === undefined) delete process.env.WISTIA_API_VERSION;
      else process.env.WISTIA_API_VERSION = before;
    }
    expect(new WistiaClient({ token: TOKEN, apiVersion: '2026-05' }).baseUrl.toString()).toBe(
      'https://api.wistia.com/modern',
    );
  });
});
