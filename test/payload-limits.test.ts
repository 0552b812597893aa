// The payload quota as the local runner holds it (local/runner/limits.ts): 256 KiB of UTF-8 JSON, and
// States.DataLimitExceeded as the error-handling docs describe it: a catcher naming it catches it, States.ALL and
// States.TaskFailed do not, no retrier retries it; a state's input or output over the quota fails the execution.
// Run through the same interpreter (aws-local-stepfunctions) the runner uses, with the runner's guard installed.
import { readdirSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { catchesDataLimit, checkPayload, PAYLOAD_LIMIT_BYTES, payloadBytes } from '#local/runner/limits.ts';
import { guardStatePayloads, runPipeline, skipTransform } from '#local/runner/run.ts';
import { tempDir } from './helpers/pipeline.ts';
import type { State } from '#local/runner/asl.ts';

const BIG = 'x'.repeat(PAYLOAD_LIMIT_BYTES);

/** One Task (its local handler returns `result`) followed by a Succeed; `task` adds Catch / Retry / paths. */
async function runTask(
  task: Partial<State>,
  result: unknown,
): Promise<{ ok: true; output: unknown; calls: number } | { ok: false; error: string; cause: string; calls: number }> {
  const state = { Type: 'Task', Resource: 'arn:aws:lambda:local:000000000000:function:t', Next: 'Done', ...task };
  const def = {
    StartAt: 'Call',
    States: { Call: state, Done: { Type: 'Succeed' }, Caught: { Type: 'Pass', Result: 'caught', End: true } },
  };
  const sm = new StateMachine(def as never, { validationOptions: { checkArn: false } });
  guardStatePayloads(sm);
  let calls = 0;
  const handler = async (input: unknown) => {
    calls++;
    checkPayload(input, 'the input of state "Call" (after Parameters)', state as State);
    checkPayload(result, 'the result the state/task "Call" returned', state as State);
    return result;
  };
  const exec = sm.run({ small: 1 } as never, {
    overrides: { taskResourceLocalHandlers: { Call: handler as never }, retryIntervalOverrides: { Call: 0 } },
  });
  try {
    return { ok: true, output: await exec.result, calls };
  } catch (e) {
    const c = (e as ExecutionError).cause as { name: string; message: string };
    return { ok: false, error: c.name, cause: c.message, calls };
  }
}

describe('the payload quota', () => {
  it('counts UTF-8 bytes of the JSON: 262144 pass, one more fails, multibyte characters count their bytes', () => {
    const exactly = 'a'.repeat(PAYLOAD_LIMIT_BYTES - 2); // JSON adds the quotes
    expect(payloadBytes(exactly)).toBe(262_144);
    expect(() => checkPayload(exactly, 'x')).not.toThrow();
    expect(() => checkPayload(`${exactly}a`, 'x')).toThrow(/262145 bytes of UTF-8 JSON > 262144/);
    expect(payloadBytes('é'.repeat(10))).toBe(22);
    expect(() => checkPayload('é'.repeat(140_000), 'x')).toThrow(
      expect.objectContaining({ name: 'States.DataLimitExceeded' }),
    );
  });

  it('is caught only by a catcher that names States.DataLimitExceeded (before any TaskFailed / ALL one)', () => {
    const c = (...names: string[][]) =>
      ({ Type: 'Task', Catch: names.map((n) => ({ ErrorEquals: n, Next: 'x' })) }) as State;
    expect(catchesDataLimit(c(['States.DataLimitExceeded']))).toBe(true);
    expect(catchesDataLimit(c(['Other'], ['States.DataLimitExceeded'], ['States.ALL']))).toBe(true);
    expect(catchesDataLimit(c(['States.ALL']))).toBe(false);
    expect(catchesDataLimit(c(['States.TaskFailed']))).toBe(false);
    expect(catchesDataLimit(c(['States.TaskFailed'], ['States.DataLimitExceeded']))).toBe(false);
    expect(catchesDataLimit({ Type: 'Task' } as State)).toBe(false);
  });

  it("a task's result over the quota: States.ALL does not catch it, no retrier retries it, a named catcher does", async () => {
    const all = { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }] };
    const retried = { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3 }], ...all };
    expect(await runTask(all, BIG)).toMatchObject({ ok: false, error: 'States.DataLimitExceeded', calls: 1 });
    expect(await runTask(retried, BIG)).toMatchObject({ ok: false, error: 'States.DataLimitExceeded', calls: 1 });
    expect(await runTask({ Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }] }, BIG)).toMatchObject({
      ok: false,
      error: 'States.DataLimitExceeded',
    });
    const named = { Catch: [{ ErrorEquals: ['States.DataLimitExceeded'], Next: 'Caught' }, ...all.Catch] };
    expect(await runTask(named, BIG)).toEqual({ ok: true, output: 'caught', calls: 1 });
    // under the quota nothing happens
    expect(await runTask(all, 'small')).toEqual({ ok: true, output: 'small', calls: 1 });
  });

  it("a task's input over the quota after Parameters fails before the task does anything", async () => {
    const r = await runTask(
      { Parameters: { 'echo.$': '$.small', pad: BIG }, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }] },
      1,
    );
    expect(r).toMatchObject({ ok: false, error: 'States.DataLimitExceeded' });
    expect((r as { cause: string }).cause).toContain('the input of state "Call" (after Parameters)');
  });

  it("a state's output over the quota (a small result merged by ResultPath into a large input) fails the execution there", async () => {
    const def = {
      StartAt: 'Make',
      States: {
        Make: { Type: 'Pass', Result: 'x'.repeat(200_000), ResultPath: '$.a', Next: 'Grow' },
        Grow: { Type: 'Pass', Result: 'y'.repeat(100_000), ResultPath: '$.b', Next: 'Never' },
        Never: { Type: 'Succeed' },
      },
    };
    const sm = new StateMachine(def as never, { validationOptions: { checkArn: false } });
    guardStatePayloads(sm);
    const exec = sm.run({} as never);
    const entered: string[] = [];
    const events = (async () => {
      for await (const e of exec.eventLogs) if (e.type === 'StateEntered') entered.push(e.state.name);
    })();
    const err = (await exec.result.then(
      () => undefined,
      (e: unknown) => e,
    )) as ExecutionError;
    await events;
    expect((err.cause as Error).name).toBe('States.DataLimitExceeded');
    expect((err.cause as Error).message).toContain('the output of state "Grow"');
    expect(entered).toEqual(['Make', 'Grow']);
  });

  it('an execution input over the quota is refused before anything runs (StartExecution refuses it)', async () => {
    const dataDir = tempDir('wp-limits-');
    await expect(
      runPipeline({
        dataDir,
        apiBaseUrl: 'http://127.0.0.1:9',
        token: async () => 't',
        input: { pad: BIG },
        glue: skipTransform,
      }),
    ).rejects.toThrow(/the execution input is 262154 bytes: StartExecution accepts at most 262144/);
    expect(readdirSync(dataDir)).toEqual([]);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
