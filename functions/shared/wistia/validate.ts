// Runtime validation of Wistia response bodies, written for the documented API and the quirks real bodies
// show (../shared/wistia-api): string browser_version, conversion_type int or string, conversion_data "" or
// {}, timestamps with and without milliseconds or with "+00:00", absent actions / duration / thumbnail,
// project.hashed_id vs hashedId, nullable identity fields.
//
// Two levels. A *fatal* problem is the body's shape: not the array a list endpoint returns, or not the object a
// single-object endpoint returns. The client throws WistiaSchemaError naming the endpoint and the field.
// A problem of one *record* never fails the fetch (issue 12): a record that is not an object or whose identity
// key is missing or mistyped is a *finding* (its index, the field, what was wrong), anything else (a new field,
// a mistyped or null non-key field) is *drift*. The body is kept as it came: bronze stores it raw with the
// findings and the drift, and the transform loads, coerces or quarantines each record (pyspark/…/validate.py).
// Paging goes by a page's length, never by its records' validity.

type Scalar = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'datetime' | 'date' | 'emptyString';
interface ObjectShape {
  readonly fields: Readonly<Record<string, Field>>;
}
interface ArrayShape {
  readonly items: Type;
}
type Type = Scalar | ObjectShape | ArrayShape;
interface Field {
  readonly t: Type | readonly Type[];
  /** Missing or mistyped is fatal (identity keys, measures without which the body is useless). */
  readonly key?: boolean;
}

export interface DriftIssue {
  /** JSON path of the field, with array indices replaced by [] so that issues group by field. */
  readonly field: string;
  readonly kind: 'new-field' | 'type' | 'missing';
  readonly expected?: string;
  readonly got?: string;
  /** How many records showed it in this body. */
  count: number;
}

/** One record the transform will not be able to use as served (it quarantines it, with its own reason). */
export interface RecordFinding {
  /** The record's index in the body (0 for a single-object body). */
  readonly index: number;
  /** JSON path of the field within the record ("" for the record itself). */
  readonly field: string;
  readonly message: string;
}

export interface ValidationResult {
  readonly fatal?: { field: string; message: string };
  readonly drift: DriftIssue[];
  readonly findings: RecordFinding[];
}

/** Findings kept per body: a page of 100 records has at most 100; a huge single body cannot flood bronze. */
const MAX_FINDINGS = 100;

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const obj = (fields: Record<string, Field>): ObjectShape => ({ fields });
const f = (t: Type | readonly Type[], key = false): Field => ({ t, key });
const str = f('string');
const num = f('number');
const int = f('integer');
const bool = f('boolean');
const strOrNull = f(['string', 'null']);

const thumbnail = obj({ url: str, width: int, height: int, fileSize: int, contentType: str, type: str });
const userAgent = obj({ browser: str, browser_version: str, platform: str, mobile: bool });

const media = obj({
  id: f('integer', true),
  hashed_id: f('string', true),
  name: str,
  type: str,
  archived: bool,
  created: f('datetime'),
  updated: f('datetime'),
  duration: num,
  description: str,
  progress: num,
  status: str,
  section: strOrNull,
  thumbnail: f([obj({ url: str, width: int, height: int }), 'null']),
  embedCode: str,
  project: f([obj({ id: int, name: strOrNull, hashed_id: str, hashedId: str }), 'null']),
  // the dated API's `project` (and its snake_case asset keys): api-version.ts
  folder: f([obj({ id: int, name: strOrNull, hashed_id: str, hashedId: str }), 'null']),
  assets: f({
    items: obj({
      url: str,
      width: f(['integer', 'null']),
      height: f(['integer', 'null']),
      fileSize: f(['integer', 'null']),
      contentType: strOrNull,
      file_size: f(['integer', 'null']),
      content_type: strOrNull,
      type: str,
    }),
  }),
  tags: f({ items: obj({ name: str }) }),
  subfolder: f([
    obj({
      hashed_id: str,
      name: strOrNull,
      description: strOrNull,
      position: f(['integer', 'null']),
      created: f(['datetime', 'null']),
      updated: f(['datetime', 'null']),
      cursor: strOrNull,
    }),
    'null',
  ]),
  cursor: strOrNull,
});

// GET /projects (v1: camelCase keys; OAS-V1 `Project`, OLD-DATA "Projects Response"); the dated API's GET /folders
// keys in snake_case (DOC-MIG: "response keys changed from camelCase to snake_case"; api-version.ts). The id is the
// key: a hashed id missing in either spelling is drift, and the transform takes whichever is there.
const project = obj({
  id: f('integer', true),
  hashedId: str,
  hashed_id: str,
  name: str,
  description: strOrNull,
  mediaCount: int,
  media_count: int,
  created: f('datetime'),
  updated: f('datetime'),
  public: bool,
  publicId: strOrNull,
  public_id: strOrNull,
  anonymousCanUpload: bool,
  anonymousCanDownload: bool,
  anonymous_can_upload: bool,
  anonymous_can_download: bool,
});

const event = obj({
  received_at: f('datetime', true),
  event_key: f('string', true),
  visitor_key: str,
  embed_url: strOrNull,
  percent_viewed: num,
  ip: strOrNull,
  org: strOrNull,
  country: strOrNull,
  region: strOrNull,
  city: strOrNull,
  lat: f(['number', 'null']),
  lon: f(['number', 'null']),
  email: strOrNull,
  media_id: str,
  media_name: str,
  media_url: str,
  iframe_heatmap_url: str,
  thumbnail: f([thumbnail, 'null']),
  conversion_type: f(['integer', 'string', 'null']),
  conversion_data: f([obj({ email: str, first_name: str, last_name: str, is_new_lead: bool }), 'emptyString', 'null']),
  user_agent_details: f([userAgent, 'null']),
  attributes: f([obj({}), 'null']),
});

const visitor = obj({
  visitor_key: f('string', true),
  created_at: f('datetime'),
  last_active_at: f(['datetime', 'null']),
  last_event_key: strOrNull,
  load_count: int,
  play_count: int,
  identifying_event_key: strOrNull,
  visitor_identity: f([
    obj({ name: strOrNull, email: strOrNull, org: f([obj({ name: strOrNull, title: strOrNull }), 'null']) }),
    'null',
  ]),
  user_agent_details: f([userAgent, 'null']),
});

const mediaStats = obj({
  load_count: f('integer', true),
  play_count: f('integer', true),
  play_rate: num,
  hours_watched: num,
  engagement: num,
  visitors: int,
  actions: f({
    items: obj({ type: str, action_count: int, impression_count: int, rate: num, text: strOrNull, url: strOrNull }),
  }),
});

const engagement = obj({
  engagement: num,
  engagement_data: f({ items: 'integer' }, true),
  rewatch_data: f({ items: 'integer' }),
});

const byDate = obj({ date: f('date', true), load_count: int, play_count: int, hours_watched: num });
const account = obj({
  load_count: f('integer', true),
  play_count: f('integer', true),
  hours_watched: f('number', true),
});

export type BodyKind =
  | 'medias'
  | 'media'
  | 'mediaStats'
  | 'engagement'
  | 'byDate'
  | 'account'
  | 'visitors'
  | 'visitor'
  | 'events'
  | 'event'
  | 'projects';

const BODIES: Record<BodyKind, { list: boolean; shape: ObjectShape }> = {
  medias: { list: true, shape: media },
  media: { list: false, shape: media },
  mediaStats: { list: false, shape: mediaStats },
  engagement: { list: false, shape: engagement },
  byDate: { list: true, shape: byDate },
  account: { list: false, shape: account },
  visitors: { list: true, shape: visitor },
  visitor: { list: false, shape: visitor },
  events: { list: true, shape: event },
  event: { list: false, shape: event },
  projects: { list: true, shape: project },
};

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string') return v === '' ? 'string ""' : 'string';
  return typeof v;
}

function describe(t: Type): string {
  if (typeof t === 'string') return t === 'emptyString' ? '""' : t;
  return 'items' in t ? 'array' : 'object';
}

function matchesScalar(t: Scalar, v: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'emptyString':
      return v === '';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'datetime':
      return typeof v === 'string' && DATETIME.test(v) && !Number.isNaN(Date.parse(v));
    case 'date':
      return typeof v === 'string' && DATE.test(v);
  }
}

class Collector {
  readonly drift = new Map<string, DriftIssue>();
  add(field: string, kind: DriftIssue['kind'], expected?: string, got?: string) {
    const k = `${kind}:${field}`;
    const d = this.drift.get(k);
    if (d) d.count++;
    else this.drift.set(k, { field, kind, ...(expected ? { expected } : {}), ...(got ? { got } : {}), count: 1 });
  }
}

class Fatal extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function checkValue(
  types: readonly Type[],
  v: unknown,
  path: string,
  group: string,
  out: Collector,
  key: boolean,
): void {
  // A structured type whose container matches is descended into; a scalar must match one alternative.
  for (const t of types) {
    if (typeof t === 'string') {
      if (matchesScalar(t, v)) return;
    } else if ('items' in t) {
      if (Array.isArray(v)) {
        v.forEach((item, i) => checkValue([t.items], item, `${path}[${i}]`, `${group}[]`, out, false));
        return;
      }
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      checkObject(t, v as Record<string, unknown>, path, group, out);
      return;
    }
  }
  const expected = types.map(describe).join(' | ');
  if (key)
    throw new Fatal(
      path,
      `${path}: expected ${expected}, got ${typeName(v)}${typeof v === 'string' ? ` "${v.slice(0, 40)}"` : ''}`,
    );
  out.add(group, 'type', expected, typeName(v));
}

function checkObject(
  shape: ObjectShape,
  o: Record<string, unknown>,
  path: string,
  group: string,
  out: Collector,
): void {
  const known = shape.fields;
  const open = Object.keys(known).length === 0; // e.g. "attributes": free-form
  for (const [name, field] of Object.entries(known)) {
    const types = Array.isArray(field.t) ? (field.t as readonly Type[]) : [field.t as Type];
    const p = path ? `${path}.${name}` : name;
    const g = group ? `${group}.${name}` : name;
    if (!(name in o) || o[name] === undefined) {
      if (field.key) throw new Fatal(p, `${p}: required field is missing`);
      continue; // optional fields may be absent (actions, duration, thumbnail, section, …)
    }
    checkValue(types, o[name], p, g, out, field.key ?? false);
  }
  if (open) return;
  for (const name of Object.keys(o))
    if (!(name in known)) out.add(group ? `${group}.${name}` : name, 'new-field', undefined, typeName(o[name]));
}

/** Validates a parsed body against what `kind` returns. Never throws; a fatal (shape) problem is returned. */
export function validateBody(kind: BodyKind, body: unknown): ValidationResult {
  const spec = BODIES[kind];
  const out = new Collector();
  const findings: RecordFinding[] = [];
  const record = (item: unknown, index: number, path: string, group: string) => {
    try {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        throw new Fatal('', `${path || '(body)'}: expected an object, got ${typeName(item)}`);
      checkObject(spec.shape, item as Record<string, unknown>, path, group, out);
    } catch (e) {
      if (!(e instanceof Fatal)) throw e;
      // the record's path prefix ("[3].") is dropped from the field: findings name the field within the record
      const field = e.field.replace(/^\[\d+\]\.?/, '');
      if (findings.length < MAX_FINDINGS) findings.push({ index, field, message: e.message });
    }
  };
  if (spec.list) {
    if (!Array.isArray(body))
      return {
        fatal: { field: '(body)', message: `(body): expected an array, got ${typeName(body)}` },
        drift: [],
        findings,
      };
    body.forEach((item, i) => record(item, i, `[${i}]`, '[]'));
  } else {
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      return {
        fatal: { field: '(body)', message: `(body): expected an object, got ${typeName(body)}` },
        drift: [],
        findings,
      };
    record(body, 0, '', '');
  }
  return { drift: [...out.drift.values()], findings };
}
