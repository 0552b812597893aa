// The state payloads (functions/shared/pipeline/payloads.ts): every JSONPath of the state machine that reads a
// handler's output names a field of that handler's output schema; a continuation's output is a valid input of
// the next invocation; a bad input fails with InvalidInputError naming the field.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readDefinitionText, type Definition, type State } from '#local/runner/asl.ts';
import {
  CommitInputSchema,
  CommitOutputSchema,
  EngagementPlanSchema,
  EventPagesInputSchema,
  EventPagesOutputSchema,
  invalidInput,
  MediaEngagementInputSchema,
  MediaEngagementOutputSchema,
  PlanEngagementInputSchema,
  PlanInputSchema,
  PlanOutputSchema,
  VisitorLookupInputSchema,
  VisitorLookupOutputSchema,
  VisitorScanInputSchema,
  VisitorScanOutputSchema,
} from '#shared/pipeline/payloads.ts';
import { InvalidInputError } from '#shared/pipeline/input.ts';
import { dailyPlan, runPlaces, startMediaScan } from '#shared/pipeline/planning/plan.ts';
import { addProjectPage, startProjectScan } from '#shared/pipeline/planning/projects.ts';
import { config, lease } from './helpers/planning.ts';
import { InvalidOutputError, wrap } from '#shared/pipeline/lambda.ts';

const OUTPUTS: Record<string, z.ZodType> = {
  PlanFunctionArn: PlanOutputSchema,
  EventPagesFunctionArn: EventPagesOutputSchema,
  PlanEngagementFunctionArn: EngagementPlanSchema,
  MediaEngagementFunctionArn: MediaEngagementOutputSchema,
  VisitorLookupFunctionArn: VisitorLookupOutputSchema,
  VisitorScanFunctionArn: VisitorScanOutputSchema,
  CommitFunctionArn: CommitOutputSchema,
};

/** The schema at `path` (field names) inside `schema`, or undefined when the shape has no such field. */
function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | undefined {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault)
    return schemaAt(schema.unwrap() as z.ZodType, path);
  if (schema instanceof z.ZodPipe) return schemaAt(schema.out as z.ZodType, path);
  if (schema instanceof z.ZodUnion) {
    for (const o of schema.options as z.ZodType[]) {
      const r = schemaAt(o, path);
      if (r) return r;
    }
    return undefined;
  }
  const [head, ...rest] = path;
  if (head === undefined) return schema;
  if (!(schema instanceof z.ZodObject)) return undefined;
  const field = (schema.shape as Record<string, z.ZodType | undefined>)[head];
  return field ? schemaAt(field, rest) : undefined;
}

type Env = ReadonlyMap<string, z.ZodType>; // "$.plan" -> the schema of what is there
interface Read {
  readonly state: string;
  readonly path: string;
  readonly root: string;
  readonly found: boolean;
}

const fields = (p: string) =>
  p
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean);
const under = (p: string, root: string) => root === '$' || p === root || p.startsWith(`${root}.`);

/** The schema a reference reads, when it is rooted at a handler's output in `env`. */
function resolve(env: Env, ref: string): { root: string; schema: z.ZodType | undefined } | undefined {
  if (!ref.startsWith('$') || ref.startsWith('$$')) return undefined;
  const roots = [...env.keys()].filter((r) => under(ref, r)).sort((a, b) => b.length - a.length);
  const root = roots[0];
  if (root === undefined) return undefined;
  const rest = fields(ref).slice(fields(root).length);
  return { root, schema: schemaAt(env.get(root)!, rest) };
}

/** Every JSONPath a state's own fields hold (not its item processor's), with the field that holds it. */
function pathsOf(state: State): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (key === 'ItemProcessor') return;
    if (typeof v === 'string') {
      if (
        (key.endsWith('.$') || key.endsWith('Path') || key === 'Variable') &&
        v.startsWith('$') &&
        !v.startsWith('$$')
      )
        out.push(v);
      return;
    }
    if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(state, '');
  return out;
}

const withoutUnder = (env: Env, root: string) => new Map([...env].filter(([r]) => !under(r, root) && r !== root));
const placeholder = (s: State) => {
  const fn = (s.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName;
  return typeof fn === 'string' ? /^\$\{(\w+)\}$/.exec(fn)?.[1] : undefined;
};

/** The env after a state: where it put a handler's output, and what it dropped. */
function after(name: string, s: State, env: Env): Env {
  const resultPath = typeof s.ResultPath === 'string' ? s.ResultPath : undefined;
  if (s.Type === 'Task' && placeholder(s)) {
    const fn = placeholder(s)!;
    const out = OUTPUTS[fn];
    if (!out) throw new Error(`state "${name}" calls ${fn}, which has no output schema here`);
    const selector = s.ResultSelector as Record<string, unknown> | undefined;
    if (s.OutputPath === '$.Payload') return new Map([['$', out]]);
    if (resultPath && selector) {
      const next = new Map(withoutUnder(env, resultPath));
      for (const [k, v] of Object.entries(selector))
        if (k.endsWith('.$') && v === '$.Payload') next.set(`${resultPath}.${k.slice(0, -2)}`, out);
      return next;
    }
    throw new Error(`state "${name}": a Lambda task whose output this test cannot follow`);
  }
  if (s.Type === 'Pass' && s.Parameters && !resultPath) {
    const next = new Map<string, z.ZodType>();
    for (const [k, v] of Object.entries(s.Parameters as Record<string, unknown>)) {
      const r = k.endsWith('.$') && typeof v === 'string' ? resolve(env, v) : undefined;
      if (r?.schema) next.set(`$.${k.slice(0, -2)}`, r.schema);
    }
    return next;
  }
  if (s.Type === 'Pass' && typeof s.InputPath === 'string' && resultPath) {
    const r = resolve(env, s.InputPath);
    const next = new Map(withoutUnder(env, resultPath));
    if (r?.schema) next.set(resultPath, r.schema);
    return next;
  }
  return resultPath ? withoutUnder(env, resultPath) : env;
}

/** Follows the definition from its start (each state once, with the env of the first path to it). */
function reads(d: Definition, env: Env, out: Read[] = []): Read[] {
  const seen = new Set<string>();
  const visit = (name: string, env: Env) => {
    if (seen.has(name)) return;
    seen.add(name);
    const s = d.States[name];
    if (!s) throw new Error(`no state "${name}"`);
    for (const p of pathsOf(s)) {
      const r = resolve(env, p);
      if (r) out.push({ state: name, path: p, root: r.root, found: r.schema !== undefined });
    }
    const p = s.ItemProcessor as Definition | undefined;
    if (p) reads(p, new Map(), out);
    const next = after(name, s, env);
    const targets = [
      s.Next,
      s.Default,
      ...((s.Choices as { Next?: unknown }[] | undefined) ?? []).map((c) => c.Next),
      ...((s.Catch as { Next?: unknown }[] | undefined) ?? []).map((c) => c.Next),
    ];
    for (const t of targets) if (typeof t === 'string') visit(t, next);
  };
  visit(d.StartAt, env);
  return out;
}

describe("the state machine's reads of handler outputs", () => {
  const def = JSON.parse(readDefinitionText()) as Definition;
  const all = reads(def, new Map());

  it('every one names a field of the output schema of the handler that wrote it', () => {
    expect(all.filter((r) => !r.found)).toEqual([]);
  });

  it('covers the outputs of the plan, the engagement plan, the scan and the map items', () => {
    const paths = new Set(all.map((r) => r.path));
    for (const p of [
      '$.planned.value',
      '$.plan.runId',
      '$.plan.ingestDate',
      '$.plan.windows.count',
      '$.plan.windows.key',
      '$.plan.events.requestsPerMinute',
      '$.plan.events.maxConcurrency',
      '$.plan.medias.changedKey',
      '$.plan.range',
      '$.plan.resultPrefixes.visitors',
      '$.plan.bronzeRuns',
      '$.engagementPlan.engagement.count',
      '$.engagementPlan.visitors.mode',
      '$.engagementPlan.visitors.batchSize',
      '$.engagementPlan.visitors.requestsPerMinute',
      '$.scanned.value',
      '$.visitorScan.done',
      '$.done',
    ])
      expect([p, paths.has(p)]).toEqual([p, true]);
    expect(all.length).toBeGreaterThan(30);
  });

  it('a path the schema does not have is found out', () => {
    expect(schemaAt(PlanOutputSchema, ['events', 'requestsPerMinute'])).toBeDefined();
    expect(schemaAt(PlanOutputSchema, ['events', 'requestPerMinute'])).toBeUndefined();
    expect(schemaAt(EngagementPlanSchema, ['visitors', 'mode'])).toBeDefined();
    expect(schemaAt(PlanOutputSchema, ['replay', 'of'])).toBeDefined(); // through the optional
    expect(schemaAt(PlanOutputSchema, ['accountDaily', 'days'])).toBeDefined(); // issue 17: the plan's account request
    expect(schemaAt(PlanOutputSchema, ['runId', 'length'])).toBeUndefined();
  });
});

describe("the plan's projects listing, carried to the commit", () => {
  const bounds = { since: null, watermark: null };
  const projects = addProjectPage(
    startProjectScan(bounds),
    [{ id: 1, hashedId: 'h1', updated: '2026-11-20T05:00:00+00:00' }],
    bounds,
  );
  const { output } = dailyPlan({
    runId: 'r1',
    startedAt: '2026-11-20T06:00:00Z',
    today: '2026-11-20',
    fullRefresh: false,
    watermarks: { value: undefined, etag: null },
    mode: 'backfill',
    windows: [],
    medias: startMediaScan(bounds),
    projects,
    requests: 2,
    places: runPlaces('r1', 'bucket'),
    lease,
    config,
  });

  it('is part of the plan output the commit reads its watermark from', () => {
    expect(PlanOutputSchema.parse(output).projects).toEqual({
      pages: 1,
      listed: 1,
      changed: 1,
      maxUpdated: '2026-11-20T05:00:00.000Z',
    });
    const { projects: _gone, ...without } = output;
    const r = PlanOutputSchema.safeParse(without);
    expect([r.success, r.error?.issues.map((i) => i.path.join('.'))]).toEqual([false, ['projects']]);
  });
});

describe('a continuation: the output is the next invocation’s input', () => {
  const childExecution = 'arn:aws:states:us-east-1:111111111111:execution:ingest/EventWindows:abc';
  it('event pages', () => {
    const out = EventPagesOutputSchema.parse({
      runId: 'r',
      ingestDate: '2026-11-20',
      window: { start: '2026-11-19', end: '2026-11-19' },
      requestsPerMinute: 60,
      done: false,
      startPage: 4,
      pages: 3,
      events: 300,
      seenKey: 'runs/r/seen/events/window=2026-11-19_2026-11-19.json',
      requests: 3,
    });
    expect(EventPagesInputSchema.parse({ ...out, childExecution })).toEqual({ ...out, childExecution });
  });
  it('the visitor scan', () => {
    const out = VisitorScanOutputSchema.parse({
      runId: 'r',
      ingestDate: '2026-11-20',
      requestsPerMinute: 570,
      done: false,
      startPage: 11,
      pages: 10,
      visitors: 1000,
      estimatedPages: 136,
      requests: 10,
    });
    expect(VisitorScanInputSchema.parse(out)).toEqual(out);
  });
  it("the map items keep the ASL's childExecution (unknown keys pass through) and get their defaults", () => {
    const item = {
      runId: 'r',
      ingestDate: '2026-11-20',
      window: { start: '2026-11-19', end: '2026-11-19' },
      requestsPerMinute: 60,
    };
    expect(EventPagesInputSchema.parse({ ...item, childExecution })).toEqual({
      ...item,
      childExecution,
      startPage: 1,
      pages: 0,
      events: 0,
    });
    const media = {
      runId: 'r',
      ingestDate: '2026-11-20',
      media: { hashed_id: 'abc123' },
      range: { start: '2026-11-01', end: '2026-11-20' },
      requestsPerMinute: 57,
    };
    expect(MediaEngagementInputSchema.parse({ ...media, childExecution })).toEqual({ ...media, childExecution });
    const batch = { BatchInput: { runId: 'r', ingestDate: '2026-11-20', requestsPerMinute: 57 }, Items: ['v1'] };
    expect(VisitorLookupInputSchema.parse({ ...batch, childExecution })).toEqual({ ...batch, childExecution });
  });
});

describe('a bad input fails with InvalidInputError naming the field', () => {
  const arn = 'arn:aws:states:us-east-1:111111111111:execution:ingest:daily-1';
  const plan = { executionName: 'daily-1', executionArn: arn, startedAt: '2026-11-20T06:00:00Z' };
  const window = {
    runId: 'r',
    ingestDate: '2026-11-20',
    window: { start: '2026-11-01', end: '2026-11-19' },
    requestsPerMinute: 60,
  };
  const message = (schema: z.ZodType, input: unknown) => {
    const r = schema.safeParse(input);
    if (r.success) return 'accepted';
    const err = invalidInput(r.error.issues);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.name).toBe('InvalidInputError');
    return err.message;
  };
  it.each<[string, z.ZodType, unknown, string | RegExp]>([
    ['not an object', EventPagesInputSchema, null, 'event: expected an object, got null'],
    ['an array', EventPagesInputSchema, [], 'event: expected an object, got array'],
    [
      'a missing field',
      EventPagesInputSchema,
      { ...window, requestsPerMinute: undefined },
      'requestsPerMinute: required',
    ],
    ['a null field', EventPagesInputSchema, { ...window, requestsPerMinute: null }, 'requestsPerMinute: required'],
    [
      'not an integer',
      EventPagesInputSchema,
      { ...window, requestsPerMinute: 1.5 },
      'requestsPerMinute: expected an integer >= 1, got 1.5',
    ],
    [
      'below the minimum',
      EventPagesInputSchema,
      { ...window, startPage: 0 },
      'startPage: expected an integer >= 1, got 0',
    ],
    [
      'a nested field',
      EventPagesInputSchema,
      { ...window, window: { start: '2026-11-40', end: '2026-11-19' } },
      /^window\.start: "2026-11-40" does not match/,
    ],
    [
      'not a calendar date',
      EventPagesInputSchema,
      { ...window, ingestDate: '2026-02-30' },
      'ingestDate: "2026-02-30" is not a calendar date',
    ],
    [
      'a window backwards',
      EventPagesInputSchema,
      { ...window, window: { start: '2026-11-20', end: '2026-11-19' } },
      'window: start 2026-11-20 is after end 2026-11-19',
    ],
    ['an empty run id', EventPagesInputSchema, { ...window, runId: '' }, 'runId: expected a non-empty string, got ""'],
    ['a run id with a slash', EventPagesInputSchema, { ...window, runId: 'a/b' }, /^runId: "a\/b" does not match/],
    [
      'the ARN of another execution',
      PlanInputSchema,
      { ...plan, executionName: 'daily-2' },
      `executionArn: "${arn}" is not the ARN of execution "daily-2"`,
    ],
    [
      'a malformed scheduled time',
      PlanInputSchema,
      { ...plan, options: { scheduledTime: '20 Nov 2026' } },
      /^options\.scheduledTime: "20 Nov 2026" does not match/,
    ],
    [
      'a replay of no execution',
      PlanInputSchema,
      { ...plan, options: { replay: 7 } },
      'options.replay: expected the name of an execution, got 7',
    ],
    ['null options are none', PlanInputSchema, { ...plan, options: null }, 'accepted'],
    [
      'a map output that is neither',
      PlanEngagementInputSchema,
      { runId: 'r', ingestDate: '2026-11-20', changedKey: 'k', eventsResult: { skipped: false } },
      /^eventsResult: expected a map's/,
    ],
    [
      'an empty batch',
      VisitorLookupInputSchema,
      { BatchInput: { runId: 'r', ingestDate: '2026-11-20', requestsPerMinute: 1 }, Items: [] },
      'Items: expected a non-empty array of visitor keys',
    ],
    [
      'a key that is not one',
      VisitorLookupInputSchema,
      { BatchInput: { runId: 'r', ingestDate: '2026-11-20', requestsPerMinute: 1 }, Items: ['a', 3] },
      'Items[1]: expected a visitor key, got 3',
    ],
    [
      'a nested missing field',
      VisitorLookupInputSchema,
      { BatchInput: { runId: 'r', ingestDate: '2026-11-20' }, Items: ['a'] },
      'BatchInput.requestsPerMinute: required',
    ],
    [
      'a bad media id',
      MediaEngagementInputSchema,
      {
        runId: 'r',
        ingestDate: '2026-11-20',
        media: { hashed_id: 'x-y' },
        range: { start: '2026-11-01', end: '2026-11-20' },
        requestsPerMinute: 1,
      },
      /^media\.hashed_id: "x-y" does not match/,
    ],
    [
      'a commit without its plan',
      CommitInputSchema,
      { runId: 'r', executionArn: arn },
      /^plan: required \(and \d+ more: engagementPlan, engagementResult, visitors\)$/,
    ],
  ])('%s', (_name, schema, input, expected) => {
    const m = message(schema, input);
    if (typeof expected === 'string') expect(m).toBe(expected);
    else expect(m).toMatch(expected);
  });
});

describe("wrap: the handlers' edge", () => {
  const ctx = (sunk: string[][]) => ({
    getRemainingTimeInMillis: () => 900_000,
    metricsSink: (lines: string[]) => void sunk.push(lines),
  });
  const input = {
    runId: 'r',
    ingestDate: '2026-11-20',
    window: { start: '2026-11-19', end: '2026-11-19' },
    requestsPerMinute: 60,
    childExecution: 'arn:aws:states:us-east-1:111111111111:execution:ingest/EventWindows:abc',
  };
  const output = (e: z.output<typeof EventPagesInputSchema>) => ({
    runId: e.runId,
    ingestDate: e.ingestDate,
    window: e.window,
    requestsPerMinute: e.requestsPerMinute,
    done: true,
    startPage: e.startPage,
    pages: e.pages,
    events: e.events,
    seenKey: 'k',
    requests: 0,
  });

  it('hands the handler the parsed input (defaults filled, unknown keys kept) and returns its output', async () => {
    const seen: unknown[] = [];
    const h = wrap({ input: EventPagesInputSchema, output: EventPagesOutputSchema }, async (e) => {
      seen.push(e);
      return output(e);
    });
    const sunk: string[][] = [];
    expect(await h(input, ctx(sunk))).toMatchObject({ startPage: 1, pages: 0, done: true });
    expect(seen).toEqual([{ ...input, startPage: 1, pages: 0, events: 0 }]);
    expect(sunk).toHaveLength(1); // the invocation's metrics
  });

  it('a bad input: InvalidInputError naming the field, the handler never called, the metrics still published', async () => {
    let calls = 0;
    const h = wrap({ input: EventPagesInputSchema, output: EventPagesOutputSchema }, async (e) => {
      calls++;
      return output(e);
    });
    const sunk: string[][] = [];
    const err = await h({ ...input, requestsPerMinute: '60' }, ctx(sunk)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect([(err as Error).name, (err as Error).message]).toEqual([
      'InvalidInputError',
      'requestsPerMinute: expected an integer >= 1, got "60"',
    ]);
    expect([calls, sunk.length]).toEqual([0, 1]);
    // the correlation ids come from the raw input: the window and the map run it served
    expect(sunk[0]?.join('\n')).toContain('window=2026-11-19_2026-11-19');
  });

  it('an output that does not match its schema fails the invocation (not as a bad input)', async () => {
    const h = wrap({ input: EventPagesInputSchema, output: EventPagesOutputSchema }, async (e) => ({
      ...output(e),
      done: JSON.parse('"yes"') as boolean,
    }));
    const err = await h(input, ctx([])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOutputError);
    expect((err as Error).message).toMatch(/^the handler's output does not match its schema: done: /);
  });
});
