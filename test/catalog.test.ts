// The execution catalog (local/ops/catalog.ts): one name rule, the folders and records of runs/, latest and
// latest-failed, and the message an unknown execution gets, over a real file store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { putJson } from '#shared/store/store.ts';
import {
  checkExecutionName,
  executionFolders,
  executionRecords,
  findExecution,
  needsReplay,
  UnknownExecutionError,
} from '#local/ops/catalog.ts';
import type { ExecutionRecord } from '#local/runner/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'wp-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = new FileObjectStore(dir);

const record = (name: string, startDate: string, o: Partial<ExecutionRecord> = {}): ExecutionRecord =>
  ({
    name,
    arn: `arn:aws:states:us-east-1:000000000000:execution:ingest:${name}`,
    status: 'SUCCEEDED',
    startDate,
    stopDate: startDate,
    durationMs: 1,
    input: {},
    mapRuns: [],
    requests: 0,
    historyKey: `runs/${name}/history.jsonl`,
    ...o,
  }) as ExecutionRecord;
const failedItems = (n: number) =>
  [{ counts: { succeeded: 1, failed: n, aborted: 0, pending: 0 } }] as unknown as ExecutionRecord['mapRuns'];

describe('the execution catalog', () => {
  it('takes the names Step Functions and the handlers accept, and refuses the rest naming the rule', () => {
    for (const ok of ['daily-2026-11-20-abc', 'replay.1', 'A_b-9', 'x'.repeat(80)])
      expect(checkExecutionName(ok)).toBe(ok);
    for (const bad of ['', 'a:b', 'a/b', 'a b', 'x'.repeat(81), 'ä'])
      expect(() => checkExecutionName(bad), bad).toThrow(UnknownExecutionError);
    expect(() => checkExecutionName('a:b')).toThrow(
      '"a:b" is not an execution name (letters, digits, ".", "_", "-", at most 80 characters)',
    );
  });

  it('lists every execution folder with its object count, and the ended ones newest first', async () => {
    await putJson(store, 'runs/daily-1/execution.json', record('daily-1', '2026-11-20T06:00:00.000Z'));
    await store.put('runs/daily-1/history.jsonl', '');
    await putJson(
      store,
      'runs/daily-2/execution.json',
      record('daily-2', '2026-11-21T06:00:00.000Z', { status: 'FAILED', error: 'WistiaAuthError' }),
    );
    await putJson(
      store,
      'runs/daily-3/execution.json',
      record('daily-3', '2026-11-22T06:00:00.000Z', { mapRuns: failedItems(2) }),
    );
    await putJson(
      store,
      'runs/daily-4/execution.json',
      record('daily-4', '2026-11-23T06:00:00.000Z', { status: 'FAILED', error: 'RunInProgressError' }),
    );
    await putJson(store, 'runs/running-5/runner.json', { pid: 1 }); // still running: a folder, no record
    await putJson(store, 'runs/bad:name/execution.json', record('bad:name', '2026-11-24T06:00:00.000Z'));
    expect(Object.fromEntries(await executionFolders(store))).toEqual({
      'daily-1': 2,
      'daily-2': 1,
      'daily-3': 1,
      'daily-4': 1,
      'running-5': 1,
    });
    expect((await executionRecords(store)).map((e) => e.name)).toEqual(['daily-4', 'daily-3', 'daily-2', 'daily-1']);
  });

  it('resolves latest, latest-failed (not one the run lease refused) and a name; an unknown one names the latest', async () => {
    expect((await findExecution(store, 'latest', 'here')).name).toBe('daily-4');
    expect((await findExecution(store, 'latest-failed', 'here')).name).toBe('daily-3');
    expect((await findExecution(store, 'daily-2', 'here')).record.error).toBe('WistiaAuthError');
    expect([needsReplay(record('a', 'x')), needsReplay(record('b', 'x', { status: 'FAILED' }))]).toEqual([false, true]);
    await expect(findExecution(store, 'daily-9', '/data/store/runs')).rejects.toThrow(
      'no execution "daily-9" in /data/store/runs; the latest:\n  daily-4  FAILED  0 items failed\n  daily-3  SUCCEEDED  2 items failed',
    );
    await expect(findExecution(new FileObjectStore(join(dir, 'empty')), 'latest-failed', 'there')).rejects.toThrow(
      'no execution with failed items in there (no executions at all: run `npx wistia-pipeline demo` first)',
    );
  });
});
