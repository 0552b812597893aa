// The simulated Wistia account as generated: medias, visitors and viewing events, seeded and deterministic,
// with a clock. Memory stays small at 10k medias and 1M events: events live in typed arrays (time, media, visitor,
// percent viewed, and per-media / per-visitor chains), and every other field of an event or a visitor is
// derived from a hash of its index, so nothing else is stored per record. What the API serves of it (the
// rendered bodies and the totals) is World, in world.ts.
import { DAY_MS, parseDay, RETENTION_DAYS } from './calendar.ts';
import { hash32, hashedIdFrom, pickBy, Rng, unit } from './rng.ts';
import { ADJ, NOUN, PROJECTS, TAIL, UNICODE_NAMES } from './vocabulary.ts';

/** No event / no visitor: the end of a chain. */
export const NONE = 0xffffffff;

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

/** A growable column of numbers. */
export class Column<T extends Float64Array | Uint32Array | Float32Array> {
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
export const u32 = () => new Column(new Uint32Array(1024), (n) => new Uint32Array(n));
const f32 = () => new Column(new Float32Array(1024), (n) => new Float32Array(n));

/** The generated account and its clock: what exists, and what of it is visible at "now". */
export class Account {
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

  // ---- visibility ---------------------------------------------------------------------------------

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

  /** Visitors whose first event is visible: indices [0, n). */
  visibleVisitors(): number {
    return this.visitorAtOrAfterEvent(this.visibleEvents());
  }

  /** The first visitor whose first event is at index `e` or later (visitors are ascending by first event). */
  protected visitorAtOrAfterEvent(e: number): number {
    let lo = 0;
    let hi = this.viFirst.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.viFirst.at(mid) < e) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
