// The simulator misbehaving record by record (issue 12): a seeded option, off by default, that serves some
// records of otherwise good pages with one defect each, of every kind real APIs show: a required key missing,
// a time that does not parse, a number sent as a string, a field of another type, an unknown field, a null where a
// value is documented, a value outside its domain. Which record gets which defect is a pure function of the seed,
// the entity and the record's key, so that the same record is served the same way on every page, retry and day,
// and a test can compute the truth (what the pipeline must quarantine, coerce or load) from the world alone.
import { hash32 } from './rng.ts';

type Rec = Record<string, unknown>;

/** What the pipeline must make of a record with the defect. */
export type Outcome =
  | 'quarantined' // not usable: kept in analytics.quarantine with its reason
  | 'coerced' // loaded with the value, converted without loss; reported as drift (kind "coerced")
  | 'nulled' // loaded, the field as NULL; reported as drift (kind "type")
  | 'new-field'; // loaded; the field reported as drift (kind "new-field")

export interface Defect {
  readonly name: string;
  readonly outcome: Outcome;
  /** The field it touches (for drift and NULL checks). */
  readonly field: string;
  /** The quarantine rule the transform gives it (pyspark/wistia_pipeline/transforms/validate.py), when quarantined. */
  readonly rule?: string;
  readonly apply: (r: Rec) => void;
}

export type MisbehavingEntity = 'events' | 'visitors' | 'medias' | 'media_stats' | 'media_engagement';

const NEW_FIELD = 'sim_unannounced_field';

/** Every defect each entity's records may carry. */
export const DEFECTS: Readonly<Record<MisbehavingEntity, readonly Defect[]>> = {
  events: [
    {
      name: 'no natural key',
      outcome: 'quarantined',
      field: 'event_key',
      rule: 'event_key: required field is missing or null',
      apply: (r) => delete r.event_key,
    },
    {
      name: 'a time that does not parse',
      outcome: 'quarantined',
      field: 'received_at',
      rule: 'received_at: not a timestamp',
      apply: (r) => (r.received_at = 'last tuesday'),
    },
    {
      name: 'a null where a value is documented',
      outcome: 'quarantined',
      field: 'media_id',
      rule: 'media_id: required field is missing or null',
      apply: (r) => (r.media_id = null),
    },
    {
      name: 'a value outside its domain',
      outcome: 'quarantined',
      field: 'percent_viewed',
      rule: 'percent_viewed: outside [0, 1]',
      apply: (r) => (r.percent_viewed = 1.75),
    },
    {
      name: 'a number sent as a string',
      outcome: 'coerced',
      field: 'percent_viewed',
      apply: (r) => (r.percent_viewed = String(r.percent_viewed)),
    },
    {
      name: 'a field of another type',
      outcome: 'nulled',
      field: 'lat',
      apply: (r) => (r.lat = { degrees: r.lat }),
    },
    { name: 'an unknown field', outcome: 'new-field', field: NEW_FIELD, apply: (r) => (r[NEW_FIELD] = { v: 1 }) },
  ],
  visitors: [
    {
      name: 'no natural key',
      outcome: 'quarantined',
      field: 'visitor_key',
      rule: 'visitor_key: required field is missing or null',
      apply: (r) => delete r.visitor_key,
    },
    {
      name: 'a value outside its domain',
      outcome: 'quarantined',
      field: 'play_count',
      rule: 'play_count: outside [0, inf]',
      apply: (r) => (r.play_count = -3),
    },
    {
      name: 'a number sent as a string',
      outcome: 'coerced',
      field: 'load_count',
      apply: (r) => (r.load_count = String(r.load_count)),
    },
    {
      name: 'a time that does not parse (optional)',
      outcome: 'nulled',
      field: 'created_at',
      apply: (r) => (r.created_at = 'n/a'),
    },
    { name: 'an unknown field', outcome: 'new-field', field: NEW_FIELD, apply: (r) => (r[NEW_FIELD] = 'x') },
  ],
  medias: [
    {
      name: 'a time that does not parse',
      outcome: 'quarantined',
      field: 'updated',
      rule: 'updated: not a timestamp',
      apply: (r) => (r.updated = 'recently'),
    },
    {
      name: 'a number sent as a string',
      outcome: 'coerced',
      field: 'duration',
      apply: (r) => (r.duration = String(r.duration)),
    },
    { name: 'an unknown field', outcome: 'new-field', field: NEW_FIELD, apply: (r) => (r[NEW_FIELD] = [1, 2]) },
  ],
  media_stats: [
    {
      name: 'a field of another type',
      outcome: 'quarantined',
      field: 'load_count',
      rule: 'load_count: expected bigint',
      apply: (r) => (r.load_count = 'many'),
    },
    {
      name: 'a number sent as a string',
      outcome: 'coerced',
      field: 'play_count',
      apply: (r) => (r.play_count = String(r.play_count)),
    },
    { name: 'an unknown field', outcome: 'new-field', field: NEW_FIELD, apply: (r) => (r[NEW_FIELD] = true) },
  ],
  media_engagement: [
    {
      name: 'a required field missing',
      outcome: 'quarantined',
      field: 'engagement_data',
      rule: 'engagement_data: required field is missing or null',
      apply: (r) => delete r.engagement_data,
    },
    {
      name: 'a number sent as a string',
      outcome: 'coerced',
      field: 'engagement',
      apply: (r) => (r.engagement = String(r.engagement)),
    },
    { name: 'an unknown field', outcome: 'new-field', field: NEW_FIELD, apply: (r) => (r[NEW_FIELD] = 0) },
  ],
};

export interface MisbehaveOptions {
  /** Share (0..1) of each entity's records served with a defect. 0 (the default) serves every record as it is. */
  readonly rate: number;
  /** Which records get which defect. Default 1. */
  readonly seed?: number;
}

function keyHash(seed: number, entity: string, key: string): number {
  let h = hash32(seed, 0x6d15);
  for (const c of `${entity}\u0000${key}`) h = hash32(h, c.codePointAt(0) as number);
  return h;
}

/**
 * The defect the record with this key is served with, or undefined. A pure function of its arguments.
 * `key`: the record's natural key as the world knows it (event_key, visitor_key, hashed_id; the media's hashed id
 * and the day for a by_date row; the media's hashed id for its engagement).
 */
export function defectOf(o: MisbehaveOptions, entity: MisbehavingEntity, key: string): Defect | undefined {
  if (!(o.rate > 0)) return undefined;
  const h = keyHash(o.seed ?? 1, entity, key);
  if (h / 2 ** 32 >= o.rate) return undefined;
  const kinds = DEFECTS[entity];
  return kinds[hash32(h, 0x9e37) % kinds.length];
}

/** What the simulator served with a defect, by entity and defect name (every serving counts). */
export type MisbehaviourLedger = Record<string, Record<string, number>>;

const mediaOf = (path: string) => decodeURIComponent(path.split('/')[3] ?? '');

/** Applies the defects to a 200 body of `route` (a copy: the world is never changed). */
export function misbehave(
  o: MisbehaveOptions,
  route: string,
  path: string,
  body: unknown,
  ledger: MisbehaviourLedger,
): unknown {
  if (!(o.rate > 0)) return body;
  const one = (entity: MisbehavingEntity, r: unknown, key: unknown): unknown => {
    if (r === null || typeof r !== 'object' || typeof key !== 'string') return r;
    const d = defectOf(o, entity, key);
    if (!d) return r;
    const copy = structuredClone(r) as Rec;
    d.apply(copy);
    const byName = (ledger[entity] ??= {});
    byName[d.name] = (byName[d.name] ?? 0) + 1;
    return copy;
  };
  const list = (entity: MisbehavingEntity, keyOf: (r: Rec) => unknown) =>
    Array.isArray(body) ? body.map((r) => one(entity, r, keyOf(r as Rec))) : body;
  switch (route) {
    case '/stats/events':
      return list('events', (r) => r.event_key);
    case '/stats/events/:key':
      return one('events', body, (body as Rec | null)?.event_key);
    case '/stats/visitors':
      return list('visitors', (r) => r.visitor_key);
    case '/stats/visitors/:key':
      return one('visitors', body, (body as Rec | null)?.visitor_key);
    case '/medias':
      return list('medias', (r) => r.hashed_id);
    case '/medias/:id':
      return one('medias', body, (body as Rec | null)?.hashed_id);
    case '/stats/medias/:id/by_date': {
      const media = mediaOf(path);
      return list('media_stats', (r) => `${media}/${String(r.date)}`);
    }
    case '/stats/medias/:id/engagement':
      return one('media_engagement', body, mediaOf(path));
    default:
      return body;
  }
}
