// Contract check against the REAL Wistia API (.github/workflows/contract.yml runs it daily): with WISTIA_CONTRACT=1
// and WISTIA_API_TOKEN set, the product's client (functions/shared/wistia/client.ts) lists medias (page 1), reads
// one media's stats, lists events (page 1) and visitors (page 1), and every body must validate against Wistia's
// published v1 JSON Schemas vendored in contracts/wistia-api (the one documented deviation, conversion_data "",
// aside). Without both variables every test here is reported as skipped, with the reason in the suite's name.
// WISTIA_API_BASE_URL (default https://api.wistia.com/v1) points it elsewhere, e.g. at the simulator.
// The token never appears in output: not in a log line, an error or an assertion message.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { WistiaClient, type Json, type Page } from '#shared/wistia/client.ts';
import { captureLogger, ROOT, sharedDir } from './helpers/sim.ts';

const token = process.env.WISTIA_API_TOKEN ?? '';
const enabled = process.env.WISTIA_CONTRACT === '1' && token.trim() !== '';
const reason =
  process.env.WISTIA_CONTRACT !== '1' ? 'WISTIA_CONTRACT=1 is not set' : 'WISTIA_API_TOKEN is not set or empty';

const ajv = new Ajv2020.default({ strict: false, allErrors: true });
addFormats.default(ajv);
const vendored = join(ROOT, 'contracts', 'wistia-api');
function validator(name: string) {
  return ajv.compile(JSON.parse(readFileSync(join(vendored, 'schemas', `schema-${name}.v1.json`), 'utf8')) as Json);
}

/** Never let the token out, whatever an error or a message carries. */
const scrub = (s: string) => (token ? s.split(token).join('***') : s);
async function safely<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const err = e as Error;
    throw new Error(scrub(`${what}: ${err.name}: ${err.message}`));
  }
}
async function firstPage(pages: AsyncGenerator<Page<Json>>): Promise<Page<Json>> {
  const { value } = await pages.next();
  await pages.return(undefined);
  if (!value) throw new Error('the listing yielded no page');
  return value;
}
function expectValid(name: string, body: unknown): void {
  const v = validator(name);
  const ok = v(body);
  expect(ok, scrub(`${name}: ${ajv.errorsText(v.errors)}`)).toBe(true);
}
/** The documented deviation (conversion_data "" on events) is accepted, as the client and simulator do. */
const withoutDocumentedDeviation = (events: Json[]) =>
  events.map((e) => (e.conversion_data === '' ? { ...e, conversion_data: {} } : e));

describe(enabled ? 'contract: the real Wistia API' : `contract: the real Wistia API (skipped: ${reason})`, () => {
  const log = captureLogger();
  const client = enabled
    ? new WistiaClient({
        token,
        auth: process.env.WISTIA_AUTH === 'bearer' ? 'bearer' : 'basic',
        budget: 60, // a few requests: far under the account's limit, shared with production
        maxRetryTimeMs: 60_000,
        logger: log,
      })
    : undefined;
  let mediaId: string | undefined;
  const drift: string[] = [];

  afterAll(() => {
    if (!enabled) return;
    if (drift.length) console.info(`contract: fields the model does not know (drift): ${drift.join(', ')}`);
    expect(log.lines.filter((l) => l.includes(token))).toEqual([]);
  });

  it.skipIf(!enabled)('GET /medias page 1 is a bare array of at most 100 medias that validates', async () => {
    const page = await safely('GET /medias', () => firstPage(client!.listMediasPages()));
    expect(Array.isArray(page.body)).toBe(true);
    expect(page.body.length).toBeLessThanOrEqual(100);
    expect(page.request.params).toMatchObject({ page: 1, per_page: 100 });
    expectValid('medias', page.body);
    drift.push(...page.drift.map((d) => `medias ${d.field}`));
    mediaId = page.body.map((m) => m.hashed_id).find((id): id is string => typeof id === 'string');
    expect(mediaId, 'the account has no media to read stats of').toBeDefined();
  });

  it.skipIf(!enabled)('GET /stats/medias/{id} of the first media validates', async () => {
    expect(mediaId, 'needs the media of the /medias test').toBeDefined();
    const r = await safely('GET /stats/medias/{id}', () => client!.getMediaStats(mediaId!));
    expectValid('stats-media', r.body);
    for (const k of ['load_count', 'play_count', 'hours_watched']) expect(typeof r.body[k]).toBe('number');
    drift.push(...r.drift.map((d) => `stats-media ${d.field}`));
  });

  it.skipIf(!enabled)('GET /stats/events page 1 validates (conversion_data "" aside)', async () => {
    const page = await safely('GET /stats/events', () => firstPage(client!.listEventsPages()));
    expect(page.body.length).toBeLessThanOrEqual(100);
    expectValid('stats-events', withoutDocumentedDeviation(page.body));
    drift.push(...page.drift.map((d) => `stats-events ${d.field}`));
  });

  it.skipIf(!enabled)('GET /projects page 1 is a bare array of at most 100 projects that validates', async () => {
    const page = await safely('GET /projects', () => firstPage(client!.listProjectsPages()));
    expect(page.body.length).toBeLessThanOrEqual(100);
    expect(page.request.params).toMatchObject({ page: 1, per_page: 100 });
    expectValid('projects', page.body);
    drift.push(...page.drift.map((d) => `projects ${d.field}`));
  });

  it.skipIf(!enabled)('GET /stats/visitors page 1 validates', async () => {
    const page = await safely('GET /stats/visitors', () => firstPage(client!.listVisitorsPages()));
    expect(page.body.length).toBeLessThanOrEqual(100);
    expectValid('stats-visitors', page.body);
    drift.push(...page.drift.map((d) => `stats-visitors ${d.field}`));
  });
});

describe('contract: the vendored schemas and examples', () => {
  it('hold the v1 schema of every endpoint the contract and the simulator tests validate', () => {
    const schemas = readdirSync(join(vendored, 'schemas'));
    for (const name of ['medias', 'media', 'stats-media', 'stats-media-engagement', 'stats-media-by-date'])
      expect(schemas).toContain(`schema-${name}.v1.json`);
    for (const name of ['stats-events', 'stats-event', 'stats-visitors', 'stats-visitor', 'stats-account', 'projects'])
      expect(schemas).toContain(`schema-${name}.v1.json`);
    expect(sharedDir()).toBe(process.env.WISTIA_SHARED_DIR ?? join(ROOT, 'contracts'));
  });

  const upstream = join(ROOT, '..', 'shared', 'wistia-api');
  /** Vendored beyond the reference, from the sources it cites (contracts/README.md): the v1 /projects body. */
  const ADDED = [
    'examples/example-projects.json',
    'examples/example-projects.source.txt',
    'schemas/schema-projects.v1.json',
    'schemas/schema-projects.v1.source.txt',
  ];
  const hasUpstream = (() => {
    try {
      return readdirSync(upstream).length > 0;
    } catch {
      return false;
    }
  })();
  it.skipIf(!hasUpstream)('equal ../shared/wistia-api file for file, where that reference sits beside the repo', () => {
    const list = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? list(join(d, e.name)).map((f) => `${e.name}/${f}`) : [e.name],
      );
    const files = list(upstream).sort();
    // what this copy adds beyond the reference (contracts/README.md), until the reference holds it too
    const added = ADDED.filter((f) => !files.includes(f));
    expect(list(vendored).sort()).toEqual([...files, ...added].sort());
    for (const f of files)
      expect([f, readFileSync(join(vendored, f), 'utf8') === readFileSync(join(upstream, f), 'utf8')]).toEqual([
        f,
        true,
      ]);
  });
});
