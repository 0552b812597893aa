// The saved queries in sql/queries (for the Redshift query editor) run unchanged on the local warehouse over the
// seeded account, and their rows equal what the raw data says: truths computed here from the bronze JSON and
// the simulator's world, never by running the same SQL. A static check keeps them within the SQL Redshift runs,
// and each query also runs through the Redshift Data API stand-in (Redshift-SQL translation, the deploy's
// grants, an identity tagged RedshiftDbRoles = wistia_reader) and must return the very rows PostgreSQL returns.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  BatchExecuteStatementCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { startRedshiftDataApi, type RedshiftDataApi } from '#local/redshift/server.ts';
import { RedshiftDataWarehouseClient } from '#local/dashboard/warehouse.ts';
import { plan, splitSql } from '../functions/warehouse-bootstrap/handler.ts';
import { seededCopy } from './helpers/seeded.ts';
import { groupBy, isoWeek, latestBy, truthOf, type Event, type Row, type Truth } from './helpers/query-truth.ts';
import { ROOT } from './helpers/sim.ts';

const QUERIES = join(ROOT, 'sql', 'queries');
const files = readdirSync(QUERIES)
  .filter((f) => f.endsWith('.sql'))
  .sort();
const source = (f: string) => readFileSync(join(QUERIES, f), 'utf8');

// ---- static: the SQL both engines accept ---------------------------------------------------------------

/** The SQL without comments and with string literals emptied (so a rule never matches prose or data). */
function codeOf(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out += '\n';
    } else if (c === "'") {
      out += "''";
      for (i++; i < sql.length; i++) {
        if (sql[i] === "'" && sql[i + 1] === "'") i++;
        else if (sql[i] === "'") break;
      }
    } else out += c;
  }
  return out;
}

/** Constructs that do not run on Redshift (or, for Redshift-only ones, not on the local PostgreSQL). */
const DENY: { rule: RegExp; why: string }[] = [
  {
    rule: /\bFILTER\s*\(/i,
    why: 'aggregate FILTER clause: Redshift lacks it (use SUM(CASE WHEN … THEN 1 ELSE 0 END))',
  },
  { rule: /\bDISTINCT\s+ON\b/i, why: 'DISTINCT ON: PostgreSQL only (use ROW_NUMBER() … = 1)' },
  { rule: /::/, why: ':: casts (and ::interval arithmetic): use CAST(x AS type), date arithmetic via dim_date' },
  { rule: /\bINTERVAL\b/i, why: 'INTERVAL arithmetic differs between the engines: use dim_date' },
  { rule: /\bGENERATE_SERIES\b/i, why: 'generate_series runs on the Redshift leader node only' },
  { rule: /->>?|#>>?/, why: 'PostgreSQL JSON operators: parse the JSON text with string functions' },
  { rule: /\bJSONB?(_\w+)?\b/i, why: 'JSON functions and types differ between the engines' },
  {
    rule: /\b(ARRAY_AGG|STRING_AGG|UNNEST|ARRAY)\s*[([]/i,
    why: 'arrays: Redshift has none (LISTAGG is Redshift only)',
  },
  { rule: /\bLATERAL\b/i, why: 'LATERAL joins: Redshift lacks them' },
  { rule: /\bNOW\s*\(\s*\)/i, why: 'NOW(): use CURRENT_DATE, which both engines have' },
  { rule: /\b(ISODOW|ISOYEAR)\b/i, why: 'EXTRACT(ISODOW/ISOYEAR): use dim_date.day_of_week / iso_week' },
  {
    rule: /\b(LISTAGG|NVL2?|DATEADD|DATEDIFF|GETDATE|SYSDATE|CONVERT_TIMEZONE|JSON_PARSE|LEN)\b/i,
    why: 'Redshift-only function: the local PostgreSQL lacks it',
  },
  { rule: /\bLIMIT\s+\w+\s*,/i, why: 'LIMIT a, b: MySQL only (use LIMIT … OFFSET …)' },
];

/** An aggregate window with ORDER BY needs an explicit frame on Redshift (ROWS BETWEEN …). */
function framelessAggregateWindows(code: string): string[] {
  const out: string[] = [];
  const re = /\b(SUM|AVG|COUNT|MIN|MAX)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*OVER\s*\(([^()]*)\)/gi;
  for (const m of code.matchAll(re)) {
    const over = m[2] ?? '';
    if (/\bORDER\s+BY\b/i.test(over) && !/\b(ROWS|RANGE)\b/i.test(over)) out.push(m[0].replace(/\s+/g, ' '));
  }
  return out;
}

function redshiftViolations(sql: string): string[] {
  const code = codeOf(sql);
  const found = DENY.filter((d) => d.rule.test(code)).map((d) => d.why);
  for (const w of framelessAggregateWindows(code)) found.push(`aggregate window without a frame: ${w}`);
  return found;
}

const ddl = readFileSync(join(ROOT, 'sql', 'ddl', 'redshift.sql'), 'utf8');
const TABLES = new Set([...ddl.matchAll(/CREATE TABLE IF NOT EXISTS analytics\.(\w+)/g)].map((m) => m[1]));

describe('saved queries: the files', () => {
  it('has the queries the issues ask for, one query per file', () => {
    for (const f of [
      'top_media',
      'channel_performance',
      'engagement_dropoff',
      'visitor_geography',
      'week_over_week',
      'account_trend',
      'campaign_performance_by_week',
      'media_lifetime_leaders',
    ])
      expect(files).toContain(`${f}.sql`);
    for (const f of files) {
      const code = codeOf(source(f)).trim();
      expect([f, code.split(';').length, code.endsWith(';')]).toEqual([f, 2, true]);
      expect([f, /^(WITH|SELECT)\b/i.test(code)]).toEqual([f, true]);
    }
  });

  it('opens each file with a comment block: what it answers, its parameters, the tables it reads', () => {
    for (const f of files) {
      const text = source(f);
      const header = text.slice(0, text.search(/^(WITH|SELECT)\b/im));
      expect([f, header.split('\n').every((l) => l === '' || l.startsWith('--'))]).toEqual([f, true]);
      for (const k of ['Answers:', 'Parameters:', 'Reads:']) expect([f, header.includes(`-- ${k}`)]).toEqual([f, true]);
      const reads = header.slice(header.indexOf('-- Reads:'));
      const used = new Set([...codeOf(text).matchAll(/\banalytics\.(\w+)/g)].map((m) => m[1]));
      const listed = new Set([...reads.matchAll(/\banalytics\.(\w+)/g)].map((m) => m[1]));
      expect([f, [...used].sort()]).toEqual([f, [...listed].sort()]);
      for (const t of used) expect([f, t, TABLES.has(t)]).toEqual([f, t, true]);
    }
  });

  it('uses no construct that Redshift lacks (a deny list), nor a Redshift-only one', () => {
    for (const f of files) expect([f, redshiftViolations(source(f))]).toEqual([f, []]);
  });

  it('the deny list catches what it names, and not prose in comments or strings', () => {
    const bad = [
      'SELECT COUNT(*) FILTER (WHERE x > 0) FROM t;',
      'SELECT DISTINCT ON (a) a FROM t;',
      "SELECT d + '1 day'::interval FROM t;",
      "SELECT d - INTERVAL '7 days' FROM t;",
      'SELECT * FROM generate_series(1, 3);',
      "SELECT j->>'a' FROM t;",
      'SELECT jsonb_array_length(j) FROM t;',
      "SELECT string_agg(a, ',') FROM t;",
      'SELECT * FROM t, LATERAL (SELECT 1) x;',
      'SELECT NOW();',
      'SELECT EXTRACT(ISODOW FROM d) FROM t;',
      'SELECT DATEADD(day, 1, d) FROM t;',
      'SELECT SUM(x) OVER (ORDER BY d) FROM t;',
    ];
    for (const sql of bad) expect([sql, redshiftViolations(sql).length > 0]).toEqual([sql, true]);
    expect(redshiftViolations("-- no FILTER ( here, nor ::interval\nSELECT 'DISTINCT ON' AS s FROM t;")).toEqual([]);
    expect(
      redshiftViolations('SELECT SUM(x) OVER (ORDER BY d ROWS UNBOUNDED PRECEDING), LAG(x) OVER (ORDER BY d) FROM t;'),
    ).toEqual([]);
  });
});

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const close = (actual: unknown, expected: number, decimals: number) =>
  expect(Number(actual)).toBeCloseTo(expected, decimals - 1);

// ---- each query's assertions: a file without an entry here fails ---------------------------------------

const checks: Record<string, (rows: Row[], t: Truth) => void> = {
  // issue 17: the account's days as the simulator's world holds them at the last run (the sum of its medias'
  // events by day), over the days from its first load; the averages computed here over the same seven days
  'account_trend.sql': (rows, t) => {
    const w = t.world;
    const all = w.accountByDate(w.today - 729, w.today).map((r) => ({
      day: String(r.date),
      loads: Number(r.load_count),
      plays: Number(r.play_count),
      hours: Number(r.hours_watched),
    }));
    const want = all.slice(all.findIndex((d) => d.loads > 0));
    expect(want.length).toBeGreaterThan(50); // 60 days of history
    expect(rows.map((r) => r.day)).toEqual(want.map((d) => d.day));
    const byWeek = groupBy(want, (d) => isoWeek(d.day).monday);
    rows.forEach((r, i) => {
      const d = want[i]!;
      const last7 = want.slice(Math.max(0, i - 6), i + 1);
      const week = byWeek.get(isoWeek(d.day).monday) ?? [];
      expect([r.day, r.loads, r.plays, r.week_start, r.iso_week]).toEqual([
        d.day,
        d.loads,
        d.plays,
        isoWeek(d.day).monday,
        isoWeek(d.day).week,
      ]);
      expect([r.week_loads, r.week_plays].map(Number)).toEqual([
        sum(week.map((x) => x.loads)),
        sum(week.map((x) => x.plays)),
      ]);
      if (d.loads > 0) close(r.play_rate, d.plays / d.loads, 4);
      else expect(r.play_rate).toBeNull();
      close(r.hours_watched, d.hours, 2);
      close(r.plays_7d_avg, sum(last7.map((x) => x.plays)) / last7.length, 2);
      close(r.hours_7d_avg, sum(last7.map((x) => x.hours)) / last7.length, 2);
      close(r.play_rate_7d, sum(last7.map((x) => x.plays)) / sum(last7.map((x) => x.loads)), 4);
      close(r.week_play_rate, sum(week.map((x) => x.plays)) / sum(week.map((x) => x.loads)), 4);
      close(r.week_hours, sum(week.map((x) => x.hours)), 2);
    });
    // the account's plays are its medias' plays: every viewing event the warehouse holds, by day
    expect(sum(rows.map((r) => Number(r.plays)))).toBe(t.events.length);
  },

  'top_media.sql': (rows, t) => {
    const w = t.world;
    const stats = w
      .visibleMedias()
      .map((m) => ({ id: m.hashedId, s: w.mediaStats(m) }))
      .map(({ id, s }) => ({
        id,
        plays: Number(s.play_count),
        loads: Number(s.load_count),
        hours: Number(s.hours_watched),
        viewers: Number(s.visitors),
        engagement: Number(s.engagement),
      }))
      .filter((s) => s.plays > 0 || s.loads > 0);
    const rank = (v: (s: (typeof stats)[number]) => number, x: number) => 1 + stats.filter((s) => v(s) > x).length;
    const top = [...stats]
      .sort((a, b) => b.plays - a.plays || b.hours - a.hours || (a.id < b.id ? -1 : 1))
      .slice(0, 10);
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => r.media_id)).toEqual(top.map((s) => s.id));
    // the top media and its plays, as the simulator counts them
    expect([rows[0]?.media_id, rows[0]?.plays]).toEqual([top[0]?.id, top[0]?.plays]);
    rows.forEach((r, i) => {
      const s = top[i]!;
      expect([r.plays, r.loads, r.viewers]).toEqual([s.plays, s.loads, s.viewers]);
      expect([r.rank_by_plays, r.rank_by_hours]).toEqual([
        rank((x) => x.plays, s.plays),
        rank((x) => x.hours, s.hours),
      ]);
      close(r.hours_watched, s.hours, 2);
      close(r.play_rate, s.plays / s.loads, 4);
      close(r.avg_percent_viewed, s.engagement, 4);
    });
    expect(rows.map((r) => Number(r.plays))).toEqual([...rows.map((r) => Number(r.plays))].sort((a, b) => b - a));
  },

  'channel_performance.sql': (rows, t) => {
    expect(rows.map((r) => r.channel)).toEqual(['facebook', 'youtube', 'website', 'other']);
    const total = t.events.length;
    expect(sum(rows.map((r) => Number(r.plays)))).toBe(total);
    // loads of each media-day shared out by that media-day's plays per channel
    const allocated = new Map<string, number>();
    for (const [k, evs] of groupBy(t.events, (e) => `${e.media}|${e.day}`)) {
      const [media = '', day = ''] = k.split('|');
      const loads = t.loads.get(media)?.get(day);
      if (loads === undefined) continue;
      for (const e of evs) allocated.set(e.channel, (allocated.get(e.channel) ?? 0) + loads / evs.length);
    }
    const byChannel = groupBy(t.events, (e) => e.channel);
    for (const r of rows) {
      const evs = byChannel.get(String(r.channel)) ?? [];
      expect([r.channel, r.plays, r.viewers]).toEqual([r.channel, evs.length, new Set(evs.map((e) => e.visitor)).size]);
      close(r.hours_watched, sum(evs.map((e) => e.hours)), 2);
      close(r.avg_percent_viewed, sum(evs.map((e) => e.pct)) / evs.length, 4);
      close(r.share_of_plays, evs.length / total, 4);
      const loads = allocated.get(String(r.channel)) ?? 0;
      close(r.loads, loads, 1);
      close(r.play_rate, evs.length / loads, 4);
      expect(Number(r.play_rate)).toBeGreaterThan(0);
      expect(Number(r.play_rate)).toBeLessThanOrEqual(1);
    }
    expect(rows.every((r) => Number(r.plays) > 0)).toBe(true); // the seeded account has all four
    close(sum(rows.map((r) => Number(r.share_of_plays))), 1, 3);
  },

  'engagement_dropoff.sql': (rows, t) => {
    const w = t.world;
    const at = (cells: number[], q: number) => cells[Math.max(1, Math.ceil((cells.length * q) / 100)) - 1] ?? 0;
    const want = w
      .visibleMedias()
      .map((m) => ({ id: m.hashedId, e: w.mediaEngagement(m) }))
      .map(({ id, e }) => ({ id, cells: e.engagement_data as number[], engagement: Number(e.engagement) }))
      .filter((x) => x.cells.length > 0 && (x.cells[0] ?? 0) > 0)
      .sort((a, b) => (b.cells[0] ?? 0) - (a.cells[0] ?? 0) || (a.id < b.id ? -1 : 1));
    expect(rows.map((r) => r.media_id)).toEqual(want.map((x) => x.id));
    rows.forEach((r, i) => {
      const x = want[i]!;
      const start = x.cells[0] ?? 0;
      expect([r.media_id, r.curve_cells, r.viewers_at_start]).toEqual([x.id, x.cells.length, start]);
      close(r.retained_at_25, at(x.cells, 25) / start, 4);
      close(r.retained_at_50, at(x.cells, 50) / start, 4);
      close(r.retained_at_75, at(x.cells, 75) / start, 4);
      close(r.retained_at_end, (x.cells.at(-1) ?? 0) / start, 4);
      close(r.engagement, x.engagement, 4);
      // shares of the first second's viewers: within [0, 1] and never rising along the media
      const shares = [1, r.retained_at_25, r.retained_at_50, r.retained_at_75, r.retained_at_end].map(Number);
      for (const s of shares) expect(s >= 0 && s <= 1, `${String(r.media_id)}: ${shares.join(' ')}`).toBe(true);
      for (let k = 1; k < shares.length; k++) expect(shares[k]!).toBeLessThanOrEqual(shares[k - 1]!);
    });
    expect(rows.length).toBeGreaterThan(20);
  },

  'visitor_geography.sql': (rows, t) => {
    const byCountry = [...groupBy(t.events, (e) => e.country)].sort(
      ([a, x], [b, y]) => y.length - x.length || (a < b ? -1 : 1),
    );
    expect(rows.map((r) => [r.country, r.plays])).toEqual(byCountry.map(([c, evs]) => [c, evs.length]));
    expect(sum(rows.map((r) => Number(r.plays)))).toBe(t.events.length);
    for (const r of rows) {
      const evs = byCountry.find(([c]) => c === r.country)?.[1] ?? [];
      const device = (e: Event) => t.mobile.get(e.visitor);
      expect([r.country, r.viewers, r.mobile_plays, r.desktop_plays, r.unknown_device_plays]).toEqual([
        r.country,
        new Set(evs.map((e) => e.visitor)).size,
        evs.filter((e) => device(e) === true).length,
        evs.filter((e) => device(e) === false).length,
        evs.filter((e) => device(e) === undefined).length,
      ]);
      expect(Number(r.mobile_plays) + Number(r.desktop_plays) + Number(r.unknown_device_plays)).toBe(r.plays);
      close(r.hours_watched, sum(evs.map((e) => e.hours)), 2);
      close(r.share_of_plays, evs.length / t.events.length, 4);
    }
    expect(rows.length).toBeGreaterThan(5);
  },

  'campaign_performance_by_week.sql': (rows, t) => {
    // the projects as the simulator holds them, and each media's project as its listing names it
    const projects = new Map(t.world.renderProjects().map((p) => [Number(p.id), p]));
    const projectOf = new Map(
      t.world.visibleMedias().map((m) => [m.hashedId, Number((t.world.renderMedia(m).project as Row).id)]),
    );
    const key = (week: string, media: string) => `${week}|${projectOf.get(media) ?? -1}`;
    const evs = groupBy(t.events, (e) => key(isoWeek(e.day).monday, e.media));
    const loads = new Map<string, number>();
    for (const [media, days] of t.loads)
      for (const [day, n] of days) {
        if (n <= 0) continue; // a day without loads has no row in fct_media_engagement unless it had plays
        const k = key(isoWeek(day).monday, media);
        loads.set(k, (loads.get(k) ?? 0) + n);
      }
    const keys = [...new Set([...evs.keys(), ...loads.keys()])];
    const want = keys
      .map((k) => {
        const [week = '', pid = ''] = k.split('|');
        const e = evs.get(k) ?? [];
        return { week, pid: Number(pid), e, loads: loads.get(k) ?? 0 };
      })
      .sort(
        (a, b) =>
          (a.week < b.week ? 1 : a.week > b.week ? -1 : 0) ||
          b.e.length - a.e.length ||
          String(projects.get(a.pid)?.name).localeCompare(String(projects.get(b.pid)?.name)),
      );
    expect(rows.map((r) => [r.week_start, r.project_id, r.plays])).toEqual(
      want.map((w) => [w.week, w.pid, w.e.length]),
    );
    rows.forEach((r, i) => {
      const w = want[i]!;
      const p = projects.get(w.pid);
      const byChannel = (c: string) => w.e.filter((e) => e.channel === c).length;
      expect([r.project_hashed_id, r.project_name, r.viewers, r.loads]).toEqual([
        p?.hashedId,
        p?.name,
        new Set(w.e.map((e) => e.visitor)).size,
        w.loads,
      ]);
      expect([r.facebook_plays, r.youtube_plays, r.website_plays, r.other_plays]).toEqual(
        ['facebook', 'youtube', 'website', 'other'].map(byChannel),
      );
      close(r.hours_watched, sum(w.e.map((e) => e.hours)), 2);
      if (w.loads > 0) close(r.play_rate, w.e.length / w.loads, 4);
      else expect(r.play_rate).toBeNull();
    });
    // every play lands in exactly one project-week; the seeded account's 8 projects all have plays
    expect(sum(rows.map((r) => Number(r.plays)))).toBe(t.events.length);
    expect(new Set(rows.filter((r) => Number(r.plays) > 0).map((r) => r.project_id)).size).toBe(8);
    expect(rows.every((r) => r.project_name !== '(no project)')).toBe(true);
  },

  // issue 17: each media's latest lifetime snapshot as the bronze of /stats/medias/{id} holds it (the latest fetch of
  // a media on a day is that day's snapshot), and the plays gained since its snapshot before
  'media_lifetime_leaders.sql': (rows, t) => {
    const snaps = latestBy(t.lifetime, (_r, o) => `${String(o.scope.media)}|${o.ingestDate}`);
    const byMedia = groupBy([...snaps], ([k]) => k.split('|')[0] ?? '');
    const cta = (r: Row, field: string) =>
      Array.isArray(r.actions) ? sum((r.actions as Row[]).map((a) => Number(a[field] ?? 0))) : null;
    const want = [...byMedia].map(([media, list]) => {
      const [latest, previous] = [...list].sort(([a], [b]) => (a < b ? 1 : -1));
      const r = latest![1];
      const day = latest![0].split('|')[1];
      const before = previous ? previous[1] : undefined;
      return {
        media,
        name: t.names.get(media) ?? null,
        day,
        r,
        previousDay: previous ? previous[0].split('|')[1] : null,
        gained: before ? Number(r.play_count) - Number(before.play_count) : null,
      };
    });
    want.sort(
      (a, b) =>
        Number(b.r.play_count) - Number(a.r.play_count) ||
        String(a.name).localeCompare(String(b.name)) ||
        a.media.localeCompare(b.media),
    );
    expect(want.length).toBeGreaterThan(10);
    expect(rows.map((r) => [r.media_id, r.media_name, r.snapshot_date, r.lifetime_plays])).toEqual(
      want.map((w) => [w.media, w.name, w.day, Number(w.r.play_count)]),
    );
    rows.forEach((row, i) => {
      const w = want[i]!;
      expect([row.lifetime_loads, row.visitors, row.previous_snapshot_date, row.plays_gained]).toEqual([
        Number(w.r.load_count),
        w.r.visitors === undefined ? null : Number(w.r.visitors),
        w.previousDay,
        w.gained,
      ]);
      expect([row.cta_impressions, row.cta_clicks]).toEqual([cta(w.r, 'impression_count'), cta(w.r, 'action_count')]);
      close(row.hours_watched, Number(w.r.hours_watched), 4);
      close(row.play_rate, Number(w.r.play_rate), 4);
    });
    // the seeded week fetched some medias more than once: the gain is measured somewhere
    expect(rows.some((r) => r.plays_gained !== null)).toBe(true);
  },

  'week_over_week.sql': (rows, t) => {
    const days = new Set([...t.events.map((e) => e.day), ...t.activeDays]);
    const weeks = [...new Set([...days].map((d) => isoWeek(d).monday))].sort();
    const evByWeek = groupBy(t.events, (e) => isoWeek(e.day).monday);
    expect(rows.map((r) => r.week_start)).toEqual(weeks);
    rows.forEach((r, i) => {
      const evs = evByWeek.get(weeks[i]!) ?? [];
      expect([r.week_start, r.iso_week, r.plays, r.viewers, r.days_with_plays]).toEqual([
        weeks[i],
        isoWeek(weeks[i]!).week,
        evs.length,
        new Set(evs.map((e) => e.visitor)).size,
        new Set(evs.map((e) => e.day)).size,
      ]);
      close(r.hours_watched, sum(evs.map((e) => e.hours)), 2);
      const prev = i === 0 ? undefined : (evByWeek.get(weeks[i - 1]!) ?? []).length;
      expect([r.previous_week_start, r.previous_plays]).toEqual([i === 0 ? null : weeks[i - 1], prev ?? null]);
      expect(r.change).toBe(prev === undefined ? null : evs.length - prev);
      if (prev) close(r.change_pct, (100 * (evs.length - prev)) / prev, 1);
      else expect(r.change_pct).toBeNull();
    });
    expect(sum(rows.map((r) => Number(r.plays)))).toBe(t.events.length);
    expect(rows.length).toBeGreaterThanOrEqual(9); // 60 days of history
  },
};

const ACCOUNT = '111111111111';
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:redshift!wistia-analytics-admin-Ab12Cd`;
const dataApiClient = (endpoint: string, key: string) =>
  new RedshiftDataClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: key, secretAccessKey: 'x' },
    maxAttempts: 1,
  });

describe('saved queries on the seeded account (local warehouse)', () => {
  let dataDir = '';
  let wh: LocalWarehouse;
  let truth: Truth;
  let api: RedshiftDataApi;

  beforeAll(async () => {
    const s = await seededCopy('wp-saved-queries-');
    dataDir = s.dataDir;
    wh = await new LocalWarehouse(dataDir).start();
    truth = truthOf(dataDir);
    // The Redshift Data API stand-in over the same database, with the deploy's roles and grants
    // (sql/ddl/redshift-grants.sql, run as the admin the way the bootstrap runs it).
    api = await startRedshiftDataApi({
      pg: { dsn: wh.dsn },
      database: 'analytics',
      workgroupName: 'wistia-analytics',
      workgroupArn: `arn:aws:redshift-serverless:us-east-1:${ACCOUNT}:workgroup/5f1d2c3b-0000-4000-8000-00000000a11c`,
      namespaceName: 'wistia-analytics',
      adminUsername: 'admin',
      adminSecretArn: SECRET,
      iamRoles: [],
      identities: {
        AKIAADMIN: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-warehouse-bootstrap/fn` },
        AKIAREADER: {
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/wistia-analyst/s`,
          tags: { RedshiftDbRoles: 'wistia_reader' },
        },
        AKIAPLAIN: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/untagged/s` },
      },
      s3: {
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
      },
      resultPageRows: 7,
    });
    const admin = dataApiClient(api.endpoint, 'AKIAADMIN');
    const grants = splitSql({
      name: 'redshift-grants.sql',
      text: readFileSync(join(ROOT, 'sql', 'ddl', 'redshift-grants.sql'), 'utf8'),
    });
    for (const b of plan(grants)) {
      const { Id } = await admin.send(
        new BatchExecuteStatementCommand({
          WorkgroupName: 'wistia-analytics',
          Database: 'analytics',
          SecretArn: SECRET,
          Sqls: b.map((x) => x.sql),
        }),
      );
      for (;;) {
        const d = await admin.send(new DescribeStatementCommand({ Id }));
        if (d.Status === 'FINISHED') break;
        if (d.Status === 'FAILED' || d.Status === 'ABORTED') throw new Error(`${b[0]?.sql}: ${d.Error}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }, 900_000);

  afterAll(async () => {
    await api?.close();
    await wh?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('every query file has its assertions, and every assertion its file', () => {
    expect(Object.keys(checks).sort()).toEqual(files);
  });

  it('the truth is the warehouse account: the same events and medias', async () => {
    const [c] = await wh.query<{ events: number; medias: number }>(
      'SELECT (SELECT COUNT(*) FROM analytics.fct_viewing_event) AS events, (SELECT COUNT(*) FROM analytics.dim_media) AS medias',
    );
    expect(c?.events).toBe(truth.events.length);
    expect(c?.medias).toBe(truth.world.visibleMedias().length);
    expect(truth.events.length).toBeGreaterThan(500);
  });

  for (const f of files)
    it(`${f} runs unchanged and its rows match the raw data`, async () => {
      const check = checks[f];
      expect(check, `${f} has no assertions in test/saved-queries.test.ts`).toBeDefined();
      const rows = await wh.query(source(f));
      expect(rows.length, `${f} returned no row`).toBeGreaterThan(0);
      check?.(rows, truth);
    });

  for (const f of files)
    it(`${f} runs through the Redshift Data API stand-in as wistia_reader and returns the same rows`, async () => {
      const redshift = new RedshiftDataWarehouseClient({
        client: dataApiClient(api.endpoint, 'AKIAREADER'),
        workgroup: 'wistia-analytics',
        database: 'analytics',
        pollMs: 5,
      });
      const direct = await wh.query(source(f));
      const viaDataApi = await redshift.query(source(f));
      // (pages of 7 rows: the longer results come back in several pages)
      expect(viaDataApi).toEqual(direct);
    });

  it('the saved queries need the reader role: an identity without it is refused', async () => {
    const plain = dataApiClient(api.endpoint, 'AKIAPLAIN');
    const { Id } = await plain.send(
      new ExecuteStatementCommand({
        WorkgroupName: 'wistia-analytics',
        Database: 'analytics',
        Sql: source('top_media.sql'),
      }),
    );
    let d = await plain.send(new DescribeStatementCommand({ Id }));
    while (!['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status ?? '')) {
      await new Promise((r) => setTimeout(r, 20));
      d = await plain.send(new DescribeStatementCommand({ Id }));
    }
    expect([d.Status, d.Error]).toEqual(['FAILED', 'ERROR: permission denied for schema analytics']);
  });
});
