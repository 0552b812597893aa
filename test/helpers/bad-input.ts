// Bad input for the reliability suite, served by the simulator through its rewrite hook: records drifted,
// broken or mistyped by a rule on their key (so the truth is computable), hostile media names, a media whose
// engagement body is broken (no engagement_data: landed, quarantined) or malformed (never JSON: the item fails and
// is carried over), stats bodies truncated on their first attempts, and on demand a page with a record that has no
// event_key (issue 12: the page lands, the record is quarantined, the run goes on).
import { RawBody, type BodyRewrite, type WistiaSimulator } from '#local/simulator/server.ts';

type Rec = Record<string, unknown>;

/** A quarantine reason without its values: the rule it names (pyspark/…/transforms/validate.py, the misbehaving
 * simulator's defects in local/simulator/misbehave.ts). */
export const ruleOf = (reason: string): string =>
  reason
    .replace(/^(\w+): .* is outside /, '$1: outside ')
    .replace(/^(\w+: expected \w+), got .*$/, '$1')
    .replace(/^(\w+: not a \w+): .*$/, '$1');

/** A small stable hash of a key, to pick which records a case applies to. */
export function pick(key: string, modulo: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % modulo;
}

export interface EventCase {
  readonly name: string;
  readonly apply: (r: Rec) => void;
  /** The quarantine reason, for a record the transform cannot use. */
  readonly reason?: string;
  /** The drift it reports (entity events). */
  readonly drift?: { field: string; kind: 'new-field' | 'type' | 'coerced' };
  /** A column the loaded row holds as NULL. */
  readonly nullColumn?: string;
}

/** Applied to events whose key picks its index (pick(event_key, EVENT_MODULO)). */
export const EVENT_CASES: readonly EventCase[] = [
  {
    name: 'a new field',
    apply: (r) => (r.brand_new_field = { nested: true }),
    drift: { field: 'brand_new_field', kind: 'new-field' },
  },
  {
    name: 'an optional field of the wrong type',
    apply: (r) => (r.lat = 'north'),
    drift: { field: 'lat', kind: 'type' },
    nullColumn: 'lat',
  },
  {
    // issue 12: a number sent as a string is loaded with its value (coerced without loss) and reported as drift
    name: 'a number sent as a string',
    apply: (r) => (r.percent_viewed = String(r.percent_viewed)),
    drift: { field: 'percent_viewed', kind: 'coerced' },
  },
  {
    name: 'a time that does not parse',
    apply: (r) => (r.received_at = 'soon'),
    reason: 'received_at: not a timestamp: soon',
  },
  { name: 'an optional field missing', apply: (r) => delete r.org, nullColumn: 'org' },
  { name: 'an optional field null', apply: (r) => (r.city = null), nullColumn: 'city' },
  {
    name: 'a required field of the wrong type',
    apply: (r) => (r.percent_viewed = 'lots'),
    reason: 'percent_viewed: expected double, got lots',
  },
  {
    name: 'a required field missing',
    apply: (r) => delete r.visitor_key,
    reason: 'visitor_key: required field is missing or null',
  },
  {
    name: 'a required field null',
    apply: (r) => (r.media_id = null),
    reason: 'media_id: required field is missing or null',
  },
  {
    name: 'a value out of range',
    apply: (r) => (r.percent_viewed = 1.5),
    reason: 'percent_viewed: 1.5 is outside [0, 1]',
  },
];
export const EVENT_MODULO = 40;
export const eventCase = (eventKey: string): EventCase | undefined => EVENT_CASES[pick(eventKey, EVENT_MODULO)];

/** Visitors whose key picks 0 carry a negative load count (quarantined); 1, a new field (drift). */
export const VISITOR_MODULO = 30;
export const NEGATIVE_LOADS_REASON = 'load_count: -5 is outside [0, inf]';

/** Names no CSV stage, COPY or UTF-8 round trip may alter: unicode, emoji, control characters, very long. */
export const HOSTILE_NAMES = [
  'Ünïcödé 🎬🎉 — 製品デモ 日本語版 — עברית — العربية',
  'Line one\nLine two, "quoted", back\\slash; semi',
  'e\u0301 combining, zero\u200bwidth, family 👩\u200d👩\u200d👧, flag 🇳🇴',
  `Very long ${'ö'.repeat(20_000)} end`,
  '   leading and trailing spaces   ',
  'Tab\there and CRLF\r\nafter',
  '',
];

/** Which medias (by index in the world) get which treatment. */
export const ROLE = {
  /** indices 0..HOSTILE_NAMES.length-1: renamed */
  noUpdated: HOSTILE_NAMES.length, // `updated` missing: quarantined
  newField: HOSTILE_NAMES.length + 1, // a new top-level field: drift
  mistypedStats: HOSTILE_NAMES.length + 2, // a by_date row with play_count "lots": quarantined
  brokenEngagement: HOSTILE_NAMES.length + 3, // engagement without engagement_data: landed, quarantined
  malformedEngagement: HOSTILE_NAMES.length + 4, // engagement never valid JSON: WistiaTransientError, carried over
  truncatedStats: HOSTILE_NAMES.length + 5, // by_date truncated on its first two attempts: retried
} as const;
export const UPDATED_REASON = 'updated: required field is missing or null';

export interface BadInput {
  readonly rewrite: BodyRewrite;
  /** hashed id -> the name the API now gives it */
  readonly names: Map<string, string>;
  readonly ids: { [K in keyof typeof ROLE]: string };
  /** The engagement of two medias is broken (on until switched off). */
  brokenEngagement: boolean;
  /** Set to a day: the first page of that day's event window has a record without event_key (quarantined). */
  fatalWindow: string | undefined;
  /** by_date requests of the truncated media so far (the first two are cut short). */
  truncatedAttempts: number;
}

export function badInput(sim: WistiaSimulator): BadInput {
  const medias = sim.world.medias;
  const id = (i: number) => {
    const m = medias[i];
    if (!m) throw new Error(`the bad-input account needs more than ${i} medias`);
    return m.hashedId;
  };
  const names = new Map(HOSTILE_NAMES.map((n, i) => [id(i), n]));
  const ids = Object.fromEntries(Object.entries(ROLE).map(([k, i]) => [k, id(i)])) as BadInput['ids'];
  const state: BadInput = {
    rewrite: () => undefined,
    names,
    ids,
    brokenEngagement: true,
    fatalWindow: undefined,
    truncatedAttempts: 0,
  };
  const media = (r: Rec) => {
    const h = String(r.hashed_id);
    if (names.has(h)) r.name = names.get(h);
    if (h === ids.noUpdated) delete r.updated;
    if (h === ids.newField) r.brand_new_media_field = 'hello';
    return r;
  };
  const visitor = (r: Rec) => {
    const p = pick(String(r.visitor_key), VISITOR_MODULO);
    if (p === 0) r.load_count = -5;
    if (p === 1) r.segment = 'vip';
    return r;
  };
  const event = (r: Rec) => {
    if (names.has(String(r.media_id))) r.media_name = names.get(String(r.media_id));
    eventCase(String(r.event_key))?.apply(r);
    return r;
  };
  const mediaOf = (path: string) => decodeURIComponent(path.split('/')[3] ?? '');
  (state as { rewrite: BodyRewrite }).rewrite = (req, body) => {
    switch (req.route) {
      case '/medias':
        return (body as Rec[]).map(media);
      case '/medias/:id':
        return media(body as Rec);
      case '/stats/visitors':
        return (body as Rec[]).map(visitor);
      case '/stats/visitors/:key':
        return visitor(body as Rec);
      case '/stats/events': {
        const out = (body as Rec[]).map(event);
        const fatal =
          state.fatalWindow !== undefined &&
          req.query.get('start_date') === state.fatalWindow &&
          (req.query.get('page') ?? '1') === '1';
        if (fatal && out[0]) delete out[0].event_key;
        return out;
      }
      case '/stats/medias/:id/by_date': {
        const m = mediaOf(req.path);
        const rows = body as Rec[];
        if (m === ids.mistypedStats && rows[0]) rows[0].play_count = 'lots';
        if (m === ids.truncatedStats && state.truncatedAttempts++ < 2)
          return new RawBody(JSON.stringify(rows).slice(0, 20));
        return rows;
      }
      case '/stats/medias/:id/engagement': {
        const m = mediaOf(req.path);
        if (state.brokenEngagement && m === ids.brokenEngagement) {
          const { engagement_data: _gone, ...rest } = body as Rec;
          return rest;
        }
        if (state.brokenEngagement && m === ids.malformedEngagement)
          return new RawBody('<html><body>502 Bad Gateway</body></html>');
        return body;
      }
      default:
        return body;
    }
  };
  return state;
}
