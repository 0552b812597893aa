// The reliability suite's bad input (test/reliability.test.ts): drift, broken, truncated and malformed bodies, a
// record without its key, hostile names, exactly 100 medias; and an account with no media.
import { beforeAll, describe, expect, it } from 'vitest';
import { type WistiaSimulator } from '#local/simulator/server.ts';
import { readWatermarks } from '#shared/pipeline/watermarks.ts';
import { readMapResults } from '#shared/pipeline/map-results.ts';
import { getJson } from '#shared/store/store.ts';
import { localStore } from '../helpers/pipeline.ts';
import { checksums, runDay, todayOf, type DayRun, truthEvents, withWarehouse } from '../helpers/reliability.ts';
import {
  badInput,
  EVENT_CASES,
  eventCase,
  HOSTILE_NAMES,
  NEGATIVE_LOADS_REASON,
  pick,
  UPDATED_REASON,
  VISITOR_MODULO,
  type BadInput,
} from '../helpers/bad-input.ts';
import { TOKEN, FIRST_DAY, dirs, worker, simulator, succeeded } from './context.ts';

export function describeBadInput(): void {
  describe('bad input', () => {
    let sim: WistiaSimulator;
    let bad: BadInput;
    const dir = dirs.bad;
    const runs: DayRun[] = [];
    // exactly 100 medias: the listing is one full page and one empty page
    beforeAll(async () => {
      sim = await simulator({ seed: 5, medias: 100, historyDays: 30, eventsPerMediaPerDay: 0.3 });
      bad = badInput(sim);
      sim.configure({ rewrite: bad.rewrite });
    });

    // the bad input quarantines about 12 % of the events on purpose: above the default 5 % that would fail the gate
    const THRESHOLD = 0.5;

    it('day 1: drifted, broken and mistyped records, hostile names, broken and truncated bodies; the run completes', async () => {
      const r = await runDay({ dataDir: dir, sim, token: TOKEN, worker, quarantineThreshold: THRESHOLD });
      runs.push(r);
      expect(succeeded(r)).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
      expect(sim.getCounters().byRoute['/medias']).toBe(2); // 100 + an empty page
      // A body that never became valid JSON: the item fails with a reason naming the endpoint and the body, within
      // the map's tolerance, and is carried over to the next run. A body without engagement_data is a bad record, not a
      // failed fetch (issue 12): it lands and is quarantined.
      const eng = r.record.mapRuns.find((m) => m.label === 'MediaEngagement');
      expect(eng?.counts.failed).toBe(1);
      const failed = await readMapResults(localStore(dir), String(eng?.resultWriterDetails?.Key));
      const reasons = Object.fromEntries(
        failed.failed.map((f) => [
          (f.input as { media: { hashed_id: string } }).media.hashed_id,
          `${f.error}: ${(JSON.parse(String(f.cause)) as { errorMessage: string }).errorMessage}`,
        ]),
      );
      expect(reasons[bad.ids.brokenEngagement]).toBeUndefined();
      expect(reasons[bad.ids.malformedEngagement]).toMatch(
        /^WistiaTransientError: GET \/stats\/medias\/\{id\}\/engagement: response body is not valid JSON \(\d+ bytes, truncated\?\) \(gave up after 8 attempts/,
      );
      const wm = (await readWatermarks(localStore(dir))).value;
      expect(wm?.carryOver?.medias).toEqual([bad.ids.malformedEngagement]);
      // every entity's accounting holds: served = loaded + quarantined + deduplicated + skipped
      for (const [entity, c] of Object.entries(r.transform?.bronze ?? {}))
        expect([entity, c.loaded + c.quarantined + c.deduplicated + c.skipped]).toEqual([entity, c.served]);
      expect(r.transform?.bronze?.media_engagement?.quarantined).toBe(1);
      // A body truncated on its first two attempts was retried and landed whole.
      let key = '';
      for await (const o of localStore(dir).list(`bronze/media_stats/ingest_date=${todayOf(sim)}/`))
        if (o.key.includes(`/media=${bad.ids.truncatedStats}/`)) key = o.key;
      const obj = (await getJson<{ request: { attempts: number }; count: number }>(localStore(dir), key))?.value;
      expect(obj?.request.attempts).toBe(3);
      expect(obj?.count).toBeGreaterThan(0);
    }, 900_000);

    it('day 2: a page with a record without its key lands; the record is quarantined and the run completes', async () => {
      sim.advance(1);
      bad.brokenEngagement = false;
      bad.fatalWindow = todayOf(sim);
      const r = await runDay({ dataDir: dir, sim, token: TOKEN, worker, quarantineThreshold: THRESHOLD });
      bad.fatalWindow = undefined;
      expect(succeeded(r)).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
      // the page landed as served, with the record's finding; paging went on past it
      type Bronze = { findings: unknown[]; records: Record<string, unknown>[] };
      const withFindings: string[] = [];
      for await (const o of localStore(dir).list(`bronze/events/ingest_date=${todayOf(sim)}/run=${r.record.name}/`)) {
        const b = (await getJson<Bronze>(localStore(dir), o.key))?.value;
        // (received_at is the client's key of an event too: the unparseable times of EVENT_CASES are findings as well)
        if (b?.findings.some((f) => (f as { field: string }).field === 'event_key')) withFindings.push(o.key);
      }
      expect(withFindings).toHaveLength(1);
      const first = withFindings[0] as string;
      expect(first).toMatch(new RegExp(`/window=${todayOf(sim)}_[^/]+/page-00001\\.json$`));
      const page = (await getJson<Bronze>(localStore(dir), first))?.value;
      expect(page?.findings).toContainEqual({
        index: 0,
        field: 'event_key',
        message: '[0].event_key: required field is missing',
      });
      for (const f of page?.findings ?? [])
        expect(['event_key', 'received_at']).toContain((f as { field: string }).field);
      expect(page?.records[0]?.event_key).toBeUndefined();
      const q = await withWarehouse(dir, (wh) =>
        wh.query<{ reason: string; record_index: number }>(
          'SELECT reason, record_index FROM analytics.quarantine WHERE source_object = $1',
          [first],
        ),
      );
      expect(q).toContainEqual({ reason: 'event_key: required field is missing or null', record_index: 0 });
      const events = r.transform?.bronze?.events;
      expect(events && events.loaded + events.quarantined + events.deduplicated + events.skipped).toBe(events?.served);
    }, 300_000);

    it('day 2 again: completes, fetching what was carried over', async () => {
      const r = await runDay({ dataDir: dir, sim, token: TOKEN, worker, quarantineThreshold: THRESHOLD });
      runs.push(r);
      expect(succeeded(r)).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
      expect((await readWatermarks(localStore(dir))).value?.carryOver?.medias).toEqual([]);
      const curves = await withWarehouse(dir, (wh) =>
        wh.query<{ media_id: string }>(
          'SELECT media_id FROM analytics.media_engagement_curve WHERE media_id = ANY($1)',
          [[bad.ids.malformedEngagement]],
        ),
      );
      expect(curves.map((c) => c.media_id)).toEqual([bad.ids.malformedEngagement]);
    }, 900_000);

    it('quarantines every bad record with its reason and loads every good one, nothing lost', async () => {
      const truth = truthEvents(sim);
      const expectedReason = new Map<string, string>();
      const good = new Set<string>();
      for (const k of truth) {
        const reason = eventCase(k)?.reason;
        if (reason) expectedReason.set(k, reason);
        else good.add(k);
      }
      for (const c of EVENT_CASES) expect([c.name, truth.some((k) => eventCase(k) === c)]).toEqual([c.name, true]);
      await withWarehouse(dir, async (wh) => {
        const q = await wh.query<{
          entity: string;
          natural_key: string | null;
          reason: string;
          source_object: string;
          record: string;
        }>('SELECT entity, natural_key, reason, source_object, record FROM analytics.quarantine');
        const events = new Map<string, Set<string>>();
        for (const r of q.filter((x) => x.entity === 'events' && x.natural_key !== null))
          events.set(String(r.natural_key), new Set([...(events.get(String(r.natural_key)) ?? []), r.reason]));
        expect(new Map([...events].map(([k, v]) => [k, [...v].join(' | ')]))).toEqual(expectedReason);
        // the one record served without its key (day 2): quarantined without one, loaded when served whole again
        expect(q.filter((x) => x.entity === 'events' && x.natural_key === null).map((x) => x.reason)).toEqual([
          'event_key: required field is missing or null',
        ]);
        const loaded = await wh.query<{ event_key: string }>('SELECT event_key FROM analytics.fct_viewing_event');
        expect(loaded.length).toBe(good.size);
        expect(new Set(loaded.map((x) => x.event_key))).toEqual(good);
        // the quarantined record is kept whole, with where it came from
        const one = q.find((x) => x.entity === 'events' && x.natural_key !== null);
        expect(one?.source_object).toMatch(
          /^bronze\/events\/ingest_date=\d{4}-\d{2}-\d{2}\/run=daily-[^/]+\/window=[^/]+\/page-\d{5}\.json$/,
        );
        expect(JSON.parse(String(one?.record)).event_key).toBe(one?.natural_key);
        // loaded with the value it could keep: NULL for a missing, null or mistyped optional field
        for (const c of EVENT_CASES.filter((x) => x.nullColumn)) {
          const keys = truth.filter((k) => eventCase(k) === c);
          const rows = await wh.query<Record<string, unknown>>(
            `SELECT COUNT(*)::int AS n, COUNT(${c.nullColumn})::int AS not_null FROM analytics.fct_viewing_event WHERE event_key = ANY($1)`,
            [keys],
          );
          expect([c.name, rows]).toEqual([c.name, [{ n: keys.length, not_null: 0 }]]);
        }
        // a number sent as a string is loaded with its value
        const coerced = truth.filter((k) => eventCase(k)?.drift?.kind === 'coerced');
        const values = await wh.query<{ n: number; not_null: number }>(
          'SELECT COUNT(*)::int AS n, COUNT(percent_viewed)::int AS not_null FROM analytics.fct_viewing_event WHERE event_key = ANY($1)',
          [coerced],
        );
        expect(values).toEqual([{ n: coerced.length, not_null: coerced.length }]);
        // visitors with a negative load count, the media without `updated`, the by_date row of the wrong type
        const visitors = q.filter((x) => x.entity === 'visitors');
        expect(visitors.length).toBeGreaterThan(0);
        for (const v of visitors) expect([v.natural_key, v.reason]).toEqual([v.natural_key, NEGATIVE_LOADS_REASON]);
        expect(visitors.every((v) => pick(String(v.natural_key), VISITOR_MODULO) === 0)).toBe(true);
        const inferred = await wh.query<{ visitor_key: string; is_inferred: boolean }>(
          'SELECT visitor_key, is_inferred FROM analytics.dim_visitor WHERE visitor_key = ANY($1)',
          [visitors.map((v) => v.natural_key)],
        );
        expect(inferred.every((v) => v.is_inferred)).toBe(true); // referenced by facts, known only as a key
        const medias = q.filter((x) => x.entity === 'medias');
        expect(new Set(medias.map((m) => `${m.natural_key}: ${m.reason}`))).toEqual(
          new Set([`${bad.ids.noUpdated}: ${UPDATED_REASON}`]),
        );
        const stats = q.filter((x) => x.entity === 'media_stats');
        expect(stats.length).toBeGreaterThan(0);
        for (const s of stats) {
          expect(s.source_object).toContain(`/media=${bad.ids.mistypedStats}/`);
          expect(s.reason).toBe('play_count: expected bigint, got lots');
        }
        expect(q.filter((x) => x.entity === 'media_engagement').map((x) => [x.natural_key, x.reason])).toEqual([
          [bad.ids.brokenEngagement, 'engagement_data: required field is missing or null'],
        ]);
        expect(
          q.filter((x) => !['events', 'visitors', 'medias', 'media_stats', 'media_engagement'].includes(x.entity)),
        ).toEqual([]);

        // drift: each kind the API showed, with how many records
        const drift = await wh.query<{ entity: string; field: string; kind: string; records: number }>(
          'SELECT entity, field, kind, SUM(records)::int AS records FROM analytics.schema_drift GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
        );
        const found = new Set(drift.map((d) => `${d.entity}.${d.field} ${d.kind}`));
        for (const c of EVENT_CASES.filter((x) => x.drift))
          expect(found).toContain(`events.${c.drift?.field} ${c.drift?.kind}`);
        expect(found).toContain('medias.brand_new_media_field new-field');
        expect(found).toContain('visitors.segment new-field');
        expect(drift.every((d) => d.records > 0)).toBe(true);

        // names: every media's name exactly as the API gave it, in the dimension and on its events (an empty one
        // as NULL: text is never empty in the warehouse, pyspark/wistia_pipeline/transforms/fit.py rule 4)
        const stored = (name: string | undefined) => (name === '' ? null : name);
        const names = await wh.query<{ media_id: string; name: string | null; is_inferred: boolean }>(
          'SELECT media_id, name, is_inferred FROM analytics.dim_media',
        );
        const byId = new Map(names.map((n) => [n.media_id, n]));
        for (const m of sim.world.visibleMedias()) {
          if (m.hashedId === bad.ids.noUpdated) continue;
          const want = stored(bad.names.get(m.hashedId) ?? sim.world.mediaName(m));
          expect([m.hashedId, byId.get(m.hashedId)?.name, byId.get(m.hashedId)?.is_inferred]).toEqual([
            m.hashedId,
            want,
            false,
          ]);
        }
        const onEvents = await wh.query<{ media_id: string; media_name: string | null }>(
          'SELECT DISTINCT media_id, media_name FROM analytics.fct_viewing_event WHERE media_id = ANY($1)',
          [[...bad.names.keys()]],
        );
        expect(onEvents.length).toBeGreaterThan(0);
        for (const e of onEvents) expect(e.media_name).toBe(stored(bad.names.get(e.media_id)));
        expect(HOSTILE_NAMES).toContain('');
        expect(HOSTILE_NAMES.some((n) => n.length > 20_000)).toBe(true);
      });
    }, 300_000);
  });
}

export function describeEmptyAccount(): void {
  describe('an empty account', () => {
    it('runs, loads nothing, and picks up its first media the next day', async () => {
      const sim = await simulator({ medias: 0, seed: 9 });
      const dir = dirs.empty;
      const first = await runDay({ dataDir: dir, sim, token: TOKEN, worker });
      expect(succeeded(first)).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
      expect(await withWarehouse(dir, checksums)).toEqual(
        Object.fromEntries(
          [
            'dim_date',
            'dim_media',
            'dim_visitor',
            'fct_viewing_event',
            'fct_media_engagement',
            'media_engagement_curve',
          ].map((t) => [t, { rows: 0, md5: 'd41d8cd98f00b204e9800998ecf8427e' }]),
        ),
      );
      expect((await readWatermarks(localStore(dir))).value?.events?.throughDay).toBe(FIRST_DAY);
      sim.advance(1);
      const second = await runDay({ dataDir: dir, sim, token: TOKEN, worker });
      expect(succeeded(second)).toEqual(['SUCCEEDED', undefined, 'SUCCEEDED']);
      const medias = await withWarehouse(dir, (wh) =>
        wh.query<{ media_id: string }>('SELECT media_id FROM analytics.dim_media'),
      );
      expect(medias.map((m) => m.media_id)).toEqual(sim.world.visibleMedias().map((m) => m.hashedId));
      expect(medias).toHaveLength(1);
    }, 600_000);
  });
}
