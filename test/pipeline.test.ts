// End to end: the ASL run locally against the simulator over real HTTP, with the same handler code as AWS.
import { byDimension, parseEmf, sumPoints, total } from '#shared/metrics.ts';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { getJson, putJson } from '#shared/store/store.ts';
import { readWatermarks, type Watermarks } from '#shared/pipeline/watermarks.ts';
import { readMapResults } from '#shared/pipeline/map-results.ts';
import { LEASE_KEY, WATERMARKS_KEY } from '#shared/pipeline/keys.ts';
import { PAYLOAD_LIMIT_BYTES } from '#local/runner/limits.ts';
import { readHistory } from '#local/ops/history.ts';
import { makeHandler as eventPages } from '../functions/event-pages/handler.ts';
import { makeHandler as commitHandler, type CommitOutput } from '../functions/commit/handler.ts';
import { makeHandler as planHandler } from '../functions/plan/handler.ts';
import { makeHandler as planEngagementHandler } from '../functions/plan-engagement/handler.ts';
import { DEFAULT_CONFIG } from '#shared/pipeline/config.ts';
import { WistiaClient } from '#shared/wistia/client.ts';
import { parseDay } from '#local/simulator/world.ts';
import { bronzeRecords, listKeys, localStore, minimumFirstRun, run, tempDir } from './helpers/pipeline.ts';
import { sim as startSim, TOKEN } from './helpers/sim.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});
async function account(opts: Parameters<typeof startSim>[0] = {}): Promise<{ sim: WistiaSimulator; dir: string }> {
  const sim = await startSim({ medias: 60, historyDays: 120, eventsPerMediaPerDay: 0.5, ...opts });
  const dir = tempDir();
  cleanup.push(
    () => sim.close(),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  return { sim, dir };
}
const keysOf = (rs: Record<string, unknown>[], k: string) => new Set(rs.map((r) => String(r[k])));

describe('a clean account', () => {
  it('lands complete bronze with exactly the minimum number of requests', async () => {
    const { sim, dir } = await account();
    // No faults here: a long request timeout, so that a busy machine's slow answer is not retried (and counted).
    const r = await run(sim, dir, {
      clientOptions: { backoffBaseMs: 5, backoffMaxMs: 20, timeoutMs: 60_000, maxRetryTimeMs: 120_000 },
    });
    expect([r.status, r.error]).toEqual(['SUCCEEDED', undefined]);
    const store = localStore(dir);
    const w = sim.world;
    // every media, event and visitor the simulator holds
    expect(keysOf(await bronzeRecords(store, 'medias'), 'hashed_id')).toEqual(
      new Set(w.visibleMedias().map((m) => m.hashedId)),
    );
    // every project, from one listing page sorted by `updated`, newest first
    const projects = await bronzeRecords(store, 'projects');
    expect(projects.map((p) => p.hashedId)).toEqual(
      [...w.renderProjects()]
        .sort((a, b) => Date.parse(String(b.updated)) - Date.parse(String(a.updated)) || Number(b.id) - Number(a.id))
        .map((p) => p.hashedId),
    );
    const events = await bronzeRecords(store, 'events');
    const expectedEvents = new Set<string>();
    for (let e = w.lowerBound(w.retentionStartMs()); e < w.visibleEvents(); e++) expectedEvents.add(w.eventKey(e));
    expect(keysOf(events, 'event_key')).toEqual(expectedEvents);
    expect(events.length).toBe(expectedEvents.size);
    const stats = await bronzeRecords(store, 'media_stats');
    expect(new Set(stats.map((s) => (s.__scope as { media: string }).media))).toEqual(
      new Set(w.visibleMedias().map((m) => m.hashedId)),
    );
    expect((await bronzeRecords(store, 'media_engagement')).length).toBe(w.visibleMedias().length);
    const visitors = await bronzeRecords(store, 'visitors');
    expect(visitors.length).toBe(w.visibleVisitors());
    // issue 17: each media's lifetime stats as served now, and the account's days over the run's range
    const lifetime = await bronzeRecords(store, 'media_lifetime');
    expect(lifetime.map((l) => (l.__scope as { media: string }).media).sort()).toEqual(
      w
        .visibleMedias()
        .map((m) => m.hashedId)
        .sort(),
    );
    const firstLifetime = lifetime.find((l) => (l.__scope as { media: string }).media === w.medias[0]?.hashedId);
    const { __scope: _s, ...servedLifetime } = firstLifetime ?? {};
    expect(servedLifetime).toEqual(w.mediaStats(w.medias[0]!));
    const accountDays = await bronzeRecords(store, 'account_stats');
    const windowItems = (await getJson<{ start: string }[]>(store, `runs/${r.name}/items/windows.json`))?.value ?? [];
    const rangeStart = windowItems[0]?.start ?? '';
    expect(accountDays.length).toBe((Date.parse('2026-11-20') - Date.parse(rangeStart)) / 86_400_000 + 1);
    expect(accountDays.map(({ __scope: _a, ...row }) => row)).toEqual(
      w.accountByDate(parseDay(rangeStart), parseDay('2026-11-20')),
    );
    // the minimum: medias list pages + 1 (account by date) + event pages per window + 3 per media + the cheaper
    // visitor option
    const min = await minimumFirstRun(sim, store, r.name);
    const c = sim.getCounters();
    expect(c.total).toBe(min.total);
    expect(r.requests).toBe(min.total);
    // the run's metrics (its Lambdas' EMF figures, summed) say the same, and count every bronze object and record
    expect(total(r.metrics, 'WistiaRequests')).toBe(min.total);
    expect(total(r.metrics, 'WistiaRateLimited')).toBe(0);
    const bronzeKeys = await listKeys(store, 'bronze/');
    expect(total(r.metrics, 'BronzePages')).toBe(bronzeKeys.length);
    expect(byDimension(r.metrics, 'RecordsLanded', 'entity')).toMatchObject({
      events: events.length,
      visitors: visitors.length,
      media_stats: stats.length,
    });
    expect(Object.keys(r.lambdaUsage ?? {}).sort()).toEqual(
      expect.arrayContaining(['wistia-commit', 'wistia-event-pages', 'wistia-media-engagement', 'wistia-plan']),
    );
    // the EMF documents themselves (what CloudWatch Logs would hold) parse to the same figures, and each map
    // item's carries the execution, the Distributed Map child execution serving it and the item
    const emfText = (await store.get(r.emfKey!))!.body.toString('utf8');
    const docs = emfText.trim().split('\n');
    expect(sumPoints(parseEmf(docs))).toEqual(r.metrics);
    const parsed = docs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(new Set(parsed.map((d) => d.execution))).toEqual(new Set([r.name]));
    const engagementDocs = parsed.filter((d) => String(d.item ?? '').startsWith('media='));
    expect(engagementDocs.length).toBeGreaterThan(0);
    for (const d of engagementDocs) expect(String(d.childExecution)).toMatch(new RegExp(`^${r.arn}/\\w+-\\d{6}$`));
    const windowDocs = parsed.filter((d) => String(d.item ?? '').startsWith('window='));
    expect(windowDocs.length).toBeGreaterThan(0);
    for (const d of windowDocs) expect(d.childExecution).toMatch(/\/\w+-\d{6}$/);
    // the plan is no map item: no child execution
    expect(parsed.filter((d) => d.handler === 'wistia-plan').every((d) => d.childExecution === undefined)).toBe(true);
    expect(c.byRoute['/medias']).toBe(min.parts.medias);
    expect(c.byRoute['/projects']).toBe(min.parts.projects);
    expect(c.byRoute['/stats/events']).toBe(min.parts.events);
    expect(c.byRoute['/stats/account/by_date']).toBe(min.parts.account);
    expect(
      (c.byRoute['/stats/medias/:id/by_date'] ?? 0) +
        (c.byRoute['/stats/medias/:id/engagement'] ?? 0) +
        (c.byRoute['/stats/medias/:id'] ?? 0),
    ).toBe(min.parts.engagement);
    expect((c.byRoute['/stats/visitors'] ?? 0) + (c.byRoute['/stats/visitors/:key'] ?? 0)).toBe(min.parts.visitors);
    // each bronze object records its request without secrets, its page, fetch time and count
    const [first] = await listKeys(store, 'bronze/events/');
    const obj = (await getJson<Record<string, unknown>>(store, String(first)))?.value as Record<string, unknown>;
    expect(first).toMatch(
      new RegExp(
        `^bronze/events/ingest_date=2026-11-20/run=${r.name}/window=\\d{4}-\\d{2}-\\d{2}_\\d{4}-\\d{2}-\\d{2}/page-00001\\.json$`,
      ),
    );
    expect(Object.keys(obj)).toEqual([
      'entity',
      'runId',
      'ingestDate',
      'scope',
      'request',
      'page',
      'fetchedAt',
      'count',
      'drift',
      'findings',
      'records',
    ]);
    expect(obj.count).toBe((obj.records as unknown[]).length);
    expect(obj.findings).toEqual([]); // a clean account: no record the transform will quarantine
    expect(JSON.stringify(obj)).not.toContain(TOKEN);
    // an execution history under the data dir: runs/<execution>/history.jsonl, one event a line, in order
    expect(r.historyKey).toBe(`runs/${r.name}/history.jsonl`);
    const text = (await store.get(r.historyKey))!.body.toString('utf8');
    const history = await readHistory(store, r.name);
    expect(text.endsWith('}\n')).toBe(true);
    expect(
      text
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(history?.events);
    expect([history?.events[0]?.type, history?.execution.status]).toEqual(['ExecutionStarted', 'SUCCEEDED']);
    const entered = new Set(history?.events.filter((e) => e.type === 'StateEntered').map((e) => e.state));
    for (const s of [
      'Plan the run',
      'Fetch event pages by window',
      'Plan engagement and visitors',
      'Fetch engagement per media',
      'Transform and load the warehouse',
      'Commit watermarks',
    ])
      expect(entered.has(s)).toBe(true);
    expect(history?.events.filter((e) => e.type === 'MapItemSucceeded').length).toBe(
      r.mapRuns.reduce((a, m) => a + m.counts.succeeded, 0),
    );
  });

  it('pages a window through continuations when the Lambda runs short of time, landing the same bronze', async () => {
    const { sim, dir } = await account({ medias: 20, eventsPerMediaPerDay: 3 });
    // every invocation "runs out of time" after one page: each page is its own Lambda call in the loop
    const r = await run(sim, dir, {
      config: { accountRequestsPerMinute: 60_000, reserveMs: 1_000_000, backfillWindowDays: 365 },
    });
    expect(r.status).toBe('SUCCEEDED');
    const store = localStore(dir);
    const events = await bronzeRecords(store, 'events');
    expect(events.length).toBe(sim.world.visibleEvents() - sim.world.lowerBound(sim.world.retentionStartMs()));
    const pages = (await listKeys(store, 'bronze/events/')).filter((k) => k.includes('window='));
    expect(pages.length).toBeGreaterThan(2);
    const history = await readHistory(store, r.name);
    expect(history?.events.some((e) => e.type === 'MapItemSucceeded')).toBe(true);
  });
});

describe('faults', () => {
  it('with 10% transient faults every item still succeeds through retries, landing the fault-free bronze', async () => {
    const clean = await account({ seed: 11 });
    const faulty = await account({
      seed: 11,
      faults: {
        rate: 0.1,
        kinds: ['500', '502', '503', '504', 'reset', 'truncated', 'slow', '429'],
        slowMs: 3000,
        burstMs: 50,
      },
    });
    const a = await run(clean.sim, clean.dir);
    const b = await run(faulty.sim, faulty.dir);
    expect([b.status, b.error]).toEqual(['SUCCEEDED', undefined]);
    for (const m of b.mapRuns) expect([m.label, m.counts.failed, m.counts.pending]).toEqual([m.label, 0, 0]);
    const faults = faulty.sim.getCounters().faults;
    expect(Object.values(faults).reduce((x, y) => x + y, 0)).toBeGreaterThan(10);
    for (const entity of ['medias', 'events', 'media_stats', 'media_engagement', 'visitors', 'projects']) {
      const strip = (rs: Record<string, unknown>[]) =>
        rs.map((x) => JSON.stringify({ ...x, __scope: undefined })).sort();
      expect([entity, strip(await bronzeRecords(localStore(faulty.dir), entity))]).toEqual([
        entity,
        strip(await bronzeRecords(localStore(clean.dir), entity)),
      ]);
    }
    expect(a.requests).toBeLessThan(b.requests);
  });

  it('a media that always fails ends within tolerance: the run succeeds and its item is in the FAILED manifest', async () => {
    const { sim, dir } = await account();
    const victim = sim.world.visibleMedias()[3]?.hashedId as string;
    sim.configure({ failMedias: { [victim]: 500 } });
    const r = await run(sim, dir, { clientOptions: { backoffBaseMs: 2, backoffMaxMs: 5, maxAttempts: 2 } });
    expect([r.status, r.error]).toEqual(['SUCCEEDED', undefined]);
    const eng = r.mapRuns.find((m) => m.label === 'MediaEngagement');
    expect(eng?.counts).toEqual({ succeeded: 59, failed: 1, aborted: 0, pending: 0 });
    const store = localStore(dir);
    const results = await readMapResults(store, String(eng?.resultWriterDetails?.Key));
    expect(results.failed.map((f) => (f.input as { media: { hashed_id: string } }).media.hashed_id)).toEqual([victim]);
    expect(results.failed[0]?.error).toBe('WistiaTransientError');
    expect(results.succeeded).toHaveLength(59);
    // nothing is lost: the next run fetches it again
    const wm = (await readWatermarks(store)).value as Watermarks;
    expect(wm.carryOver?.medias).toEqual([victim]);
    sim.configure({ failMedias: {} });
    sim.resetCounters();
    const r2 = await run(sim, dir);
    expect(r2.status).toBe('SUCCEEDED');
    const stats = await bronzeRecords(store, 'media_stats', r2.name);
    expect(stats.map((s) => (s.__scope as { media: string }).media)).toContain(victim);
    expect((await readWatermarks(store)).value?.carryOver?.medias).toEqual([]);
  });

  it('too many failing medias fail the map past its tolerance, and the run advances no watermark', async () => {
    const { sim, dir } = await account();
    const fail = Object.fromEntries(
      sim.world
        .visibleMedias()
        .slice(0, 10)
        .map((m) => [m.hashedId, 500]),
    );
    sim.configure({ failMedias: fail });
    const r = await run(sim, dir, { clientOptions: { backoffBaseMs: 2, backoffMaxMs: 5, maxAttempts: 1 } });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.ExceedToleratedFailureThreshold');
    expect((await readWatermarks(localStore(dir))).value).toBeUndefined();
  });
});

describe('incremental runs and watermarks', () => {
  it('a second run on the same day re-fetches nothing already landed beyond the overlap', async () => {
    const { sim, dir } = await account();
    expect((await run(sim, dir)).status).toBe('SUCCEEDED');
    sim.resetCounters();
    const r = await run(sim, dir);
    expect(r.status).toBe('SUCCEEDED');
    const c = sim.getCounters();
    // one medias page (nothing changed), the account's days over the overlap, yesterday's and today's event
    // windows (the overlap), nothing else
    const events = (await bronzeRecords(localStore(dir), 'events', r.name)).length;
    expect(c.byRoute).toEqual({
      '/medias': 1,
      '/projects': 1,
      '/stats/account/by_date': 1,
      '/stats/events': 2 + Math.floor(events / 100),
    });
    const accountDays = await bronzeRecords(localStore(dir), 'account_stats', r.name);
    expect(accountDays.map((d) => d.date)).toEqual(['2026-11-19', '2026-11-20']);
    const windows = (await getJson<{ start: string }[]>(localStore(dir), `runs/${r.name}/items/windows.json`))?.value;
    expect(windows).toEqual([
      { start: '2026-11-19', end: '2026-11-19' },
      { start: '2026-11-20', end: '2026-11-20' },
    ]);
  });

  it('a run planned for a day before the events watermark fetches no window and leaves the watermark where it was', async () => {
    const { sim, dir } = await account();
    const first = await run(sim, dir);
    expect(first.status).toBe('SUCCEEDED');
    const store = localStore(dir);
    const before = (await readWatermarks(store)).value?.events;
    expect(before?.throughDay).toBe('2026-11-20');
    // an operator's (or a late retry's) run for three days earlier
    const late = await run(sim, dir, { input: { today: '2026-11-17' } });
    expect(late.status).toBe('SUCCEEDED');
    expect(late.mapRuns.map((m) => m.label)).not.toContain('EventWindows');
    const after = (await readWatermarks(store)).value;
    expect(after?.lastRun?.runId).toBe(late.name);
    expect(after?.events).toEqual(before);
  });

  it('the next day fetches only what changed: new and updated medias, medias with new plays, new visitors', async () => {
    const { sim, dir } = await account();
    expect((await run(sim, dir)).status).toBe('SUCCEEDED');
    const before = await readWatermarks(localStore(dir));
    sim.advance(1);
    sim.resetCounters();
    const r = await run(sim, dir);
    expect(r.status).toBe('SUCCEEDED');
    const store = localStore(dir);
    const w = sim.world;
    const since = Date.parse(String(before.value?.events?.maxReceivedAt));
    const activeMedias = new Set<string>();
    const activeVisitors = new Set<string>();
    for (let e = w.upperBound(since); e < w.visibleEvents(); e++) {
      activeMedias.add(w.medias[w.evMedia.at(e)]?.hashedId as string);
      activeVisitors.add(w.visitorKey(w.evVisitor.at(e)));
    }
    const changed = w
      .visibleMedias()
      .filter(
        (m) => Math.floor(w.mediaUpdatedMs(m) / 1000) * 1000 > Date.parse(String(before.value?.medias?.maxUpdated)),
      );
    const needing = new Set([...activeMedias, ...changed.map((m) => m.hashedId)]);
    const stats = await bronzeRecords(store, 'media_stats', r.name);
    expect(new Set(stats.map((s) => (s.__scope as { media: string }).media))).toEqual(needing);
    // visitors: lookups of the active ones, or one scan of all when that costs fewer requests
    const visitors = keysOf(await bronzeRecords(store, 'visitors', r.name), 'visitor_key');
    for (const k of activeVisitors) expect(visitors.has(k)).toBe(true);
    const scanCost = Math.floor(w.visibleVisitors() / 100) + 1;
    const c = sim.getCounters().byRoute;
    expect((c['/stats/visitors'] ?? 0) + (c['/stats/visitors/:key'] ?? 0)).toBe(
      Math.min(activeVisitors.size, scanCost),
    );
    expect(c['/stats/visitors/:key'] ?? 0).toBe(activeVisitors.size <= scanCost ? activeVisitors.size : 0);
    const after = (await readWatermarks(store)).value;
    expect(after?.events?.throughDay).toBe('2026-11-21');
    expect(after?.lastRun?.runId).toBe(r.name);
    // projects: one page, the projects a new media moved since the watermark landed, the watermark at the newest
    const projectsWm = Date.parse(String(before.value?.projects?.maxUpdated));
    const projects = w.renderProjects();
    expect(Number.isNaN(projectsWm)).toBe(false);
    expect(c['/projects']).toBe(1);
    const landed = await bronzeRecords(store, 'projects', r.name);
    const moved = projects.filter((p) => Date.parse(String(p.updated)) > projectsWm);
    expect(moved.length).toBeGreaterThan(0);
    for (const p of moved) expect(landed.map((x) => x.hashedId)).toContain(p.hashedId);
    expect(after?.projects?.maxUpdated).toBe(
      new Date(Math.max(...projects.map((p) => Date.parse(String(p.updated))))).toISOString(),
    );
  });

  it('a run that fails advances no watermark, and the next good run completes', async () => {
    const { sim, dir } = await account();
    expect((await run(sim, dir)).status).toBe('SUCCEEDED');
    const store = localStore(dir);
    const before = await readWatermarks(store);
    sim.advance(1);
    const failedLoad = await run(sim, dir, {
      glue: async () => {
        throw Object.assign(new Error('warehouse unreachable'), { name: 'Glue.InternalServiceException' });
      },
    });
    expect(failedLoad.status).toBe('FAILED');
    expect(failedLoad.error).toBe('Glue.InternalServiceException');
    expect(await readWatermarks(store)).toEqual(before);
    sim.configure({ token: 'rotated-token' });
    const revoked = await run(sim, dir);
    expect([revoked.status, revoked.error]).toEqual(['FAILED', 'WistiaAuthError']);
    expect(revoked.cause).toContain('401 Invalid credentials.');
    expect(revoked.cause).not.toContain(TOKEN);
    expect(await readWatermarks(store)).toEqual(before);
    sim.configure({ token: TOKEN });
    const good = await run(sim, dir);
    expect(good.status).toBe('SUCCEEDED');
    expect((await readWatermarks(store)).value?.events?.throughDay).toBe('2026-11-21');
  });
});

describe('idempotent items', () => {
  it('re-running an item rewrites identical keys with identical records', async () => {
    const { sim, dir } = await account({ eventsPerMediaPerDay: 3 });
    const store = localStore(dir);
    const client = new WistiaClient({ baseUrl: sim.baseUrl, token: TOKEN, budget: 0 });
    const handler = eventPages({
      store,
      config: DEFAULT_CONFIG,
      wistia: (rpm) => client.withBudget(rpm),
      now: () => new Date(),
      executionStatus: async () => undefined,
    });
    const input = {
      runId: 'daily-test',
      ingestDate: '2026-11-20',
      window: { start: '2026-11-01', end: '2026-11-19' },
      requestsPerMinute: 6000,
    };
    const ctx = { getRemainingTimeInMillis: () => 900_000 };
    const first = await handler(input, ctx);
    const keys1 = await listKeys(store, 'bronze/events/');
    const records1 = await bronzeRecords(store, 'events');
    const second = await handler(input, ctx);
    expect(await listKeys(store, 'bronze/events/')).toEqual(keys1);
    expect(await bronzeRecords(store, 'events')).toEqual(records1);
    expect(keys1.length).toBeGreaterThan(1);
    expect({ ...second, requests: 0 }).toEqual({ ...first, requests: 0 });
  });

  it('rejects a malformed item input naming the field', async () => {
    const { sim, dir } = await account();
    const client = new WistiaClient({ baseUrl: sim.baseUrl, token: TOKEN, budget: 0 });
    const handler = eventPages({
      store: localStore(dir),
      config: DEFAULT_CONFIG,
      wistia: (rpm) => client.withBudget(rpm),
      now: () => new Date(),
      executionStatus: async () => undefined,
    });
    const ctx = { getRemainingTimeInMillis: () => 900_000 };
    await expect(
      handler(
        {
          runId: 'r',
          ingestDate: '2026-11-20',
          window: { start: '2026-11-40', end: '2026-11-19' },
          requestsPerMinute: 60,
        },
        ctx,
      ),
    ).rejects.toThrow('start: "2026-11-40" does not match');
    await expect(
      handler({ runId: 'r', ingestDate: '2026-11-20', window: { start: '2026-11-01', end: '2026-11-19' } }, ctx),
    ).rejects.toThrow('requestsPerMinute: required');
  });
});

type History = { events: { type: string; state?: string; error?: string; cause?: string }[] };
async function history(dir: string, name: string): Promise<History> {
  return (await readHistory(localStore(dir), name)) ?? { events: [] };
}
const entered = (h: History) => new Set(h.events.filter((e) => e.type === 'StateEntered').map((e) => e.state));

describe('a Distributed Map with no items is never started', () => {
  it('an empty account: the engagement and visitor maps are skipped, and the run succeeds', async () => {
    const { sim, dir } = await account({ medias: 0 });
    const r = await run(sim, dir);
    expect([r.status, r.error, r.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    // only the events map ran (its windows exist whatever the account holds); each of its windows was one page
    expect(r.mapRuns.map((m) => m.label)).toEqual(['EventWindows']);
    const h = await history(dir, r.name);
    for (const s of ['No media engagement to fetch', 'No visitors to fetch', 'Commit watermarks'])
      expect([s, entered(h).has(s)]).toEqual([s, true]);
    expect(entered(h).has('Fetch engagement per media')).toBe(false);
    expect(entered(h).has('Look up visitors by key')).toBe(false);
    const wm = (await readWatermarks(localStore(dir))).value;
    expect([wm?.lastRun?.runId, wm?.carryOver]).toEqual([r.name, { medias: [], visitors: [] }]);
    expect(sim.getCounters().byRoute['/stats/medias/:id/by_date'] ?? 0).toBe(0);
  });

  it('an incremental day with nothing new: the engagement and visitor maps are skipped, and it commits', async () => {
    const { sim, dir } = await account();
    expect((await run(sim, dir)).status).toBe('SUCCEEDED');
    sim.resetCounters();
    const r = await run(sim, dir); // the same day again: no media changed, no event since the last run
    expect([r.status, r.error]).toEqual(['SUCCEEDED', undefined]);
    expect(r.mapRuns.map((m) => [m.label, m.items])).toEqual([['EventWindows', 2]]);
    const h = await history(dir, r.name);
    expect(entered(h).has('No media engagement to fetch')).toBe(true);
    expect(entered(h).has('No visitors to fetch')).toBe(true);
    expect(entered(h).has('Fetch engagement per media')).toBe(false);
    const store = localStore(dir);
    const plan = (await getJson<{ engagement: { count: number } }>(store, `runs/${r.name}/engagement-plan.json`))
      ?.value;
    expect(plan?.engagement.count).toBe(0);
    expect((await readWatermarks(store)).value?.lastRun?.runId).toBe(r.name);
    expect(sim.getCounters().byRoute['/stats/medias/:id/engagement'] ?? 0).toBe(0);
  });
});

describe("Step Functions' payload quota (256 KiB)", () => {
  it('a carry-over list past 256 KiB commits: the watermarks stay in the store, the state gets a small result', async () => {
    const { sim, dir } = await account({ medias: 10 });
    expect((await run(sim, dir)).status).toBe('SUCCEEDED');
    const store = localStore(dir);
    // Carry-over grown over many bad days: 1,500 medias the next run will fail again (ids the handler refuses).
    const stuck = Array.from({ length: 1500 }, (_, i) => `stuck-${String(i).padStart(4, '0')}-${'x'.repeat(180)}`);
    const before = (await readWatermarks(store)).value as Watermarks;
    await putJson(store, WATERMARKS_KEY, { ...before, carryOver: { medias: stuck, visitors: [] } });
    expect(Buffer.byteLength(JSON.stringify(stuck))).toBeGreaterThan(PAYLOAD_LIMIT_BYTES);
    sim.advance(1);
    const r = await run(sim, dir, { config: { accountRequestsPerMinute: 60_000, toleratedFailurePercentage: 100 } });
    expect([r.status, r.error, r.cause?.slice(0, 300)]).toEqual(['SUCCEEDED', undefined, undefined]);
    const eng = r.mapRuns.find((m) => m.label === 'MediaEngagement');
    expect([eng?.counts.failed, eng?.status]).toEqual([1500, 'SUCCEEDED']); // failed again, within tolerance
    const wm = await getJson<Watermarks>(store, WATERMARKS_KEY);
    expect(wm?.value.carryOver?.medias).toEqual(stuck);
    expect(wm?.value.lastRun?.runId).toBe(r.name);
    const file = await store.get(WATERMARKS_KEY);
    expect(file?.body.length).toBeGreaterThan(PAYLOAD_LIMIT_BYTES);
    // what the commit put in the state: counts and the watermarks' key and ETag, not the watermarks
    const commit = (r.output as { commit: { value: CommitOutput } }).commit.value;
    expect(commit).toEqual({
      runId: r.name,
      throughDay: '2026-11-21',
      carriedOver: { medias: 1500, visitors: 0 },
      watermarks: { key: WATERMARKS_KEY, etag: file?.etag },
      lease: 'released',
    });
    expect(Buffer.byteLength(JSON.stringify(r.output))).toBeLessThan(64 * 1024);
    expect(await store.get(LEASE_KEY)).toBeUndefined();
  });

  it('a commit retried after its write (the invocation failed) finds its own watermarks and succeeds', async () => {
    const { sim, dir } = await account({ medias: 5 });
    let attempts = 0;
    const r = await run(sim, dir, {
      handlers: {
        CommitFunctionArn: (deps) => {
          const real = commitHandler(deps);
          return async (event, ctx) => {
            const out = await real(event, ctx);
            if (++attempts === 1) throw Object.assign(new Error('the sandbox went away'), { name: 'Lambda.Unknown' });
            return out;
          };
        },
      },
    });
    expect([r.status, r.error, attempts]).toEqual(['SUCCEEDED', undefined, 2]);
    const store = localStore(dir);
    expect((await readWatermarks(store)).value?.lastRun?.runId).toBe(r.name);
    const commit = (r.output as { commit: { value: CommitOutput } }).commit.value;
    expect(commit.watermarks.etag).toBe((await store.get(WATERMARKS_KEY))?.etag);
    expect(commit.lease).toBe('released');
  });

  it("refuses a Lambda task's result over 256 KiB with States.DataLimitExceeded, which States.ALL does not catch", async () => {
    const { sim, dir } = await account({ medias: 5 });
    // The commit as it was: the whole watermarks object (here padded past the quota) back into the state.
    const r = await run(sim, dir, {
      handlers: {
        CommitFunctionArn: (deps) => {
          const real = commitHandler(deps);
          return async (event, ctx) => ({ ...(await real(event, ctx)), watermarks: { pad: 'x'.repeat(300_000) } });
        },
      },
    });
    expect([r.status, r.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(r.cause).toContain('the result the state/task "Commit watermarks" returned');
    expect(r.cause).toMatch(/\d+ bytes of UTF-8 JSON > 262144/);
    const h = await history(dir, r.name);
    // the Catch (States.ALL → "Ingestion failed") did not apply: the execution failed in the commit state itself
    expect(entered(h).has('Ingestion failed')).toBe(false);
    expect(h.events.filter((e) => e.type === 'StateRetried' && e.state === 'Commit watermarks')).toEqual([]);
    expect(h.events.find((e) => e.type === 'StateFailed')?.state).toBe('Commit watermarks');
  });

  it("fails the execution when a state's output (after ResultPath) passes 256 KiB, before the next state starts", async () => {
    const { sim, dir } = await account({ medias: 5 });
    const pad = (n: number) => 'p'.repeat(n);
    const r = await run(sim, dir, {
      handlers: {
        // each result is under the quota, but the state that merges the second into its input is not
        PlanFunctionArn: (deps) => {
          const real = planHandler(deps);
          return async (e, c) => ({ ...(await real(e, c)), pad: pad(140_000) });
        },
        PlanEngagementFunctionArn: (deps) => {
          const real = planEngagementHandler(deps);
          return async (e, c) => ({ ...(await real(e, c)), pad: pad(140_000) });
        },
      },
    });
    expect([r.status, r.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(r.cause).toContain('the output of state "Plan engagement and visitors"');
    const h = await history(dir, r.name);
    expect(entered(h).has('Keep the engagement plan')).toBe(false);
    expect(entered(h).has('Ingestion failed')).toBe(false);
  });
});
