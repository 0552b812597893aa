// The state payloads, defined once: each handler's input (validated at its edge by `wrap`, lambda.ts) and output
// (checked before it goes back to the state machine), as zod schemas; the TypeScript types are inferred from them.
// Inputs are loose objects: the ASL merges a `childExecution` field into a map item's payload, and a
// continuation's input is the previous invocation's output. A field that fails names itself in the
// InvalidInputError's message ("window.start: "2026-11-40" does not match …", "requestsPerMinute: required").
import { z } from 'zod';
import { DATE, InvalidInputError, RUN_ID } from './input.ts';

const got = (v: unknown, n = 60) => JSON.stringify(v)?.slice(0, n);
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const missing = (v: unknown) => v === undefined || v === null;

/** A non-empty string, optionally matching `pattern`. */
export function text(pattern?: RegExp) {
  const s = z
    .string({ error: (i) => (missing(i.input) ? 'required' : `expected a non-empty string, got ${got(i.input)}`) })
    .min(1, { error: () => 'expected a non-empty string, got ""', abort: true });
  return pattern
    ? s.regex(pattern, {
        error: (i) => `"${String(i.input).slice(0, 60)}" does not match ${String(pattern)}`,
        abort: true,
      })
    : s;
}

/** A real calendar date, YYYY-MM-DD (2026-02-30 does not match). */
export const isoDate = () =>
  text(DATE).refine(
    (v) => {
      const t = Date.parse(`${v}T00:00:00Z`);
      return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v;
    },
    { error: (i) => `"${String(i.input)}" is not a calendar date` },
  );

/** An integer of at least `min`. */
export const integer = (min?: number) => {
  const n = z.int({
    error: (i) =>
      missing(i.input)
        ? 'required'
        : `expected an integer${min !== undefined ? ` >= ${min}` : ''}, got ${got(i.input)}`,
  });
  return min === undefined ? n : n.min(min, { error: (i) => `expected an integer >= ${min}, got ${got(i.input)}` });
};

/** An integer of at least `min`, `fallback` when absent (or null). */
export const integerOr = (min: number, fallback: number) =>
  z.preprocess((v) => (missing(v) ? fallback : v), integer(min));

/** An object whose other keys pass through. */
export const record = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.looseObject(shape, {
    error: (i) => (i.input === undefined ? 'required' : `expected an object, got ${kind(i.input)}`),
  });

/** $$.Execution.Id: arn:<partition>:states:<region>:<account>:execution:<state machine>:<name> */
const NAME = RUN_ID.source.replace(/^\^|\$$/g, '');
export const EXECUTION_ARN = new RegExp(`^arn:aws[a-z-]*:states:[a-z0-9-]+:\\d{12}:execution:${NAME}:${NAME}$`);
/**
 * EventBridge Scheduler's <aws.scheduler.scheduled-time>, e.g. 2022-03-22T18:59:43Z
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 */
export const SCHEDULED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export const HASHED_ID = /^[A-Za-z0-9]{1,40}$/;

const runId = () => text(RUN_ID);
const executionArn = () => text(EXECUTION_ARN);

// ---- shared parts ------------------------------------------------------------------------------------------

export const WindowSchema = z.object({ start: isoDate(), end: isoDate() });
/** A window or a range: its start is not after its end. */
const span = () =>
  record({ start: isoDate(), end: isoDate() }).refine((w) => w.start <= w.end, {
    error: (i) => {
      const w = i.input as { start: string; end: string };
      return `start ${w.start} is after end ${w.end}`;
    },
  });

export const LeaseRefSchema = z.object({
  key: z.string(),
  etag: z.string(),
  takenOverFrom: z.object({ executionArn: z.string(), status: z.string(), acquiredAt: z.string() }).optional(),
});

export const ReplayInfoSchema = z.object({
  /** The execution whose failed items this one replays. */
  of: z.string(),
  /**
   * Whether the original committed (it succeeded with failures within tolerance): the replay then only fills in
   * the failed items and takes them off the carry-over. Otherwise the replay finishes the original's day: it
   * reads the original's bronze too, and commits the watermarks the original would have.
   */
  committed: z.boolean(),
});
export type ReplayInfo = z.infer<typeof ReplayInfoSchema>;

/**
 * What the commit does with the watermarks, as the plan decided: `advance` them to this run's (a day's run, or a
 * replay of a run that did not commit: what that run would have written), or, the run `advancedBy` having advanced
 * them already, `carry-over`: only take this run's items off their carry-over and add what failed again.
 */
export const WatermarkPolicySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('advance') }),
  z.object({ mode: z.literal('carry-over'), advancedBy: z.string() }),
]);
export type WatermarkPolicy = z.infer<typeof WatermarkPolicySchema>;

/**
 * What a Distributed Map with a ResultWriter outputs (`{MapRunArn, ResultWriterDetails: {Bucket, Key}}`), or the
 * marker the state machine puts in its place when it skips the map (`{"skipped": true}`).
 */
export const MapOutputSchema = z.union(
  [record({ ResultWriterDetails: record({ Key: text() }) }), record({ skipped: z.literal(true) })],
  {
    error: (i) =>
      i.input === undefined
        ? 'required'
        : `expected a map's {ResultWriterDetails: {Key}} or {skipped: true}, got ${got(i.input)}`,
  },
);
export type MapOutput = z.infer<typeof MapOutputSchema>;

/** A changed media, as the plan lists them (runs/<run>/medias-changed.json). */
export const ChangedMediaSchema = z.object({
  hashed_id: z.string(),
  updated: z.string(),
  created: z.string().nullable(),
});
export type ChangedMedia = z.infer<typeof ChangedMediaSchema>;

// ---- plan --------------------------------------------------------------------------------------------------

export const PlanInputSchema = record({
  executionName: runId(),
  executionArn: executionArn(),
  startedAt: text(),
  options: z.preprocess(
    (v) => (missing(v) ? {} : v),
    record({
      today: isoDate().nullish(),
      scheduledTime: text(SCHEDULED_TIME)
        .refine((v) => !Number.isNaN(Date.parse(v)), { error: (i) => `"${String(i.input)}" is not a time` })
        .nullish(),
      fullRefresh: z.unknown().optional(),
      replay: z
        .string({ error: (i) => `expected the name of an execution, got ${got(i.input, 80)}` })
        .regex(RUN_ID, { error: (i) => `expected the name of an execution, got ${got(i.input, 80)}` })
        .optional(),
    }),
  ),
}).superRefine((e, ctx) => {
  if (e.executionArn.split(':').pop() !== e.executionName)
    ctx.addIssue({
      code: 'custom',
      path: ['executionArn'],
      message: `"${e.executionArn}" is not the ARN of execution "${e.executionName}"`,
    });
});
export type PlanInput = z.infer<typeof PlanInputSchema>;

export const PlanOutputSchema = z.object({
  runId: z.string(),
  today: z.string(),
  ingestDate: z.string(),
  mode: z.enum(['backfill', 'incremental', 'replay']),
  watermarksEtag: z.string().nullable(),
  windows: z.object({ bucket: z.string(), key: z.string(), count: z.number() }),
  /** The days this run covers (first window's start to today): the range of the stats by date. */
  range: z.object({ start: z.string(), end: z.string() }),
  events: z.object({
    maxConcurrency: z.number(),
    requestsPerMinute: z.number(),
    toleratedFailurePercentage: z.number(),
  }),
  medias: z.object({
    pages: z.number(),
    listed: z.number(),
    changed: z.number(),
    changedKey: z.string(),
    maxUpdated: z.string().nullable(),
  }),
  /** The projects (folders) listing the plan made beside the medias' (planning/projects.ts). */
  projects: z.object({
    pages: z.number(),
    listed: z.number(),
    changed: z.number(),
    maxUpdated: z.string().nullable(),
  }),
  /** Where each Distributed Map's ResultWriter puts its manifests. */
  resultPrefixes: z.object({ events: z.string(), engagement: z.string(), visitors: z.string() }),
  requests: z.number(),
  /** The runs whose bronze the transform reads (comma-separated): this one, and a replayed one's. */
  bronzeRuns: z.string(),
  /** Set when this execution replays another one's failed items (what it is; the plan's other fields say what it does). */
  replay: ReplayInfoSchema.optional(),
  watermarkPolicy: WatermarkPolicySchema,
  /** The run lease this execution holds (the commit releases it). */
  lease: LeaseRefSchema,
  /** The account's stats by date the plan fetched (issue 17): its range and the days served; absent on a replay. */
  accountDaily: z.object({ start: isoDate(), end: isoDate(), days: z.number() }).optional(),
});
export type PlanOutput = z.infer<typeof PlanOutputSchema>;

// ---- events ------------------------------------------------------------------------------------------------

export const EventPagesInputSchema = record({
  runId: runId(),
  ingestDate: isoDate(),
  window: span(),
  requestsPerMinute: integer(1),
  startPage: integerOr(1, 1),
  pages: integerOr(0, 0),
  events: integerOr(0, 0),
});
export type EventPagesInput = z.infer<typeof EventPagesInputSchema>;

export const EventPagesOutputSchema = z.object({
  runId: z.string(),
  ingestDate: z.string(),
  window: WindowSchema,
  requestsPerMinute: z.number(),
  done: z.boolean(),
  startPage: z.number(),
  pages: z.number(),
  events: z.number(),
  seenKey: z.string(),
  requests: z.number(),
});
export type EventPagesOutput = z.infer<typeof EventPagesOutputSchema>;

// ---- engagement and visitors plan ---------------------------------------------------------------------------

export const PlanEngagementInputSchema = record({
  runId: runId(),
  ingestDate: isoDate(),
  changedKey: text(),
  eventsResult: MapOutputSchema,
});
export type PlanEngagementInput = z.infer<typeof PlanEngagementInputSchema>;

export const VisitorModeSchema = z.enum(['lookup', 'scan', 'none']);
export type VisitorMode = z.infer<typeof VisitorModeSchema>;

export const EngagementPlanSchema = z.object({
  engagement: z.object({
    bucket: z.string(),
    key: z.string(),
    count: z.number(),
    maxConcurrency: z.number(),
    requestsPerMinute: z.number(),
    toleratedFailurePercentage: z.number(),
  }),
  visitors: z.object({
    mode: VisitorModeSchema,
    bucket: z.string(),
    key: z.string(),
    count: z.number(),
    batchSize: z.number(),
    maxConcurrency: z.number(),
    requestsPerMinute: z.number(),
    toleratedFailurePercentage: z.number(),
    /** Requests each option would cost. */
    lookupRequests: z.number(),
    scanRequests: z.number(),
    estimatedTotal: z.number(),
  }),
  events: z.object({
    windows: z.number(),
    pages: z.number(),
    records: z.number(),
    maxReceivedAt: z.string().nullable(),
  }),
});
export type EngagementPlan = z.infer<typeof EngagementPlanSchema>;

// ---- media engagement --------------------------------------------------------------------------------------

export const MediaEngagementInputSchema = record({
  runId: runId(),
  ingestDate: isoDate(),
  media: record({ hashed_id: text(HASHED_ID) }),
  range: span(),
  requestsPerMinute: integer(1),
});
export type MediaEngagementInput = z.infer<typeof MediaEngagementInputSchema>;

export const MediaEngagementOutputSchema = z.object({
  hashed_id: z.string(),
  status: z.enum(['fetched', 'not_found']),
  requests: z.number(),
});
export type MediaEngagementOutput = z.infer<typeof MediaEngagementOutputSchema>;

// ---- visitors ----------------------------------------------------------------------------------------------

export const VisitorLookupInputSchema = record({
  BatchInput: record({ runId: runId(), ingestDate: isoDate(), requestsPerMinute: integer(1) }),
  Items: z
    .array(
      z.string({ error: (i) => `expected a visitor key, got ${got(i.input)}` }).min(1, {
        error: () => 'expected a visitor key, got ""',
      }),
      { error: () => 'expected a non-empty array of visitor keys' },
    )
    .min(1, { error: () => 'expected a non-empty array of visitor keys' }),
});
export type VisitorLookupInput = z.infer<typeof VisitorLookupInputSchema>;

export const VisitorLookupOutputSchema = z.object({
  batch: z.string(),
  requested: z.number(),
  fetched: z.number(),
  notFound: z.array(z.string()),
  requests: z.number(),
});
export type VisitorLookupOutput = z.infer<typeof VisitorLookupOutputSchema>;

export const VisitorScanInputSchema = record({
  runId: runId(),
  ingestDate: isoDate(),
  requestsPerMinute: integer(1),
  startPage: integerOr(1, 1),
  pages: integerOr(0, 0),
  visitors: integerOr(0, 0),
  /** The plan's estimate of the scan's pages (its scanRequests): pages up to it are asked a few at a time. */
  estimatedPages: integerOr(0, 0),
});
export type VisitorScanInput = z.infer<typeof VisitorScanInputSchema>;

export const VisitorScanOutputSchema = z.object({
  runId: z.string(),
  ingestDate: z.string(),
  requestsPerMinute: z.number(),
  done: z.boolean(),
  startPage: z.number(),
  pages: z.number(),
  visitors: z.number(),
  estimatedPages: z.number(),
  requests: z.number(),
});
export type VisitorScanOutput = z.infer<typeof VisitorScanOutputSchema>;

// ---- commit ------------------------------------------------------------------------------------------------

/** What the visitor branch left in `$.visitors`: a lookup map's output, a finished scan, or nothing to fetch. */
export const VisitorsResultSchema = z.discriminatedUnion(
  'mode',
  [
    record({ mode: z.literal('lookup'), ResultWriterDetails: record({ Key: text() }) }),
    record({ mode: z.literal('scan'), scan: record({ visitors: z.number().optional() }) }),
    record({ mode: z.literal('none') }),
  ],
  {
    error: (i) =>
      i.input === undefined ? 'required' : `expected a visitor mode (lookup, scan, none), got ${got(i.input)}`,
  },
);
export type VisitorsResult = z.infer<typeof VisitorsResultSchema>;

export const CommitInputSchema = record({
  runId: runId(),
  executionArn: executionArn(),
  plan: PlanOutputSchema,
  engagementPlan: EngagementPlanSchema,
  engagementResult: MapOutputSchema,
  visitors: VisitorsResultSchema,
  transform: z.unknown().optional(),
});
export type CommitInput = z.infer<typeof CommitInputSchema>;

/** What the commit hands back to the state: counts and references, never the watermarks themselves. */
export const CommitOutputSchema = z.object({
  runId: z.string(),
  /** The day the events watermark now stands at. */
  throughDay: z.string().nullable(),
  /** Items the next run fetches again (the lengths of the watermarks' carry-over lists). */
  carriedOver: z.object({ medias: z.number(), visitors: z.number() }),
  watermarks: z.object({ key: z.string(), etag: z.string() }),
  lease: z.enum(['released', 'absent', 'held by another execution']),
});
export type CommitOutput = z.infer<typeof CommitOutputSchema>;

// ---- errors ------------------------------------------------------------------------------------------------

/** "window.start", "Items[3]", "event" for the whole input. */
export function issuePath(path: readonly (PropertyKey | { readonly key: PropertyKey })[]): string {
  let out = '';
  for (const s of path) {
    const p = typeof s === 'object' ? s.key : s;
    out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  }
  return out || 'event';
}

/** The InvalidInputError for a rejected input: its first issue, with the field it names. */
type Issue = {
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[];
  readonly message: string;
  readonly code?: string;
};
/** zod's own message, in the form of ours ("required" for a missing field, without "Invalid input: "). */
const say = (i: Issue) =>
  i.code === 'invalid_type' && /received undefined$/.test(i.message)
    ? 'required'
    : i.message.replace(/^Invalid input: /, '');
export function invalidInput(issues: readonly Issue[]): InvalidInputError {
  const [first, ...rest] = issues;
  const at = (i: Issue) => issuePath(i.path ?? []);
  const more = rest.length ? ` (and ${rest.length} more: ${rest.slice(0, 5).map(at).join(', ')})` : '';
  return new InvalidInputError(first ? `${at(first)}: ${say(first)}${more}` : 'event: invalid');
}
