// What the simulated API serves of the generated account (account.ts): medias, their stats, visitors and
// events as Wistia's v1 bodies render them, with the totals kept by counters.ts. The account's names and
// places are in vocabulary.ts, its calendar in calendar.ts; the HTTP endpoints (paging, filters) in server.ts,
// the faults in misbehave.ts.
import { Account, type MediaRecord } from './account.ts';
import { DAY_MS, dayOf, dayString, mediaTime, statsTime } from './calendar.ts';
import { Counters } from './counters.ts';
import { hash32, hashedIdFrom, pickBy, unit, uuidFrom } from './rng.ts';
import { embedUrlFor, GEO, ipFor, ORGS, PROJECTS, userAgent, visitorIdentity } from './vocabulary.ts';

// The simulator's entry point: what server.ts, the benchmarks and the tests import.
export { DAY_MS, parseDay } from './calendar.ts';
export type { MediaRecord, WorldOptions } from './account.ts';

/** The event indexes from `from` up to `to` (not included). */
function* range(from: number, to: number): Generator<number> {
  for (let e = from; e < to; e++) yield e;
}

export class World extends Account {
  private readonly counters = new Counters();

  private sync(): Counters {
    this.counters.sync(this);
    return this.counters;
  }

  // ---- medias ------------------------------------------------------------------------------------

  visibleMedias(): MediaRecord[] {
    return this.medias.filter((m) => m.createdMs <= this.nowMs);
  }

  mediaByHashedId(id: string): MediaRecord | undefined {
    if (/^\d+$/.test(id)) return this.medias.find((m) => String(m.id) === id && m.createdMs <= this.nowMs);
    return this.medias.find((m) => m.hashedId === id && m.createdMs <= this.nowMs);
  }

  /** Visible metadata updates of a media. */
  private visibleUpdates(m: MediaRecord): number[] {
    return m.updates.filter((t) => t <= this.nowMs && t > m.createdMs);
  }

  mediaUpdatedMs(m: MediaRecord): number {
    const u = this.visibleUpdates(m);
    return u.length ? (u[u.length - 1] as number) : m.createdMs;
  }

  mediaName(m: MediaRecord): string {
    const renames = this.visibleUpdates(m).filter((t) => hash32(this.seed, m.index, t, 15) % 3 === 0).length;
    return renames === 0 ? m.baseName : `${m.baseName} (v${renames + 1})`;
  }

  renderMedia(m: MediaRecord): Record<string, unknown> {
    const s = this.seed;
    const i = m.index;
    const updatedMs = this.mediaUpdatedMs(m);
    const thumb = `https://embed-ssl.wistia.com/deliveries/${uuidFrom(s, i, 20).replace(/-/g, '')}.jpg?image_crop_resized=200x120`;
    const pj = m.project;
    const projectHashed = hashedIdFrom(s, 900 + pj);
    const out: Record<string, unknown> = {
      id: m.id,
      name: this.mediaName(m),
      type: m.type,
      archived: hash32(s, i, 21) % 50 === 0,
      created: mediaTime(m.createdMs),
      updated: mediaTime(updatedMs),
    };
    if (m.duration !== undefined) out.duration = m.duration;
    out.hashed_id = m.hashedId;
    out.description = `<p>${this.mediaName(m)}</p><p>revision ${this.visibleUpdates(m).length + 1}</p>`;
    out.progress = 1.0;
    out.status = hash32(s, i, 22) % 100 === 0 ? 'failed' : 'ready';
    if (hash32(s, i, 23) % 4 === 0) out.section = pickBy(['Intro', 'Campaigns', 'Archive'], s, i, 24);
    out.thumbnail = { url: thumb, width: 200, height: 120 };
    // v1 sources disagree on the project's hashed id key: both forms occur.
    out.project =
      pj % 2 === 0
        ? { id: 500_000 + pj, name: PROJECTS[pj], hashed_id: projectHashed }
        : { id: 500_000 + pj, name: PROJECTS[pj], hashedId: projectHashed };
    out.assets = [
      {
        url: `https://embed.wistia.com/deliveries/${uuidFrom(s, i, 25).replace(/-/g, '')}.bin`,
        width: 1920,
        height: 1080,
        fileSize: 1000 + (hash32(s, i, 26) % 90_000_000),
        contentType: m.type === 'Audio' ? 'audio/mpeg' : m.type === 'Image' ? 'image/png' : 'video/mp4',
        type: 'OriginalFile',
      },
    ];
    if (m.type === 'Video')
      out.assets = [
        ...(out.assets as unknown[]),
        {
          url: `https://embed.wistia.com/deliveries/${uuidFrom(s, i, 27).replace(/-/g, '')}.bin`,
          width: 1280,
          height: 720,
          fileSize: 1000 + (hash32(s, i, 28) % 40_000_000),
          contentType: 'video/mp4',
          type: 'Mp4VideoFile',
        },
      ];
    if (hash32(s, i, 29) % 3 === 0)
      out.tags = [{ name: pickBy(['campaign', 'paid', 'organic', 'evergreen'], s, i, 30) }];
    if (hash32(s, i, 31) % 5 === 0)
      out.embedCode = `<script src="https://fast.wistia.com/embed/medias/${m.hashedId}.jsonp" async></script>`;
    return out;
  }

  // ---- projects (folders) -------------------------------------------------------------------------

  /** The account's projects as GET /projects renders them (v1: camelCase keys), in id order. Every project exists
   * from before the first media; its `updated` moves when a media is added to it, its mediaCount counts the
   * medias visible now. */
  renderProjects(): Record<string, unknown>[] {
    const s = this.seed;
    const visible = this.visibleMedias();
    const firstMs = this.medias[0]?.createdMs ?? this.nowMs;
    return PROJECTS.map((name, pj) => {
      const mine = visible.filter((m) => m.project === pj);
      const createdMs = firstMs - (pj + 1) * DAY_MS - (hash32(s, pj, 910) % 3_600_000);
      const updatedMs = Math.max(createdMs, ...mine.map((m) => m.createdMs));
      const isPublic = pj % 3 === 0;
      return {
        id: 500_000 + pj,
        name,
        // the schema allows null: some projects have no description
        description: pj % 4 === 3 ? null : `${name}: the ${name.toLowerCase()} campaign's videos`,
        mediaCount: mine.length,
        created: mediaTime(createdMs),
        updated: mediaTime(updatedMs),
        hashedId: hashedIdFrom(s, 900 + pj),
        public: isPublic,
        publicId: isPublic ? hashedIdFrom(s, 950 + pj).slice(0, 3) : null,
        anonymousCanUpload: false,
        anonymousCanDownload: false,
      };
    });
  }

  // ---- stats ---------------------------------------------------------------------------------------

  mediaStats(m: MediaRecord): Record<string, unknown> {
    const c = this.sync();
    const i = m.index;
    const plays = c.mPlays[i] as number;
    const loads = c.mLoads[i] as number;
    const out: Record<string, unknown> = {
      load_count: loads,
      play_count: plays,
      play_rate: loads === 0 ? 0 : plays / loads,
      hours_watched: (c.mSeconds[i] as number) / 3600,
      engagement: plays === 0 ? 0 : (c.mPct[i] as number) / plays,
      visitors: c.mVisitors[i] as number,
    };
    // Real responses sometimes carry no "actions" key at all.
    if (hash32(this.seed, i, 40) % 3 !== 0) {
      const impressions = Math.floor(plays * 0.6);
      const actions = Math.floor(impressions * unit(this.seed, i, 41) * 0.2);
      out.actions =
        plays === 0
          ? []
          : [
              {
                type: 'Call to Action',
                action_count: actions,
                impression_count: impressions,
                rate: impressions === 0 ? 0 : actions / impressions,
              },
            ];
    }
    return out;
  }

  mediaEngagement(m: MediaRecord): Record<string, unknown> {
    const c = this.sync();
    const duration = m.duration ?? 0;
    const cells = Math.min(Math.max(1, Math.ceil(duration)), 1000);
    const scale = duration / cells;
    const engaged = new Array<number>(cells).fill(0);
    // Each play watched from the start to percent_viewed of the media: count plays past each cell.
    for (const e of this.mediaEvents(m)) {
      const watched = this.watchedSeconds(e);
      const full = Math.min(cells, scale > 0 ? Math.ceil(watched / scale) : 0);
      for (let c = 0; c < full; c++) engaged[c] = (engaged[c] as number) + 1;
    }
    const r = 0.05 + 0.1 * unit(this.seed, m.index, 42);
    const plays = c.mPlays[m.index] as number;
    return {
      engagement: plays === 0 ? 0 : (c.mPct[m.index] as number) / plays,
      engagement_data: engaged,
      rewatch_data: engaged.map((x) => Math.floor(x * r)),
    };
  }

  mediaByDate(m: MediaRecord, startDay: number, endDay: number): Record<string, unknown>[] {
    return this.byDateRows(startDay, endDay, this.mediaEvents(m));
  }

  /** by_date rows of days startDay to endDay from these events: each one play, its loads, its watched time. */
  private byDateRows(startDay: number, endDay: number, events: Iterable<number>): Record<string, unknown>[] {
    const rows = new Map<number, { load_count: number; play_count: number; seconds: number }>();
    for (let d = startDay; d <= endDay; d++) rows.set(d, { load_count: 0, play_count: 0, seconds: 0 });
    for (const e of events) {
      const row = rows.get(dayOf(this.evTime.at(e)));
      if (!row) continue;
      row.play_count += 1;
      row.load_count += 1 + this.extraLoads(e);
      row.seconds += this.watchedSeconds(e);
    }
    return [...rows.entries()].map(([d, r]) => ({
      date: dayString(d),
      load_count: r.load_count,
      play_count: r.play_count,
      hours_watched: r.seconds / 3600,
    }));
  }

  /**
   * The account's rows by day: the sum of every media's by_date rows (its visible events by day), but for events
   * in the last `lagMs` before now, left out (the account's aggregate lagging its medias').
   */
  accountByDate(startDay: number, endDay: number, lagMs = 0): Record<string, unknown>[] {
    const from = this.lowerBound(startDay * DAY_MS);
    const to = Math.min(this.lowerBound((endDay + 1) * DAY_MS), this.upperBound(this.nowMs - lagMs));
    return this.byDateRows(startDay, endDay, range(from, to));
  }

  accountStats(): Record<string, unknown> {
    const c = this.sync();
    return {
      load_count: c.account.loads,
      play_count: c.account.plays,
      hours_watched: c.account.seconds / 3600,
    };
  }

  // ---- visitors ------------------------------------------------------------------------------------

  visitorKey(v: number): string {
    const first = this.evTime.at(this.viFirst.at(v));
    // Visitors first seen before 2024 carry the older 40-hex key form; later ones "1760721_<uuid>".
    if (first < Date.UTC(2024, 0, 1))
      return [0, 1, 2, 3, 4]
        .map((k) =>
          hash32(this.seed, v, 50 + k)
            .toString(16)
            .padStart(8, '0'),
        )
        .join('')
        .toUpperCase();
    return `${String(Math.floor(first / 1000)).slice(0, 7)}_${uuidFrom(this.seed, v, 51)}`;
  }

  visitorIndexByKey(key: string): number | undefined {
    const m = /^(\d{7})_/.exec(key);
    const n = this.visibleVisitors();
    // Keys carry their creation time's prefix: search near it (binary search on the first event's time).
    if (m) {
      const prefix = Number(m[1]);
      const startMs = prefix * 1000 * 1000;
      const endMs = (prefix + 1) * 1000 * 1000;
      const from = this.lowerBound(startMs);
      const to = this.lowerBound(endMs);
      for (let v = this.visitorAtOrAfterEvent(from); v < n && this.viFirst.at(v) < to; v++)
        if (this.visitorKey(v) === key) return v;
      return undefined;
    }
    for (let v = 0; v < n; v++) if (this.visitorKey(v) === key) return v;
    return undefined;
  }

  eventKey(e: number): string {
    return `${String(Math.floor(this.evTime.at(e) / 1000)).slice(0, 7)}_${uuidFrom(this.seed, e, 70)}`;
  }

  eventIndexByKey(key: string): number | undefined {
    const m = /^(\d{7})_/.exec(key);
    if (!m) return undefined;
    const prefix = Number(m[1]);
    const from = this.lowerBound(prefix * 1_000_000);
    const to = Math.min(this.lowerBound((prefix + 1) * 1_000_000), this.visibleEvents());
    for (let e = from; e < to; e++) if (this.eventKey(e) === key) return e;
    return undefined;
  }

  renderVisitor(v: number): Record<string, unknown> {
    const c = this.sync();
    const id = visitorIdentity(this.seed, v);
    const firstE = this.viFirst.at(v);
    const lastE = c.vLast.at(v);
    const withMs = hash32(this.seed, v, 66) % 5 !== 0;
    const out: Record<string, unknown> = {
      visitor_key: this.visitorKey(v),
      created_at: statsTime(this.evTime.at(firstE), withMs),
      last_active_at: statsTime(this.evTime.at(lastE), withMs),
      last_event_key: this.eventKey(lastE),
      load_count: c.vLoads.at(v),
      play_count: c.vPlays.at(v),
    };
    // Listed in the old docs and present (as null) in real bodies, absent from the OpenAPI: sometimes missing.
    if (hash32(this.seed, v, 67) % 4 !== 0) out.identifying_event_key = id.identified ? this.eventKey(firstE) : null;
    out.visitor_identity = { name: id.name, email: id.email, org: id.org };
    out.user_agent_details = userAgent(this.seed, v);
    return out;
  }

  visitorMatches(v: number, filter: string | undefined, search: string | undefined): boolean {
    const id = visitorIdentity(this.seed, v);
    if (filter === 'has_name' && id.name === '') return false;
    if (filter === 'has_email' && id.email === null) return false;
    if (filter === 'identified_by_email_gate' && !id.identified) return false;
    if (search) {
      const q = search.toLowerCase();
      if (!id.name.toLowerCase().includes(q) && !(id.email ?? '').toLowerCase().includes(q)) return false;
    }
    return true;
  }

  // ---- events --------------------------------------------------------------------------------------

  renderEvent(e: number): Record<string, unknown> {
    const s = this.seed;
    const m = this.medias[this.evMedia.at(e)] as MediaRecord;
    const v = this.evVisitor.at(e);
    const geo = hash32(s, v, 80) % 10 < 9 ? pickBy(GEO, s, v, 81) : pickBy(GEO, s, e, 82);
    const id = visitorIdentity(this.seed, v);
    const key = this.eventKey(e);
    const out: Record<string, unknown> = {
      received_at: statsTime(this.evTime.at(e), hash32(s, e, 83) % 7 !== 0),
      event_key: key,
      visitor_key: this.visitorKey(v),
      embed_url: embedUrlFor(s, e),
      percent_viewed: this.evPct.at(e),
      ip: ipFor(s, v),
      org: pickBy(ORGS, s, v, 84),
      country: geo[0],
      region: geo[1],
      city: geo[2],
      lat: geo[3],
      lon: geo[4],
      email: id.email,
      media_id: m.hashedId,
      media_name: this.mediaName(m),
      media_url: `https://${this.opts.accountName}.wistia.com/medias/${m.hashedId}`,
      iframe_heatmap_url: `https://api.wistia.com/v1/stats/events/${key}/iframe.html?public_token=${this.publicToken}`,
    };
    if (hash32(s, e, 85) % 5 < 2)
      out.thumbnail = {
        url: `https://embed-ssl.wistia.com/deliveries/${uuidFrom(s, m.index, 20).replace(/-/g, '')}.jpg`,
        width: 200,
        height: 120,
        fileSize: 10_000 + (hash32(s, m.index, 86) % 90_000),
        contentType: 'image/jpeg',
        type: 'StillImageFile',
      };
    const c = hash32(s, e, 87) % 100;
    if (c >= 2 && c < 8 && id.email) {
      out.conversion_type = 'pre-roll-email';
      const [first, ...last] = id.name.split(' ');
      out.conversion_data = {
        email: id.email,
        first_name: first ?? '',
        last_name: last.join(' '),
        is_new_lead: c % 2 === 0,
      };
    } else {
      // conversion_type is an integer or a string (oneOf in the schema): "" mostly, 0 sometimes.
      out.conversion_type = c < 4 ? 0 : '';
      // The one documented deviation from the schemas: an older revision sent "" instead of {}.
      out.conversion_data = c < 8 ? '' : {};
    }
    out.user_agent_details = userAgent(this.seed, v);
    return out;
  }
}
