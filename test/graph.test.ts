// The execution graph: every state of the definition drawn with its outcome, duration and retries, map items
// with the failed ones listed; checked against real local executions (simulator over HTTP, the real runner).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT } from '#local/cli/main.ts';
import {
  analyseExecution,
  describeRule,
  localDefinition,
  renderExecutionGraph,
  renderGraphHtml,
} from '#local/ops/graph.ts';
import { readExecution, UnknownExecutionError, type ExecutionHistory } from '#local/ops/status.ts';
import { gatherAwsStatus, renderAwsExecutionGraph, type Sfn } from '#local/ops/sfn.ts';
import type { Definition, State } from '#local/runner/asl.ts';
import type { ExecutionRecord } from '#local/runner/run.ts';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { run, tempDir } from './helpers/pipeline.ts';
import { seededCopy, type Seeded } from './helpers/seeded.ts';
import { sim as startSim, TOKEN } from './helpers/sim.ts';
import { cli } from './helpers/cli.ts';

const def = localDefinition();

/** Every state of the definition: [parent map or null, name], ItemProcessor states included. */
function allStates(d: Definition, parent: string | null = null): [string | null, string][] {
  return Object.entries(d.States).flatMap(([name, s]: [string, State]) => {
    const proc = s.ItemProcessor as unknown as Definition | undefined;
    return [[parent, name] as [string | null, string], ...(proc ? allStates(proc, name) : [])];
  });
}

const unescape = (s: string) =>
  s
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

interface Node {
  name: string;
  parent: string | null;
  outcome: string;
  retries: number;
  x: number;
  y: number;
  w: number;
  h: number;
  text: string;
  attrs: string;
}

/** The state nodes the page draws (from its SVG). */
function nodes(html: string): Node[] {
  const out: Node[] = [];
  const re =
    /<g (class="state [^"]*"[^>]*?) transform="translate\(([-\d.]+),([-\d.]+)\)"><title>([\s\S]*?)<\/title><rect width="([\d.]+)" height="([\d.]+)"/g;
  for (const m of html.matchAll(re)) {
    const attrs = m[1] as string;
    const attr = (k: string) => new RegExp(`data-${k}="([^"]*)"`).exec(attrs)?.[1];
    out.push({
      name: unescape(attr('state') ?? ''),
      parent: attr('parent') === undefined ? null : unescape(attr('parent') as string),
      outcome: attr('outcome') ?? '',
      retries: Number(attr('retries')),
      x: Number(m[2]),
      y: Number(m[3]),
      w: Number(m[5]),
      h: Number(m[6]),
      text: unescape(m[4] as string),
      attrs,
    });
  }
  return out;
}

const find = (ns: Node[], name: string, parent: string | null = null) => {
  const n = ns.find((x) => x.name === name && x.parent === parent);
  if (!n) throw new Error(`no node "${name}" (in ${parent ?? 'top level'})`);
  return n;
};

/** Outcome of each top-level state from the raw history, by its own reading: entered and exited = succeeded. */
function outcomesFromHistory(h: ExecutionHistory): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of h.events) {
    if (!e.state || e.child) continue;
    if (e.type === 'StateEntered') out.set(e.state, 'entered');
    if (e.type === 'StateExited' && out.get(e.state) === 'entered') out.set(e.state, 'succeeded');
    if (e.type === 'StateCaught') out.set(e.state, 'caught-pending-exit');
    if (e.type === 'StateExited' && out.get(e.state) === 'caught-pending-exit') out.set(e.state, 'caught');
    if (e.type === 'StateFailed' && out.get(e.state) === 'entered') out.set(e.state, 'failed-or-retried');
    if (e.type === 'StateRetried') out.set(e.state, 'entered');
  }
  for (const [k, v] of out) if (v === 'failed-or-retried' || v === 'entered') out.set(k, 'failed');
  return out;
}

describe('a successful execution of the seeded account', () => {
  let seeded: Seeded;
  let html: string;
  let history: ExecutionHistory;

  beforeAll(async () => {
    seeded = await seededCopy('wp-graph-');
    const first = seeded.days[0]?.execution as string;
    html = await renderExecutionGraph({ dataDir: seeded.dataDir, execution: first });
    history = (await readExecution(seeded.dataDir, first)).history;
  }, 900_000);
  afterAll(() => rmSync(seeded.dataDir, { recursive: true, force: true }));

  it('draws every state of the definition, map sub-states included, each once with its outcome', () => {
    const drawn = nodes(html);
    expect(drawn.map((n) => [n.parent, n.name]).sort()).toEqual(allStates(def).sort());
    const truth = outcomesFromHistory(history);
    for (const n of drawn.filter((x) => x.parent === null))
      expect([n.name, n.outcome]).toEqual([n.name, truth.get(n.name) ?? 'not-entered']);
    // the run went one way through the visitors choice: the other branches are drawn as not entered
    const branches = ['Look up visitors by key', 'Start the visitor scan', 'No visitors to fetch'];
    expect(branches.filter((b) => find(drawn, b).outcome === 'succeeded')).toHaveLength(1);
    expect(find(drawn, 'Run succeeded').outcome).toBe('succeeded');
    for (const f of ['Ingestion failed', 'Transform and load failed', "Could not read the map's items"])
      expect(find(drawn, f).outcome).toBe('not-entered');
    // the states of the event windows' item processor ran in items that succeeded
    for (const s of Object.keys(
      (def.States['Fetch event pages by window']?.ItemProcessor as unknown as Definition).States,
    ))
      expect(find(drawn, s, 'Fetch event pages by window').outcome).toBe('succeeded');
  });

  it("shows each state's duration as its history times it, and the map's items as its result files count them", () => {
    const view = analyseExecution(def, history);
    const entered = history.events.find((e) => e.type === 'StateEntered' && e.state === 'Plan the run');
    const exited = history.events.find((e) => e.type === 'StateExited' && e.state === 'Plan the run');
    const plan = view.states.find((s) => s.name === 'Plan the run');
    expect(plan?.durationMs).toBe(Date.parse(String(exited?.timestamp)) - Date.parse(String(entered?.timestamp)));
    // the map runs' SUCCEEDED result files, read on their own
    const runs = join(seeded.dataDir, 'store', 'runs', history.execution.name, 'map-results');
    for (const [dir, state] of [
      ['events', 'Fetch event pages by window'],
      ['engagement', 'Fetch engagement per media'],
    ] as const) {
      const [run] = readdirSync(join(runs, dir));
      const ok = JSON.parse(readFileSync(join(runs, dir, String(run), 'SUCCEEDED_0.json'), 'utf8')) as unknown[];
      expect(ok.length).toBeGreaterThan(0);
      const n = find(nodes(html), state);
      expect([n.attrs.match(/data-succeeded="(\d+)"/)?.[1], n.attrs.match(/data-failed="(\d+)"/)?.[1]]).toEqual([
        String(ok.length),
        '0',
      ]);
      expect(n.text).toContain(`retries 0`);
    }
  });

  it('is one self-contained page: no script, no stylesheet or image from elsewhere, no token', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(\s*['"]?(https?:)?\/\//i);
    expect([...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0])).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).not.toContain(TOKEN);
    expect(html).toContain(`<h1>Execution <code>${history.execution.name}</code>`);
  });

  it('lays the states out without overlapping, inside the drawing', () => {
    const top = nodes(html).filter((n) => n.parent === null);
    const [, w, h] = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(html) ?? [];
    for (const a of top) {
      expect(a.x).toBeGreaterThanOrEqual(0);
      expect(a.y).toBeGreaterThanOrEqual(0);
      expect(a.x + a.w).toBeLessThanOrEqual(Number(w));
      expect(a.y + a.h).toBeLessThanOrEqual(Number(h));
      for (const b of top) {
        if (a === b) continue;
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        expect(apart, `${a.name} overlaps ${b.name}`).toBe(true);
      }
    }
    // a Map's states are drawn inside its box (their coordinates are the Map's), below its own text, apart
    const all = nodes(html);
    for (const map of top.filter((n) => all.some((c) => c.parent === n.name))) {
      const inside = all.filter((c) => c.parent === map.name);
      for (const c of inside) {
        expect(c.x, `${c.name} in ${map.name}`).toBeGreaterThanOrEqual(0);
        expect(c.y, `${c.name} in ${map.name}`).toBeGreaterThanOrEqual(40);
        expect(c.x + c.w, `${c.name} in ${map.name}`).toBeLessThanOrEqual(map.w);
        expect(c.y + c.h, `${c.name} in ${map.name}`).toBeLessThanOrEqual(map.h);
        for (const d of inside)
          if (d !== c) expect(c.y + c.h <= d.y || d.y + d.h <= c.y || c.x + c.w <= d.x || d.x + d.w <= c.x).toBe(true);
      }
    }
    // each Next leads down the page, except the loops back (a Choice's rule to an earlier state)
    for (const [name, s] of Object.entries(def.States))
      if (typeof s.Next === 'string')
        expect(find(top, s.Next).y, `${name} → ${s.Next}`).toBeGreaterThan(find(top, name).y);
  });

  it('graph CLI: writes <data dir>/graphs/<execution>.html for "latest" and prints its path', async () => {
    const { out, err, code } = await cli(['graph', 'latest', '--data-dir', seeded.dataDir]);
    const latest = seeded.days[seeded.days.length - 1]?.execution as string;
    const file = join(seeded.dataDir, 'graphs', `${latest}.html`);
    expect([code, out, err]).toEqual([EXIT.ok, `${file}\n`, '']);
    const page = readFileSync(file, 'utf8');
    expect(page).toContain(`<code>${latest}</code>`);
    expect(
      nodes(page)
        .map((n) => n.name)
        .sort(),
    ).toEqual(
      allStates(def)
        .map(([, n]) => n)
        .sort(),
    );
  });

  it('graph CLI: an unknown execution exits 2 naming it, the data dir and the latest executions', async () => {
    const { out, err, code } = await cli(['graph', 'daily-1999-01-01-nope', '--data-dir', seeded.dataDir]);
    expect(code).toBe(EXIT.usage);
    expect(out).toBe('');
    expect(err).toContain(`no execution "daily-1999-01-01-nope" in ${join(seeded.dataDir, 'store', 'runs')}`);
    for (const d of seeded.days) expect(err).toContain(d.execution);
    await expect(renderExecutionGraph({ dataDir: seeded.dataDir, execution: '../../etc' })).rejects.toThrow(
      UnknownExecutionError,
    );
  });
});

describe('executions that failed, retried or caught errors', () => {
  let sim: WistiaSimulator;
  const dirs: string[] = [];
  beforeAll(async () => {
    sim = await startSim({ medias: 30, historyDays: 60 });
  });
  afterAll(async () => {
    await sim.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const freshRun = async (extra: Parameters<typeof run>[2] = {}) => {
    const dir = tempDir('wp-graph-run-');
    dirs.push(dir);
    const record = await run(sim, dir, extra);
    return { dir, record, html: await renderExecutionGraph({ dataDir: dir, execution: record.name }) };
  };

  it('a media that always fails: its item is listed failed (input, error, cause) and its state shows the retries', async () => {
    const victim = sim.world.visibleMedias()[3]?.hashedId as string;
    sim.configure({ failMedias: { [victim]: 500 } });
    let r: { dir: string; record: ExecutionRecord; html: string };
    try {
      r = await freshRun({ clientOptions: { backoffBaseMs: 2, backoffMaxMs: 5, maxAttempts: 1 } });
    } finally {
      sim.configure({ failMedias: {} });
    }
    expect(r.record.status).toBe('SUCCEEDED'); // within the map's tolerance
    const drawn = nodes(r.html);
    const map = find(drawn, 'Fetch engagement per media');
    expect(map.outcome).toBe('succeeded');
    expect(map.attrs).toContain(`data-items="30" data-succeeded="29" data-failed="1" data-pending="0"`);
    const item = find(drawn, 'Fetch stats and engagement of a media', 'Fetch engagement per media');
    const retry = (def.States['Fetch engagement per media']?.ItemProcessor as unknown as Definition).States[
      'Fetch stats and engagement of a media'
    ]?.Retry as { ErrorEquals: string[]; MaxAttempts: number }[];
    const expectedRetries = retry.find((x) => x.ErrorEquals.includes('WistiaTransientError'))?.MaxAttempts;
    expect([item.outcome, item.retries]).toEqual(['failed', expectedRetries]);
    expect(item.text).toContain('WistiaTransientError');
    // the failed item, as the map's FAILED result file has it
    const failedFile = join(
      r.dir,
      'store',
      String(r.record.mapRuns.find((m) => m.label === 'MediaEngagement')?.resultWriterDetails?.Key).replace(
        'manifest.json',
        'FAILED_0.json',
      ),
    );
    const failed = JSON.parse(readFileSync(failedFile, 'utf8')) as { Name: string; Input: string; Error: string }[];
    expect(failed.map((f) => (JSON.parse(f.Input) as { media: { hashed_id: string } }).media.hashed_id)).toEqual([
      victim,
    ]);
    const row = new RegExp(`<tr data-item="${failed[0]?.Name}">([\\s\\S]*?)</tr>`).exec(r.html)?.[1] ?? '';
    expect(row).toContain('Fetch stats and engagement of a media');
    expect(row).toContain(`<td>${failed[0]?.Error}</td>`);
    expect(row).toContain('server error 500');
    expect(unescape(row)).toContain(`"hashed_id": "${victim}"`);
    expect(r.html).not.toContain(TOKEN);
  });

  it('a load that keeps failing: retried, caught, the Fail state failed, the commit not entered', async () => {
    const r = await freshRun({
      glue: async () => {
        throw Object.assign(new Error('warehouse unreachable'), { name: 'Glue.InternalServiceException' });
      },
    });
    expect([r.record.status, r.record.error]).toEqual(['FAILED', 'Glue.InternalServiceException']);
    const drawn = nodes(r.html);
    const glueRetry = (def.States['Transform and load the warehouse']?.Retry as { MaxAttempts: number }[])[0];
    const load = find(drawn, 'Transform and load the warehouse');
    expect([load.outcome, load.retries]).toEqual(['caught', glueRetry?.MaxAttempts]);
    expect(load.text).toContain('Glue.InternalServiceException');
    expect(find(drawn, 'Transform and load failed').outcome).toBe('failed');
    for (const s of ['Commit watermarks', 'Run succeeded', 'Ingestion failed'])
      expect(find(drawn, s).outcome).toBe('not-entered');
    expect(find(drawn, 'Plan the run').outcome).toBe('succeeded');
    // the header tells the execution's status, error and cause; the taken catch edge is marked
    expect(r.html).toContain('<span class="badge FAILED">FAILED</span>');
    expect(r.html).toContain('<dt>error</dt><dd><b>Glue.InternalServiceException</b></dd>');
    expect(r.html).toContain('warehouse unreachable');
    expect(r.html).toMatch(
      /<path class="edge catch taken"[^>]*data-from="Transform and load the warehouse" data-to="Transform and load failed"/,
    );
  });

  it('a map past its tolerance: the map is caught, its items failed / aborted / pending as the run left them', async () => {
    const fail = Object.fromEntries(
      sim.world
        .visibleMedias()
        .slice(0, 10)
        .map((m) => [m.hashedId, 500]),
    );
    sim.configure({ failMedias: fail });
    let r: { dir: string; record: ExecutionRecord; html: string };
    try {
      r = await freshRun({ clientOptions: { backoffBaseMs: 2, backoffMaxMs: 5, maxAttempts: 1 } });
    } finally {
      sim.configure({ failMedias: {} });
    }
    expect([r.record.status, r.record.error]).toEqual(['FAILED', 'States.ExceedToleratedFailureThreshold']);
    const m = r.record.mapRuns.find((x) => x.label === 'MediaEngagement');
    const drawn = nodes(r.html);
    const map = find(drawn, 'Fetch engagement per media');
    expect(map.outcome).toBe('caught');
    expect(map.attrs).toContain(
      `data-items="${m?.items}" data-succeeded="${m?.counts.succeeded}" data-failed="${m?.counts.failed}" data-pending="${m?.counts.pending}"`,
    );
    expect(find(drawn, 'Ingestion failed').outcome).toBe('failed');
    expect(find(drawn, 'Look up visitors or scan them all?').outcome).toBe('not-entered');
    const listed = [...r.html.matchAll(/<tr data-item="([^"]+)">/g)].map((x) => x[1]);
    const own = m?.failedItems.filter((f) => f.error !== 'States.Aborted').map((f) => f.name);
    expect(listed.sort()).toEqual([...(own ?? [])].sort());
    expect(own?.length).toBe(m?.counts.failed);
    expect(r.html).toContain(`${m?.counts.aborted} item(s) aborted when the map run stopped`);
  });
});

describe('the drawing from a definition and a history (pure)', () => {
  it('reads Choice rules as conditions', () => {
    expect(describeRule({ Variable: '$.done', BooleanEquals: false, Next: 'x' })).toBe('$.done == false');
    expect(describeRule({ Variable: '$.mode', StringEquals: 'scan', Next: 'x' })).toBe('$.mode == "scan"');
    expect(
      describeRule({
        And: [{ Variable: '$.n', NumericGreaterThanEquals: 3 }, { Not: { Variable: '$.x', IsPresent: true } }],
        Next: 'x',
      }),
    ).toBe('($.n >= 3) and (not (present $.x))');
  });

  it('marks a state still running in an execution that runs, and escapes what it shows', async () => {
    const d: Definition = {
      StartAt: 'A <first>',
      States: { 'A <first>': { Type: 'Pass', Next: 'B' }, B: { Type: 'Task', Resource: 'arn:x', End: true } },
    };
    const t0 = Date.now() - 5000;
    const h: ExecutionHistory = {
      execution: { name: 'exec-1', status: 'RUNNING', startDate: new Date(t0).toISOString() },
      events: [
        { timestamp: new Date(t0).toISOString(), type: 'StateEntered', state: 'A <first>' },
        { timestamp: new Date(t0 + 1000).toISOString(), type: 'StateExited', state: 'A <first>' },
        { timestamp: new Date(t0 + 1000).toISOString(), type: 'StateEntered', state: 'B' },
        { timestamp: new Date(t0 + 2000).toISOString(), type: 'StateFailed', state: 'B', error: 'Boom', cause: 'x' },
        { timestamp: new Date(t0 + 2100).toISOString(), type: 'StateRetried', state: 'B', attempt: 1 },
      ],
      mapRuns: [],
    };
    const v = analyseExecution(d, h);
    expect(v.states.map((s) => [s.name, s.outcome, s.retries, s.durationMs === null])).toEqual([
      ['A <first>', 'succeeded', 0, false],
      ['B', 'running', 1, false],
    ]);
    expect(v.states[0]?.durationMs).toBe(1000);
    expect(v.states[1]?.durationMs).toBeGreaterThanOrEqual(4000);
    const page = await renderGraphHtml(d, h);
    expect(page).toContain('data-state="A &lt;first&gt;" data-outcome="succeeded"');
    expect(page).toContain('data-state="B" data-outcome="running" data-retries="1"');
    expect(page).not.toContain('<first>');
  });
});

// --- the CLI, through main(), capturing what it prints
afterEach(() => vi.restoreAllMocks());
describe('graph CLI usage', () => {
  it('--help prints the usage and exits 0; no execution, or two, exits 2', async () => {
    const help = await cli(['graph', '--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.out).toContain('Usage: wistia-pipeline graph <execution | latest> [--data-dir DIR] [--out FILE.html]');
    const none = await cli(['graph']);
    expect([none.code, none.err]).toEqual([EXIT.usage, expect.stringContaining('name the execution to draw')]);
    const two = await cli(['graph', 'a', 'b']);
    expect([two.code, two.err]).toEqual([EXIT.usage, expect.stringContaining('one execution at a time')]);
  });

  it('an empty data dir has no latest execution: exit 2 saying so', async () => {
    const dir = tempDir('wp-graph-empty-');
    try {
      const r = await cli(['graph', 'latest', '--data-dir', dir]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.err).toContain(`no executions in ${join(dir, 'store', 'runs')}`);
      expect(existsSync(join(dir, 'graphs'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('in AWS: the same graph and status from Step Functions (a stand-in SFN client: AWS is the one thing mocked)', () => {
  const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:wistia-ingest';
  const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:wistia-ingest:daily-2026-11-20';
  const RUN1 = 'arn:aws:states:eu-west-1:123456789012:mapRun:wistia-ingest/EventWindows:1111';
  const RUN2 = 'arn:aws:states:eu-west-1:123456789012:mapRun:wistia-ingest/MediaEngagement:2222';
  const child = (n: number) => `arn:aws:states:eu-west-1:123456789012:execution:wistia-ingest/MediaEngagement:c${n}`;
  const definitionText = JSON.stringify(def);
  let t = Date.parse('2026-11-20T06:00:00Z');
  const ev = (type: string, extra: Record<string, unknown> = {}) => ({
    timestamp: new Date((t += 1000)),
    type,
    ...extra,
  });
  const enter = (kind: string, name: string) => ev(`${kind}StateEntered`, { stateEnteredEventDetails: { name } });
  const exit = (kind: string, name: string) => ev(`${kind}StateExited`, { stateExitedEventDetails: { name } });
  const history = [
    ev('ExecutionStarted'),
    enter('Pass', 'Wrap the execution input'),
    exit('Pass', 'Wrap the execution input'),
    enter('Task', 'Plan the run'),
    ev('TaskScheduled'),
    ev('TaskStarted'),
    ev('TaskFailed', { taskFailedEventDetails: { error: 'WistiaTransientError', cause: '{"errorMessage":"503"}' } }),
    ev('TaskScheduled'),
    ev('TaskStarted'),
    ev('TaskSucceeded'),
    exit('Task', 'Plan the run'),
    enter('Pass', 'Keep the plan'),
    exit('Pass', 'Keep the plan'),
    enter('Map', 'Fetch event pages by window'),
    ev('MapStateStarted'),
    ev('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn: RUN1 } }),
    ev('MapRunSucceeded'),
    ev('MapStateSucceeded'),
    exit('Map', 'Fetch event pages by window'),
    enter('Task', 'Plan engagement and visitors'),
    ev('TaskScheduled'),
    ev('TaskSucceeded'),
    exit('Task', 'Plan engagement and visitors'),
    enter('Pass', 'Keep the engagement plan'),
    exit('Pass', 'Keep the engagement plan'),
    enter('Map', 'Fetch engagement per media'),
    ev('MapStateStarted'),
    ev('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn: RUN2 } }),
    ev('MapRunFailed', { mapRunFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold' } }),
    ev('MapStateFailed', {
      mapStateFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold', cause: 'too many' },
    }),
    enter('Fail', 'Ingestion failed'),
    ev('ExecutionFailed', {
      executionFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold', cause: 'too many' },
    }),
  ];
  const calls: string[] = [];
  const sfn = {
    async send(c: { constructor: { name: string }; input: Record<string, unknown> }) {
      const i = c.input;
      calls.push(c.constructor.name);
      switch (c.constructor.name) {
        case 'DescribeExecutionCommand':
          if (i.executionArn === EXEC)
            return {
              name: 'daily-2026-11-20',
              status: 'FAILED',
              startDate: new Date('2026-11-20T06:00:00Z'),
              stopDate: new Date(t),
              error: 'States.ExceedToleratedFailureThreshold',
              cause: 'too many',
            };
          if (String(i.executionArn).startsWith(child(0).slice(0, -2))) {
            const n = String(i.executionArn).slice(-1);
            return {
              input: JSON.stringify({ media: { hashed_id: `media${n}` } }),
              error: 'WistiaTransientError',
              cause: `{"errorType":"WistiaTransientError","errorMessage":"500 for media${n}"}`,
            };
          }
          throw Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' });
        case 'DescribeStateMachineForExecutionCommand':
          return { definition: definitionText };
        case 'GetExecutionHistoryCommand':
          return i.nextToken ? { events: history.slice(10) } : { events: history.slice(0, 10), nextToken: 'p2' };
        case 'DescribeMapRunCommand':
          return i.mapRunArn === RUN1
            ? { status: 'SUCCEEDED', maxConcurrency: 10, itemCounts: { total: 25, succeeded: 25, failed: 0 } }
            : {
                status: 'FAILED',
                maxConcurrency: 10,
                toleratedFailurePercentage: 5,
                itemCounts: { total: 20, succeeded: 10, failed: 2, aborted: 3, pending: 5, running: 0, timedOut: 0 },
              };
        case 'ListExecutionsCommand':
          if (i.mapRunArn === RUN2)
            return { executions: [0, 1].map((n) => ({ executionArn: child(n), name: `c${n}` })) };
          if (i.stateMachineArn === SM)
            return {
              executions: [
                {
                  executionArn: EXEC,
                  name: 'daily-2026-11-20',
                  status: 'FAILED',
                  startDate: new Date('2026-11-20T06:00:00Z'),
                  stopDate: new Date('2026-11-20T06:01:00Z'),
                },
              ],
            };
          return { executions: [] };
        case 'ListMapRunsCommand':
          return { mapRuns: [{ mapRunArn: RUN1 }, { mapRunArn: RUN2 }] };
      }
      throw new Error(`unexpected ${c.constructor.name}`);
    },
  } as unknown as Sfn;

  it('draws the execution with the definition it ran: retries, the caught map, its failed children', async () => {
    const { name, html } = await renderAwsExecutionGraph({ sfn, stateMachineArn: SM, execution: 'latest' });
    expect(name).toBe('daily-2026-11-20');
    const drawn = nodes(html);
    expect(drawn.map((n) => [n.parent, n.name]).sort()).toEqual(allStates(def).sort());
    expect([find(drawn, 'Plan the run').outcome, find(drawn, 'Plan the run').retries]).toEqual(['succeeded', 1]);
    const map = find(drawn, 'Fetch engagement per media');
    expect(map.outcome).toBe('caught');
    expect(map.attrs).toContain('data-items="20" data-succeeded="10" data-failed="2" data-pending="5"');
    expect(find(drawn, 'Fetch event pages by window').outcome).toBe('succeeded');
    expect(find(drawn, 'Ingestion failed').outcome).toBe('failed');
    expect(find(drawn, 'Commit watermarks').outcome).toBe('not-entered');
    expect([...html.matchAll(/<tr data-item="([^"]+)">/g)].map((m) => m[1])).toEqual(['c0', 'c1']);
    expect(html).toContain('WistiaTransientError: 500 for media1');
    expect(unescape(html)).toContain('"hashed_id": "media0"');
    expect(calls).toContain('GetExecutionHistoryCommand');
    expect(calls.filter((c) => c === 'GetExecutionHistoryCommand')).toHaveLength(2); // both pages
  });

  it('an unknown execution names it, the state machine and its latest executions', async () => {
    await expect(renderAwsExecutionGraph({ sfn, stateMachineArn: SM, execution: 'nope' })).rejects.toThrow(
      `no execution "nope" in ${SM}; the latest: daily-2026-11-20`,
    );
  });

  it('status: the executions with their map items summed, no warehouse counts', async () => {
    const s = await gatherAwsStatus({ sfn, stateMachineArn: SM, limit: 10 });
    expect(
      s.executions.map((x) => [
        x.id,
        x.status,
        x.itemsSucceeded,
        x.itemsFailed,
        x.itemsAborted,
        x.itemsPending,
        x.error,
      ]),
    ).toEqual([['daily-2026-11-20', 'FAILED', 35, 2, 3, 5, 'States.ExceedToleratedFailureThreshold']]);
    expect([s.totalExecutions, s.tables, s.warehouse.state, s.stateMachineArn]).toEqual([1, null, 'skipped', SM]);
  });

  it('--aws without a state machine ARN exits 2 naming the option', async () => {
    const saved = process.env.WISTIA_STATE_MACHINE_ARN;
    delete process.env.WISTIA_STATE_MACHINE_ARN;
    try {
      for (const cmd of [
        ['graph', 'latest', '--aws'],
        ['status', '--aws'],
      ]) {
        const r = await cli(cmd);
        expect([r.code, r.err]).toEqual([EXIT.usage, expect.stringContaining('--aws needs --state-machine-arn')]);
      }
      const bad = await cli(['status', '--aws', '--state-machine-arn', 'wistia']);
      expect(bad.err).toContain('--state-machine-arn: expected arn:aws:states:');
    } finally {
      if (saved !== undefined) process.env.WISTIA_STATE_MACHINE_ARN = saved;
    }
  });
});
