// The simulated Wistia account: medias, visitors and viewing events, seeded and deterministic, with a
// clock. Memory stays small at 10k medias and 1M events: events live in typed arrays (time, media, visitor,
// percent viewed, and per-media / per-visitor chains), and every other field of an event or a visitor is
// derived from a hash of its index, so nothing else is stored per record.
import { hash32, hashedIdFrom, pickBy, Rng, unit, uuidFrom } from './rng.ts';

export const DAY_MS = 86_400_000;
const NONE = 0xffffffff;
/** Events are kept for two years by the API. */
export const RETENTION_DAYS = 730;

export interface WorldOptions {
  /** Seed of everything random. */
  readonly seed: number;
  /** Medias in the account on the first "today". */
  readonly medias: number;
  /** The first "today", YYYY-MM-DD. */
  readonly today: string;
  /** Age of the account in days on the first today (capped at the API's two-year retention). Default 365. */
  readonly historyDays?: number;
  /** Mean viewing events per playable media per day. Default 0.2. */
  readonly eventsPerMediaPerDay?: number;
  /** Share of events that come from a new visitor. Default 0.4. */
  readonly newVisitorShare?: number;
  /** Hour (UTC) of "now" on each simulated day: the daily run's time. Default 6. */
  readonly nowHourUtc?: number;
  /** Medias added per simulated day after the first today. Default max(1, medias/historyDays). */
  readonly newMediasPerDay?: number;
  /** Share of medias whose metadata is updated each day. Default 0.01. */
  readonly updateShare?: number;
  /** Account subdomain used in media URLs. */
  readonly accountName?: string;
  /**
   * From the first today on, the share (0..1] of live medias that change each day: that many medias, drawn at
   * random, get the day's activity (one or more plays; an update for images), and no other media gets plays or
   * updates. Days up to the first now are unchanged. Default: unset (plays spread over every playable media by
   * popularity, updates by updateShare).
   */
  readonly activeMediaShare?: number;
}

export interface MediaRecord {
  readonly index: number;
  readonly id: number;
  readonly hashedId: string;
  readonly type: 'Video' | 'Audio' | 'Image';
  readonly createdMs: number;
  readonly duration: number | undefined;
  readonly baseName: string;
  readonly project: number;
  readonly popularity: number;
  /** Metadata update times (ms), ascending; each may rename the media. */
  readonly updates: number[];
}

export const COMPANY_SITE = 'https://www.example.com';

const ADJ = [
  'Spring',
  'Summer',
  'Holiday',
  'Quick',
  'Deep',
  'Customer',
  'Founder',
  'Product',
  'Launch',
  'Brand',
  'Annual',
  'Live',
];
const NOUN = [
  'Teaser',
  'Walkthrough',
  'Testimonial',
  'Demo',
  'Webinar',
  'Story',
  'Explainer',
  'Recap',
  'Interview',
  'Tutorial',
  'Ad',
  'Highlights',
];
const TAIL = ['FB', 'YT', 'site', 'v2', 'final', 'short cut', 'long testimonials', '16x9', 'square'];
const UNICODE_NAMES = [
  'Café présentation — résumé',
  'Déjà vu: the rewind',
  '製品デモ 日本語版',
  'Ünïcödé 🎬 launch',
  'Привет мир',
  'Ελληνικά βίντεο',
];
const PROJECTS = [
  'Paid Social',
  'YouTube Channel',
  'Website',
  'Webinars',
  'Customer Stories',
  'Product Marketing',
  'Sales Enablement',
  'Events',
];
const GEO: readonly (readonly [string, string, string, number, number])[] = [
  ['US', 'Florida', 'Miami', 25.7617, -80.1918],
  ['US', 'WA', 'Seattle', 47.6062, -122.3321],
  ['US', 'California', 'San Francisco', 37.7749, -122.4194],
  ['US', 'NY', 'New York', 40.7128, -74.006],
  ['US', 'Texas', 'Austin', 30.2672, -97.7431],
  ['GB', 'England', 'London', 51.5072, -0.1276],
  ['DE', 'Berlin', 'Berlin', 52.52, 13.405],
  ['FR', 'Île-de-France', 'Paris', 48.8566, 2.3522],
  ['CA', 'ON', 'Toronto', 43.6532, -79.3832],
  ['BR', 'São Paulo', 'São Paulo', -23.5505, -46.6333],
  ['IN', 'MH', 'Mumbai', 19.076, 72.8777],
  ['AU', 'New South Wales', 'Sydney', -33.8688, 151.2093],
  ['JP', '13', 'Tokyo', 35.6762, 139.6503],
  ['NO', 'Oslo', 'Oslo', 59.9139, 10.7522],
  ['MX', 'CMX', 'Mexico City', 19.4326, -99.1332],
];
const ORGS = [
  'Comcast Cable',
  'Deutsche Telekom AG',
  'British Telecommunications PLC',
  'Orange S.A.',
  'Verizon Business',
  'NTT',
  'Telstra',
  'Rogers',
  'Example Corp',
];
const UAS: readonly (readonly [string, string, string, boolean])[] = [
  ['Chrome', '141', 'mac', false],
  ['Chrome', '140', 'windows', false],
  ['Safari', '18', 'iOS (iPhone)', true],
  ['Chrome', '141', 'iOS (iPhone)', true],
  ['Firefox', '133', 'linux', false],
  ['Edge', '139', 'windows', false],
  ['Samsung Internet', '27', 'android', true],
  ['Unknown Browser', '0', 'iOS (iPhone)', true],
];
const FIRST = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Jim', 'Zoë', 'José', 'Björn', 'Aiko'];
const LAST = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Turing', 'Núñez', 'O’Brien', 'Østergaard'];

/** Where a viewing happened: the embed page, spread over Facebook, YouTube, the company site and others. */
function embedUrlFor(seed: number, e: number): string {
  const r = unit(seed, e, 31);
  const slug = pickBy(['pricing', 'blog/launch', 'customers', 'webinar', 'product/tour', ''], seed, e, 32);
  if (r < 0.22)
    return pickBy(
      [
        `https://www.facebook.com/ExampleCo/videos/${hash32(seed, e, 33)}`,
        'https://m.facebook.com/watch/',
        'https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2F',
      ],
      seed,
      e,
      34,
    );
  if (r < 0.4)
    return pickBy(
      [`https://www.youtube.com/watch?v=${hashedIdFrom(seed, e, 35).slice(0, 11)}`, 'https://m.youtube.com/@exampleco'],
      seed,
      e,
      36,
    );
  if (r < 0.48)
    return `${COMPANY_SITE}/${slug}?utm_source=${pickBy(['facebook', 'youtube', 'fb', 'newsletter'], seed, e, 37)}&utm_medium=paid`;
  if (r < 0.85) return `${COMPANY_SITE}/${slug}`;
  return pickBy(
    [
      'https://blog.example.org/review',
      'https://partner.example.net/resources?ref=video',
      'https://news.example.edu/story',
      'http://localhost:3000/preview',
    ],
    seed,
    e,
    38,
  );
}

function ipFor(seed: number, v: number): string {
  const r = hash32(seed, v, 41);
  if (r % 10 === 0) return `2001:db8:${((r >>> 8) % 65536).toString(16)}::${((r >>> 4) % 4096).toString(16)}`;
  const net = pickBy(['192.0.2', '198.51.100', '203.0.113'], seed, v, 42);
  return `${net}.${1 + (r % 254)}`;
}

export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}
/** Stats datetimes: mostly with milliseconds ("…53.380Z"), sometimes without ("…53Z"): both occur in real bodies. */
function statsTime(ms: number, withMs: boolean): string {
  const s = new Date(ms).toISOString();
  return withMs ? s : s.replace(/\.\d{3}Z$/, 'Z');
}
/** Media dates use the "+00:00" offset form. */
function mediaTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
export function parseDay(s: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) throw new Error(`not a YYYY-MM-DD date: "${s}"`);
  const ms = Date.parse(`${s}T00:00:00Z`);
  if (Number.isNaN(ms) || dayString(ms / DAY_MS) !== s) throw new Error(`not a valid date: "${s}"`);
  return ms / DAY_MS;
}

/** A growable column of numbers. */
class Column<T extends Float64Array | Uint32Array | Float32Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): number {
    if (this.length === this.data.length) {
      const next = this.make(Math.max(1024, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length] = v;
    return this.length++;
  }
  at(i: number): number {
    return this.data[i] as number;
  }
  set(i: number, v: number): void {
    this.data[i] = v;
  }
}
const f64 = () => new Column(new Float64Array(1024), (n) => new Float64Array(n));
const u32 = () => new Column(new Uint32Array(1024), (n) => new Uint32Array(n));
const f32 = () => new Column(new Float32Array(1024), (n) => new Float32Array(n));

export class World {
  readonly seed: number;
  readonly opts: Required<Omit<WorldOptions, 'activeMediaShare'>> & Pick<WorldOptions, 'activeMediaShare'>;
  readonly medias: MediaRecord[] = [];
  readonly publicToken: string;
  /** The current simulated day and instant. */
  today: number;
  nowMs: number;
  private generatedThrough: number;
  private readonly firstDay: number;
  /** The first today: days after it add medias (the initial ones are spread over the history). */
  private readonly anchorDay: number;

  // events, ascending by time
  readonly evTime = f64();
  readonly evMedia = u32();
  readonly evVisitor = u32();
  readonly evPct = f32();
  private readonly evPrevOfMedia = u32();
  private readonly evPrevOfVisitor = u32();
  private readonly lastOfMedia: number[] = [];
  // visitors, ascending by creation (first event)
  readonly viFirst = u32();
  private readonly lastOfVisitor = u32();

  // aggregates of the visible events [0, aggregated)
  private aggregated = 0;
  private readonly mPlays: number[] = [];
  private readonly mLoads: number[] = [];
  private readonly mPct: number[] = [];
  private readonly mSeconds: number[] = [];
  private readonly mVisitors: number[] = [];
  private readonly pairSeen = new Set<number>();
  private readonly vPlays = u32();
  private readonly vLoads = u32();
  private readonly vLast = u32();
  private readonly account = { loads: 0, plays: 0, seconds: 0 };

  constructor(options: WorldOptions) {
    const historyDays = Math.min(options.historyDays ?? 365, RETENTION_DAYS);
    const share = options.activeMediaShare;
    if (share !== undefined && !(share > 0 && share <= 1))
      throw new RangeError(`activeMediaShare: expected a share in (0, 1], got ${share}`);
    this.opts = {
      historyDays,
      eventsPerMediaPerDay: 0.2,
      newVisitorShare: 0.4,
      nowHourUtc: 6,
      newMediasPerDay: Math.max(1, Math.round(options.medias / historyDays)),
      updateShare: 0.01,
      accountName: 'example',
      ...options,
    };
    this.seed = options.seed >>> 0;
    this.today = parseDay(options.today);
    this.anchorDay = this.today;
    this.firstDay = this.today - historyDays;
    this.nowMs = this.today * DAY_MS + this.opts.nowHourUtc * 3_600_000;
    this.publicToken = hashedIdFrom(this.seed, 7);
    // The initial medias are created over the history, up to the first now.
    const span = this.nowMs - this.firstDay * DAY_MS;
    const created = Array.from(
      { length: options.medias },
      (_, i) => this.firstDay * DAY_MS + Math.floor(unit(this.seed, i, 1) * span),
    );
    created.sort((a, b) => a - b);
    for (const ms of created) this.addMedia(ms);
    this.generatedThrough = this.firstDay - 1;
    this.generateThrough(this.today);
  }

  private addMedia(createdMs: number): MediaRecord {
    const i = this.medias.length;
    const s = this.seed;
    const t = unit(s, i, 2);
    const type = t < 0.85 ? 'Video' : t < 0.93 ? 'Audio' : 'Image';
    const duration =
      type === 'Image'
        ? undefined
        : Math.round((type === 'Audio' ? 60 + unit(s, i, 3) * 3000 : 8 + unit(s, i, 3) ** 2 * 1800) * 1000) / 1000;
    const n = unit(s, i, 4);
    const baseName =
      n < 0.04
        ? pickBy(UNICODE_NAMES, s, i, 5)
        : n < 0.06
          ? `${pickBy(ADJ, s, i, 6)} ${'very long title '.repeat(20)}${i}`
          : `${pickBy(ADJ, s, i, 6)} ${pickBy(NOUN, s, i, 7)} ${pickBy(TAIL, s, i, 8)} ${new Date(createdMs).toISOString().slice(5, 10)}`;
    const m: MediaRecord = {
      index: i,
      id: 4_000_000 + i * 7 + (hash32(s, i, 9) % 7),
      hashedId: hashedIdFrom(s, i, 10),
      type,
      createdMs,
      duration,
      baseName,
      project: hash32(s, i, 11) % PROJECTS.length,
      popularity: 0.05 + 0.95 * unit(s, i, 12) ** 2,
      updates: [],
    };
    this.medias.push(m);
    this.lastOfMedia.push(NONE);
    this.mPlays.push(0);
    this.mLoads.push(0);
    this.mPct.push(0);
    this.mSeconds.push(0);
    this.mVisitors.push(0);
    return m;
  }

  /** Generates every day up to and including `day` (medias, updates, visitors, events). */
  private generateThrough(day: number): void {
    for (let d = this.generatedThrough + 1; d <= day; d++) this.generateDay(d);
    this.generatedThrough = day;
  }

  private generateDay(d: number): void {
    const rng = new Rng(hash32(this.seed, d, 0xda7));
    const dayStart = d * DAY_MS;
    const from = dayStart - DAY_MS + this.opts.nowHourUtc * 3_600_000;
    if (d > this.anchorDay) {
      // created between the previous day's run and this day's, so each daily run sees the day's new medias
      const created = Array.from({ length: this.opts.newMediasPerDay }, () => from + rng.int(DAY_MS));
      for (const ms of created.sort((a, b) => a - b)) this.addMedia(ms);
    }
    const live = this.medias.filter((m) => m.createdMs < dayStart);
    const share = this.opts.activeMediaShare;
    if (share !== undefined && d > this.anchorDay) return this.generateActiveDay(rng, from, live, share);
    // metadata updates
    const updates =
      live.length === 0 ? 0 : Math.max(d > this.anchorDay ? 1 : 0, rng.poisson(live.length * this.opts.updateShare));
    for (let k = 0; k < updates; k++) {
      const m = live[rng.int(live.length)] as MediaRecord;
      // between the previous day's run and this day's, so each daily run sees the updates since the last one
      m.updates.push(Math.max(m.createdMs + 1000, from + rng.int(DAY_MS)));
      m.updates.sort((a, b) => a - b);
    }
    // viewing events
    const playable = live.filter((m) => m.type !== 'Image');
    if (playable.length === 0) return;
    const count = rng.poisson(playable.length * this.opts.eventsPerMediaPerDay);
    const times = Array.from({ length: count }, () => dayStart + rng.int(DAY_MS));
    times.sort((a, b) => a - b);
    // with activeMediaShare, what happens after the first now belongs to the days of the chosen medias
    const through = share !== undefined ? this.nowMs : Infinity;
    for (const t of times) {
      if (t > through) break;
      let m: MediaRecord;
      do m = playable[rng.int(playable.length)] as MediaRecord;
      while (rng.next() > m.popularity);
      this.addEvent(t, m, rng);
    }
  }

  /** A day of activeMediaShare: a random share of live medias change between the previous run and this one. */
  private generateActiveDay(rng: Rng, from: number, live: MediaRecord[], share: number): void {
    if (live.length === 0) return;
    const pool = [...live];
    const k = Math.min(pool.length, Math.max(1, Math.round(pool.length * share)));
    const plays: [number, MediaRecord][] = [];
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(pool.length - i);
      const m = pool[j] as MediaRecord;
      pool[j] = pool[i] as MediaRecord;
      pool[i] = m;
      if (m.type === 'Image') {
        m.updates.push(Math.max(m.createdMs + 1000, from + 1 + rng.int(DAY_MS - 1)));
        m.updates.sort((a, b) => a - b);
      } else {
        const n = 1 + rng.poisson(this.opts.eventsPerMediaPerDay);
        for (let p = 0; p < n; p++) plays.push([from + 1 + rng.int(DAY_MS - 1), m]);
      }
    }
    plays.sort((a, b) => a[0] - b[0]);
    for (const [t, m] of plays) this.addEvent(t, m, rng);
  }

  private addEvent(t: number, m: MediaRecord, rng: Rng): void {
    let v: number;
    if (this.viFirst.length === 0 || rng.next() < this.opts.newVisitorShare) {
      v = this.viFirst.push(this.evTime.length);
      this.lastOfVisitor.push(NONE);
      this.vPlays.push(0);
      this.vLoads.push(0);
      this.vLast.push(NONE);
    } else {
      v = rng.int(this.viFirst.length);
    }
    const pct = Math.min(1, Math.max(0.002, rng.next() ** 1.3 * 1.05));
    const e = this.evTime.push(t);
    this.evMedia.push(m.index);
    this.evVisitor.push(v);
    this.evPct.push(Math.fround(pct));
    this.evPrevOfMedia.push(this.lastOfMedia[m.index] as number);
    this.lastOfMedia[m.index] = e;
    this.evPrevOfVisitor.push(this.lastOfVisitor.at(v));
    this.lastOfVisitor.set(v, e);
  }

  /** Advances the clock: each day adds medias, updates some, and brings new visitors and events. */
  advance(days = 1): void {
    this.today += days;
    this.generateThrough(this.today);
    this.nowMs = Math.max(this.nowMs, this.today * DAY_MS + this.opts.nowHourUtc * 3_600_000);
  }

  /** Moves "now" forward within today (events arriving while a run is paging). */
  tick(ms: number): void {
    this.nowMs = Math.min(this.nowMs + ms, (this.today + 1) * DAY_MS - 1);
  }

  // ---- visibility and aggregates -----------------------------------------------------------------

  /** Number of events with time <= now (events are sorted by time). */
  visibleEvents(): number {
    return this.upperBound(this.nowMs);
  }

  /** First index whose time is > ms. */
  upperBound(ms: number): number {
    let lo = 0;
    let hi = this.evTime.length;
    const data = this.evTime.data;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((data[mid] as number) <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose time is >= ms. */
  lowerBound(ms: number): number {
    let lo = 0;
    let hi = this.evTime.length;
    const data = this.evTime.data;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((data[mid] as number) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Oldest instant the API still serves events for. */
  retentionStartMs(): number {
    return (this.today - RETENTION_DAYS) * DAY_MS;
  }

  /** Non-play loads attached to an event (so loads and plays reconcile everywhere). */
  extraLoads(e: number): number {
    const m = this.evMedia.at(e);
    const k = 0.3 + 1.7 * unit(this.seed, m, 13);
    return Math.floor(unit(this.seed, e, 14) * 2 * k);
  }

  watchedSeconds(e: number): number {
    return this.evPct.at(e) * (this.medias[this.evMedia.at(e)]?.duration ?? 0);
  }

  private sync(): void {
    const visible = this.visibleEvents();
    for (let e = this.aggregated; e < visible; e++) {
      const m = this.evMedia.at(e);
      const v = this.evVisitor.at(e);
      const loads = 1 + this.extraLoads(e);
      const secs = this.watchedSeconds(e);
      this.mPlays[m] = (this.mPlays[m] as number) + 1;
      this.mLoads[m] = (this.mLoads[m] as number) + loads;
      this.mPct[m] = (this.mPct[m] as number) + this.evPct.at(e);
      this.mSeconds[m] = (this.mSeconds[m] as number) + secs;
      const pair = m * 16_777_216 + v;
      if (!this.pairSeen.has(pair)) {
        this.pairSeen.add(pair);
        this.mVisitors[m] = (this.mVisitors[m] as number) + 1;
      }
      this.vPlays.set(v, this.vPlays.at(v) + 1);
      this.vLoads.set(v, this.vLoads.at(v) + loads);
      this.vLast.set(v, e);
      this.account.loads += loads;
      this.account.plays += 1;
      this.account.seconds += secs;
    }
    this.aggregated = Math.max(this.aggregated, visible);
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

  // ---- stats ---------------------------------------------------------------------------------------

  mediaStats(m: MediaRecord): Record<string, unknown> {
    this.sync();
    const i = m.index;
    const plays = this.mPlays[i] as number;
    const loads = this.mLoads[i] as number;
    const out: Record<string, unknown> = {
      load_count: loads,
      play_count: plays,
      play_rate: loads === 0 ? 0 : plays / loads,
      hours_watched: (this.mSeconds[i] as number) / 3600,
      engagement: plays === 0 ? 0 : (this.mPct[i] as number) / plays,
      visitors: this.mVisitors[i] as number,
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

  /** Visible events of a media, newest first. */
  *mediaEvents(m: MediaRecord): Generator<number> {
    const visible = this.visibleEvents();
    for (let e = this.lastOfMedia[m.index] as number; e !== NONE; e = this.evPrevOfMedia.at(e))
      if (e < visible) yield e;
  }

  /** Visible events of a visitor, newest first. */
  *visitorEvents(v: number): Generator<number> {
    const visible = this.visibleEvents();
    for (let e = this.lastOfVisitor.at(v); e !== NONE; e = this.evPrevOfVisitor.at(e)) if (e < visible) yield e;
  }

  mediaEngagement(m: MediaRecord): Record<string, unknown> {
    this.sync();
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
    const plays = this.mPlays[m.index] as number;
    return {
      engagement: plays === 0 ? 0 : (this.mPct[m.index] as number) / plays,
      engagement_data: engaged,
      rewatch_data: engaged.map((x) => Math.floor(x * r)),
    };
  }

  mediaByDate(m: MediaRecord, startDay: number, endDay: number): Record<string, unknown>[] {
    const rows = new Map<number, { load_count: number; play_count: number; seconds: number }>();
    for (let d = startDay; d <= endDay; d++) rows.set(d, { load_count: 0, play_count: 0, seconds: 0 });
    for (const e of this.mediaEvents(m)) {
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

  accountStats(): Record<string, unknown> {
    this.sync();
    return {
      load_count: this.account.loads,
      play_count: this.account.plays,
      hours_watched: this.account.seconds / 3600,
    };
  }

  // ---- visitors ------------------------------------------------------------------------------------

  /** Visitors whose first event is visible: indices [0, n). */
  visibleVisitors(): number {
    const visible = this.visibleEvents();
    let lo = 0;
    let hi = this.viFirst.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.viFirst.at(mid) < visible) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

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

  private visitorAtOrAfterEvent(e: number): number {
    let lo = 0;
    let hi = this.viFirst.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.viFirst.at(mid) < e) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private visitorIdentity(v: number): {
    name: string;
    email: string | null;
    org: { name: string | null; title: string | null };
    identified: boolean;
  } {
    const r = hash32(this.seed, v, 60) % 100;
    if (r < 70) return { name: '', email: null, org: { name: null, title: null }, identified: false };
    const name = `${pickBy(FIRST, this.seed, v, 61)} ${pickBy(LAST, this.seed, v, 62)}`;
    const email =
      r < 90
        ? `${name
            .toLowerCase()
            .normalize('NFKD')
            .replace(/[^a-z]+/g, '.')}${v}@example.com`
        : null;
    return {
      name,
      email,
      org:
        r < 80
          ? {
              name: pickBy(ORGS, this.seed, v, 63),
              title: pickBy(['CMO', 'Growth Lead', 'Engineer'], this.seed, v, 64),
            }
          : { name: null, title: null },
      identified: email !== null,
    };
  }

  private userAgent(v: number): Record<string, unknown> {
    const [browser, browser_version, platform, mobile] = pickBy(UAS, this.seed, v, 65);
    return { browser, browser_version, platform, mobile };
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
    this.sync();
    const id = this.visitorIdentity(v);
    const firstE = this.viFirst.at(v);
    const lastE = this.vLast.at(v);
    const withMs = hash32(this.seed, v, 66) % 5 !== 0;
    const out: Record<string, unknown> = {
      visitor_key: this.visitorKey(v),
      created_at: statsTime(this.evTime.at(firstE), withMs),
      last_active_at: statsTime(this.evTime.at(lastE), withMs),
      last_event_key: this.eventKey(lastE),
      load_count: this.vLoads.at(v),
      play_count: this.vPlays.at(v),
    };
    // Listed in the old docs and present (as null) in real bodies, absent from the OpenAPI: sometimes missing.
    if (hash32(this.seed, v, 67) % 4 !== 0) out.identifying_event_key = id.identified ? this.eventKey(firstE) : null;
    out.visitor_identity = { name: id.name, email: id.email, org: id.org };
    out.user_agent_details = this.userAgent(v);
    return out;
  }

  visitorMatches(v: number, filter: string | undefined, search: string | undefined): boolean {
    const id = this.visitorIdentity(v);
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
    const id = this.visitorIdentity(v);
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
    out.user_agent_details = this.userAgent(v);
    return out;
  }
}
