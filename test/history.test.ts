// An execution's history as JSON Lines (local/runner/history-log.ts writes it, local/ops/history.ts reads it) over
// a real file store: the lines in order with the record's fields and map runs, appended while the run goes, a
// killed run's cut last line reported (not thrown) and its status told from its runner, the history.json of older
// data dirs, and nothing at all.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { putJson } from '#shared/store/store.ts';
import { parseHistoryLines, readHistory } from '#local/ops/history.ts';
import { openHistoryLog } from '#local/runner/history-log.ts';
import { localExecutionArn, running, type ExecutionRecord, type HistoryEvent } from '#local/runner/executions.ts';
import type { MapRunRecord } from '#local/runner/distributed-map.ts';

const dir = mkdtempSync(join(tmpdir(), 'wp-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = new FileObjectStore(dir);
const lines = (...events: HistoryEvent[]) => events.map((e) => `${JSON.stringify(e)}\n`).join('');

const T0 = '2026-11-20T06:00:00.000Z';
const started: HistoryEvent = { timestamp: T0, type: 'ExecutionStarted', detail: { name: 'x', input: {} } };
const entered: HistoryEvent = { timestamp: '2026-11-20T06:00:01.000Z', type: 'StateEntered', state: 'Plan the run' };
const exited: HistoryEvent = { timestamp: '2026-11-20T06:00:03.000Z', type: 'StateExited', state: 'Plan the run' };
const mapRun: MapRunRecord = {
  state: 'Fetch event pages by window',
  label: 'EventWindows',
  mapRunArn: 'arn:aws:states:local:000000000000:mapRun:wistia-ingest/EventWindows:1',
  items: 2,
  children: 2,
  maxConcurrency: 4,
  toleratedFailurePercentage: 5,
  toleratedFailureCount: null,
  status: 'SUCCEEDED',
  counts: { succeeded: 2, failed: 0, aborted: 0, pending: 0 },
  failedItems: [],
  startDate: '2026-11-20T06:00:04.000Z',
  stopDate: '2026-11-20T06:00:08.000Z',
};
const record = (name: string): ExecutionRecord => ({
  name,
  arn: localExecutionArn(name),
  status: 'SUCCEEDED',
  startDate: T0,
  stopDate: '2026-11-20T06:00:09.000Z',
  durationMs: 9000,
  input: {},
  mapRuns: [mapRun],
  requests: 7,
  historyKey: `runs/${name}/history.jsonl`,
});
/** A pid no process has (beyond Linux's pid_max). */
const DEAD_PID = 2 ** 22 + 1;

describe("an execution's history as JSON Lines", () => {
  it('reads the lines in order, with the record (less its map runs) and the map runs from execution.json', async () => {
    await store.put('runs/done-1/history.jsonl', lines(started, entered, exited));
    await putJson(store, 'runs/done-1/execution.json', record('done-1'));
    const { mapRuns, ...execution } = record('done-1');
    expect(await readHistory(store, 'done-1')).toEqual({ execution, events: [started, entered, exited], mapRuns });
  });

  it('appends each event to history.jsonl as it is written, before the log closes', async () => {
    const name = 'running-2';
    const log = await openHistoryLog(store, name);
    running.add(localExecutionArn(name)); // this process runs it: RUNNING, as the run lease tells
    try {
      log.write(started);
      log.write(entered);
      await vi.waitFor(() => expect(readFileSync(join(dir, 'runs', name, 'history.jsonl'), 'utf8')).toContain('Plan'));
      expect(await readHistory(store, name)).toEqual({
        execution: { name, status: 'RUNNING', startDate: T0 },
        events: [started, entered],
        mapRuns: [],
      });
      await log.close();
      log.write(exited); // after the end: not in the history
      await log.close();
      expect(readFileSync(join(dir, 'runs', name, 'history.jsonl'), 'utf8')).toBe(lines(started, entered));
    } finally {
      running.delete(localExecutionArn(name));
    }
  });

  it('reports a cut last line (a killed run) instead of throwing, and tells the run ABORTED from its gone runner', async () => {
    const cut = JSON.stringify(exited).slice(0, 25);
    await store.put('runs/killed-3/history.jsonl', `${lines(started, entered)}${cut}`);
    await putJson(store, 'runs/killed-3/runner.json', { pid: DEAD_PID, hostname: hostname(), startedAt: T0 });
    const h = await readHistory(store, 'killed-3');
    expect(h).toEqual({
      execution: {
        name: 'killed-3',
        status: 'ABORTED',
        startDate: T0,
        stopDate: entered.timestamp,
        durationMs: 1000,
        error: 'States.Aborted',
        cause:
          'the run stopped before its end (its runner process is gone): its history is what it recorded until then',
      },
      events: [started, entered],
      mapRuns: [],
      truncated: { line: 3, bytes: 25 },
    });
    // only the last line can be cut: a bad line before it is an error naming the object and the line
    expect(() =>
      parseHistoryLines(Buffer.from(`${lines(started)}{oops\n${lines(entered)}`), 'runs/k/history.jsonl'),
    ).toThrow(/^runs\/k\/history\.jsonl line 2 is not valid JSON: /);
  });

  it("reads an older data dir's history.json when there is no history.jsonl", async () => {
    const { mapRuns, ...execution } = record('old-4');
    const old = { execution, events: [started, exited], mapRuns };
    await putJson(store, 'runs/old-4/history.json', old);
    await putJson(store, 'runs/old-4/execution.json', record('old-4'));
    expect(await readHistory(store, 'old-4')).toEqual(old);
    // with both, the lines are the history
    await store.put('runs/old-4/history.jsonl', lines(entered));
    expect((await readHistory(store, 'old-4'))?.events).toEqual([entered]);
  });

  it('is undefined without any history, and has no events for an empty one', async () => {
    expect(await readHistory(store, 'never-5')).toBeUndefined();
    await putJson(store, 'runs/never-5/execution.json', record('never-5')); // a record alone: still no history
    expect(await readHistory(store, 'never-5')).toBeUndefined();
    await store.put('runs/never-5/history.jsonl', '');
    expect((await readHistory(store, 'never-5'))?.events).toEqual([]);
    expect((await readHistory(store, 'never-5'))?.execution.requests).toBe(7);
  });
});
