// The definition: valid ASL (a third-party validator), JSONPath only, every feature honoured by the local
// runner, and the retry / catch / map settings the design asks for.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  placeholders,
  readDefinitionText,
  substitute,
  unsupportedFeatures,
  type Definition,
  type State,
} from '#local/runner/asl.ts';
import { FUNCTIONS, localSubstitutions } from '#local/runner/run.ts';
import * as errors from '#shared/wistia/errors.ts';
import { FATAL_ERRORS, RETRYABLE_ERRORS } from '#shared/wistia/errors.ts';
import { HANDLERS } from '../infra/constructs/ingestion.ts';
import { FUNCTION_SUBSTITUTIONS } from '../infra/constructs/orchestration.ts';

const require = createRequire(import.meta.url);
const text = readDefinitionText();
const def = substitute(text, localSubstitutions('wistia-bronze'));

function allStates(d: Definition, out: [string, State][] = []): [string, State][] {
  for (const [n, s] of Object.entries(d.States)) {
    out.push([n, s]);
    const p = s.ItemProcessor as Definition | undefined;
    if (p) allStates(p, out);
  }
  return out;
}

describe('the state machine definition', () => {
  it('passes asl-validator', () => {
    const validator = require('asl-validator') as (d: unknown) => { isValid: boolean; errors: unknown[] };
    const r = validator(JSON.parse(JSON.stringify(def))); // it annotates what it validates
    expect(r.errors).toEqual([]);
    expect(r.isValid).toBe(true);
  });

  it('uses only ${…} placeholders that have a local binding (CDK fills the same names)', () => {
    expect(placeholders(text)).toEqual(['BucketName', ...Object.keys(FUNCTIONS), 'GlueJobName'].sort());
    expect(() => substitute(text, { BucketName: 'b' })).toThrow(
      /no local binding for substitution\(s\): CommitFunctionArn/,
    );
  });

  it('uses only features the local runner honours (JSONPath, no JSONata, no Assign)', () => {
    expect(unsupportedFeatures(def)).toEqual([]);
    expect(text).not.toMatch(/"QueryLanguage"|"Assign"|"Arguments":\s*\{[^}]*\{%/);
  });

  it('flags what the local runner cannot honour', () => {
    const bad: Definition = JSON.parse(JSON.stringify(def)) as Definition;
    bad.QueryLanguage = 'JSONata';
    (bad.States['Plan the run'] as State).Assign = { x: 1 };
    const map = bad.States['Fetch event pages by window'] as State;
    (map.ItemReader as Record<string, unknown>).ReaderConfig = { InputType: 'CSV' };
    map.ItemSelector = { 'x.$': "States.Format('{}', $.a)" };
    bad.States.Branches = { Type: 'Parallel', End: true } as State;
    const found = unsupportedFeatures(bad).join('\n');
    expect(found).toContain('QueryLanguage JSONata');
    expect(found).toContain('"Plan the run": field Assign is not honoured locally');
    expect(found).toContain('ItemReader InputType CSV is not supported locally');
    expect(found).toContain('intrinsic functions in Distributed Map fields are not evaluated locally');
    expect(found).toContain('"Branches": state type Parallel is not supported locally');
  });

  it("retries every Lambda task on the client's transient errors and on Lambda service errors, with backoff and jitter", () => {
    const tasks = allStates(def).filter(
      ([, s]) =>
        s.Type === 'Task' &&
        String(s.Parameters && (s.Parameters as Record<string, unknown>).FunctionName).includes(':function:'),
    );
    expect(tasks.length).toBe(Object.keys(FUNCTIONS).length);
    for (const [name, s] of tasks) {
      const retry = s.Retry as { ErrorEquals: string[]; JitterStrategy?: string; BackoffRate?: number }[];
      const all = retry.flatMap((r) => r.ErrorEquals);
      expect([name, all]).toEqual([
        name,
        expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
          'Lambda.SdkClientException',
        ]),
      ]);
      if (name !== 'Commit watermarks')
        expect([name, all]).toEqual([name, expect.arrayContaining([...RETRYABLE_ERRORS])]);
      expect([name, all.filter((e) => (FATAL_ERRORS as readonly string[]).includes(e))]).toEqual([name, []]);
      expect(retry.every((r) => r.JitterStrategy === 'FULL' && (r.BackoffRate ?? 0) >= 2)).toBe(true);
    }
  });

  it("names only the client's errors of the contract (errors.ts), each the name its class throws", () => {
    const named = allStates(def).flatMap(([, s]) =>
      [...((s.Retry ?? []) as { ErrorEquals: string[] }[]), ...((s.Catch ?? []) as { ErrorEquals: string[] }[])]
        .flatMap((r) => r.ErrorEquals)
        .filter((e) => e.startsWith('Wistia')),
    );
    expect(named.length).toBeGreaterThan(0);
    expect([...new Set(named)].filter((e) => !(RETRYABLE_ERRORS as readonly string[]).includes(e))).toEqual([]);
    for (const n of [...RETRYABLE_ERRORS, ...FATAL_ERRORS]) {
      const Class = (errors as Record<string, unknown>)[n];
      expect([n, typeof Class]).toEqual([n, 'function']);
      expect(new (Class as new (m: string) => Error)('x').name).toBe(n);
    }
  });

  it('gives every Distributed Map an ItemReader, a concurrency from the budget, a tolerance, a ResultWriter and a Catch', () => {
    const maps = allStates(def).filter(([, s]) => s.Type === 'Map');
    expect(maps.map(([n]) => n)).toEqual([
      'Fetch event pages by window',
      'Fetch engagement per media',
      'Look up visitors by key',
    ]);
    for (const [, s] of maps) {
      expect((s.ItemProcessor as { ProcessorConfig: unknown }).ProcessorConfig).toEqual({
        Mode: 'DISTRIBUTED',
        ExecutionType: 'STANDARD',
      });
      expect((s.ItemReader as { Resource: string }).Resource).toBe('arn:aws:states:::s3:getObject');
      expect(s.MaxConcurrencyPath).toMatch(/maxConcurrency$/);
      expect(s.ToleratedFailurePercentagePath).toMatch(/toleratedFailurePercentage$/);
      expect((s.ResultWriter as { Resource: string }).Resource).toBe('arn:aws:states:::s3:putObject');
      const catches = (s.Catch as { ErrorEquals: string[]; Next: string }[]).map((c) => [c.ErrorEquals[0], c.Next]);
      expect(catches).toEqual([
        ['States.ItemReaderFailed', "Could not read the map's items"],
        ['States.ALL', 'Ingestion failed'],
      ]);
    }
  });

  it('ends failures in Fail states that carry the Error and Cause', () => {
    const fails = allStates(def).filter(([, s]) => s.Type === 'Fail');
    expect(fails.length).toBe(3);
    for (const [, s] of fails) expect([s.ErrorPath, s.CausePath]).toEqual(['$.error.Error', '$.error.Cause']);
  });

  it('loads the warehouse through the Glue .sync integration before committing watermarks', () => {
    const glue = def.States['Transform and load the warehouse'] as State;
    expect(glue.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
    expect(glue.Next).toBe('Commit watermarks');
    expect((def.States['Commit watermarks'] as State).Next).toBe('Run succeeded');
  });

  it("gives every Lambda task a TimeoutSeconds of its function's Lambda timeout + 60 s (the infra's HANDLERS)", () => {
    // Each ${…}FunctionArn placeholder names itself, so each task says which function it invokes.
    const named = substitute(text, Object.fromEntries(placeholders(text).map((p) => [p, p])));
    const bySubstitution = Object.fromEntries(
      Object.entries(FUNCTION_SUBSTITUTIONS).map(([handler, sub]) => [sub, handler as keyof typeof HANDLERS]),
    );
    // the infra and the local runner bind the same functions
    expect(Object.keys(bySubstitution).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    const tasks = allStates(named).filter(([, s]) => s.Resource === 'arn:aws:states:::lambda:invoke');
    expect(tasks.length).toBe(Object.keys(FUNCTIONS).length);
    const timeouts = tasks.map(([name, s]) => {
      const fn = String((s.Parameters as Record<string, unknown>).FunctionName);
      const handler = bySubstitution[fn];
      return [name, fn, s.TimeoutSeconds, handler ? HANDLERS[handler].timeout + 60 : 'no such function'];
    });
    for (const [name, fn, got, want] of timeouts) expect([name, fn, got]).toEqual([name, fn, want]);
    // a Lambda runs 900 s at most: the task's own limit then still lies beyond the function's
    expect(Math.max(...Object.values(HANDLERS).map((h) => h.timeout))).toBeLessThanOrEqual(900);
  });

  it('never starts a Distributed Map without items: a Choice on the planned count leads to each, else a Pass marks it skipped', () => {
    const maps = Object.entries(def.States).filter(([, s]) => s.Type === 'Map');
    expect(maps.length).toBe(3);
    for (const [mapName, map] of maps) {
      const into = Object.entries(def.States).filter(
        ([, s]) =>
          s.Next === mapName ||
          s.Default === mapName ||
          ((s.Choices as { Next?: string }[] | undefined) ?? []).some((c) => c.Next === mapName),
      );
      // the only way in is a Choice rule that requires a count > 0
      expect([mapName, into.map(([, s]) => s.Type)]).toEqual([mapName, ['Choice']]);
      const [, choice] = into[0] as [string, State];
      const rule = (choice.Choices as Record<string, unknown>[]).find((c) => c.Next === mapName) as Record<
        string,
        unknown
      >;
      const conditions = (rule.And as Record<string, unknown>[] | undefined) ?? [rule];
      expect([
        mapName,
        conditions.some((c) => String(c.Variable).endsWith('.count') && c.NumericGreaterThan === 0),
      ]).toEqual([mapName, true]);
      expect(choice.Default).not.toBe(mapName);
      // when skipped, the map's result is a marker the handlers after it accept (or a visitor mode of none)
      const skip = def.States[String(choice.Default)] as State;
      expect(skip.Type).toBe('Pass');
      expect(skip.ResultPath).toBe(map.ResultPath);
      expect([mapName, skip.Result]).toEqual([
        mapName,
        mapName === 'Look up visitors by key' ? { mode: 'none' } : { skipped: true },
      ]);
      expect(skip.Next).toBe(map.Next);
    }
  });

  it("hands the plan and the commit the execution's ARN (the run lease's holder) from the context object", () => {
    for (const name of ['Plan the run', 'Commit watermarks']) {
      const payload = ((def.States[name] as State).Parameters as { Payload: Record<string, unknown> }).Payload;
      expect([name, payload['executionArn.$']]).toEqual([name, '$$.Execution.Id']);
    }
    // a refused execution (RunInProgressError) is not retried
    const plan = def.States['Plan the run'] as State;
    expect((plan.Retry as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
    expect(JSON.stringify(plan.Retry)).not.toContain('RunInProgressError');
  });
});
