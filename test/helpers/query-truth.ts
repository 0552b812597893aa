// The saved queries' truth (test/saved-queries.test.ts), computed from the bronze JSON of a data dir and the
// simulator's world, never by running the same SQL: the latest fetch of each record, the channel rule and the ISO
// week written anew, the account's events, loads, devices, lifetime snapshots and media names.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { World } from '#local/simulator/world.ts';
import { SEEDED } from './seeded.ts';

export type Row = Record<string, unknown>;

export interface Bronze {
  entity: string;
  ingestDate: string;
  fetchedAt: string;
  scope: Record<string, unknown>;
  records: Row[];
}

export function bronzeObjects(dataDir: string, entity: string): Bronze[] {
  const out: Bronze[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.json')) out.push(JSON.parse(readFileSync(p, 'utf8')) as Bronze);
    }
  };
  walk(join(dataDir, 'store', 'bronze', entity));
  return out;
}

/** Each key's record from the latest fetch. */
export function latestBy(objects: Bronze[], key: (r: Row, o: Bronze) => string): Map<string, Row> {
  const best = new Map<string, { at: string; r: Row }>();
  for (const o of objects)
    for (const r of o.records) {
      const k = key(r, o);
      const cur = best.get(k);
      if (!cur || o.fetchedAt > cur.at) best.set(k, { at: o.fetchedAt, r });
    }
  return new Map([...best].map(([k, v]) => [k, v.r]));
}

/** The channel rule of sql/README.md (embed host, else utm_source, else the company's hosts), written anew. */
export function channelOf(embedUrl: unknown, companyHosts: string[]): string {
  let u: URL;
  try {
    u = new URL(String(embedUrl));
  } catch {
    return 'other';
  }
  const host = u.hostname.toLowerCase();
  const under = (ds: string[]) => ds.some((d) => host === d || host.endsWith(`.${d}`));
  const utm = (u.searchParams.get('utm_source') ?? '').trim().toLowerCase();
  if (under(['facebook.com', 'fb.com', 'fb.watch', 'fb.me'])) return 'facebook';
  if (under(['youtube.com', 'youtu.be', 'youtube-nocookie.com'])) return 'youtube';
  if (['facebook', 'fb', 'meta', 'facebook.com'].includes(utm)) return 'facebook';
  if (['youtube', 'yt', 'youtube.com'].includes(utm)) return 'youtube';
  if (under(companyHosts)) return 'website';
  return 'other';
}

export function isoWeek(day: string): { monday: string; week: number } {
  const d = new Date(`${day}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7; // 0 = Monday
  const monday = new Date(d.getTime() - dow * 86_400_000);
  const thursday = new Date(monday.getTime() + 3 * 86_400_000);
  const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / 86_400_000 / 7) + 1;
  return { monday: monday.toISOString().slice(0, 10), week };
}

export interface Event {
  key: string;
  media: string;
  visitor: string;
  day: string;
  pct: number;
  country: string;
  channel: string;
  hours: number;
}

export interface Truth {
  events: Event[];
  /** media -> day -> loads (Wistia's stats by date, latest fetch). */
  loads: Map<string, Map<string, number>>;
  /** days with activity in the stats by date (they are in dim_date too). */
  activeDays: Set<string>;
  mobile: Map<string, boolean | undefined>;
  world: World;
  /** The bronze of /stats/medias/{id} (lifetime stats), every fetch. */
  lifetime: Bronze[];
  /** media -> its name in the latest medias listing. */
  names: Map<string, string>;
}

export function truthOf(dataDir: string): Truth {
  const medias = latestBy(bronzeObjects(dataDir, 'medias'), (r) => String(r.hashed_id));
  const duration = (m: string) => Number(medias.get(m)?.duration ?? 0);
  const events = [...latestBy(bronzeObjects(dataDir, 'events'), (r) => String(r.event_key)).values()].map((r) => {
    const media = String(r.media_id);
    return {
      key: String(r.event_key),
      media,
      visitor: String(r.visitor_key),
      day: new Date(String(r.received_at)).toISOString().slice(0, 10),
      pct: Number(r.percent_viewed),
      country: String(r.country ?? '').trim() || 'unknown',
      channel: channelOf(r.embed_url, ['example.com']),
      hours: (Number(r.percent_viewed) * duration(media)) / 3600,
    };
  });
  const byDate = latestBy(
    bronzeObjects(dataDir, 'media_stats'),
    (r, o) => `${String(o.scope.media)}|${String(r.date)}`,
  );
  const loads = new Map<string, Map<string, number>>();
  const activeDays = new Set<string>();
  for (const [k, r] of byDate) {
    const [media = '', day = ''] = k.split('|');
    if (!loads.has(media)) loads.set(media, new Map());
    loads.get(media)?.set(day, Number(r.load_count));
    if (Number(r.load_count) > 0 || Number(r.play_count) > 0 || Number(r.hours_watched) > 0) activeDays.add(day);
  }
  const visitors = latestBy(bronzeObjects(dataDir, 'visitors'), (r) => String(r.visitor_key));
  const mobile = new Map<string, boolean | undefined>();
  for (const [k, v] of visitors)
    mobile.set(k, (v.user_agent_details as Row | undefined)?.mobile as boolean | undefined);
  // The account as the simulator held it at the last run: the same options, advanced to the last day.
  const world = new World({
    seed: SEEDED.seed,
    medias: SEEDED.medias,
    today: SEEDED.today,
    historyDays: SEEDED.historyDays,
    eventsPerMediaPerDay: SEEDED.eventsPerMediaPerDay,
  });
  world.advance(SEEDED.days - 1);
  const names = new Map([...medias].map(([k, m]) => [k, String(m.name)]));
  return { events, loads, activeDays, mobile, world, lifetime: bronzeObjects(dataDir, 'media_lifetime'), names };
}

export function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}
