// The local Distributed Map: ItemReader, ItemSelector, ItemBatcher, MaxConcurrency, tolerated failures and
// ResultWriter files, driven with children whose outcomes the test decides.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { getJson, putJson } from '#shared/store/store.ts';
import {
  runDistributedMap,
  type ChildOutcome,
  type MapContext,
  type MapRunRecord,
} from '#local/runner/distributed-map.ts';
import type { State } from '#local/runner/asl.ts';
import { readMapResults } from '#shared/pipeline/map-results.ts';
import { tempDir } from './helpers/pipeline.ts';

const dir = tempDir('wp-map-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = new FileObjectStore(dir, 'bkt');

function ctx(
  outcome: (input: unknown, name: string) => Promise<Partial<ChildOutcome>>,
  seen: { max: number; now: number; names: string[] } = { max: 0, now: 0, names: [] },
  runs: MapRunRecord[] = [],
): MapContext {
  return {
    store,
    stateName: 'Fetch things',
    context: { Execution: { Name: 'exec-1' } },
    executionArn: 'arn:aws:states:local:000000000000:execution:sm:exec-1',
    stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:sm',
    startChild(input, name) {
      seen.now++;
      seen.max = Math.max(seen.max, seen.now);
      seen.names.push(name);
      let aborted = false;
      const result = (async (): Promise<ChildOutcome> => {
        const o = await outcome(input, name);
        seen.now--;
        const t = new Date().toISOString();
        if (aborted) return { status: 'ABORTED', startDate: t, stopDate: t };
        return { status: 'SUCCEEDED', startDate: t, stopDate: t, ...o } as ChildOutcome;
      })();
      return { result, abort: () => (aborted = true) };
    },
    onMapRun: (r) => runs.push(r),
  };
}

const base = (over: Partial<State> = {}): State =>
  ({
    Type: 'Map',
    Label: 'Things',
    ItemReader: {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.key' },
    },
    ItemSelector: {
      'value.$': '$$.Map.Item.Value',
      'index.$': '$$.Map.Item.Index',
      'run.$': '$.run',
      'exec.$': '$$.Execution.Name',
    },
    ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'X', States: {} },
    MaxConcurrencyPath: '$.conc',
    ToleratedFailurePercentagePath: '$.tol',
    ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'bkt', 'Prefix.$': '$.prefix' } },
    ...over,
  }) as State;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('local Distributed Map', () => {
  it('reads items with the ItemReader, selects them with $$.Map.Item, honours MaxConcurrency, writes ResultWriter files', async () => {
    await putJson(store, 'items/a.json', [10, 20, 30, 40, 50]);
    const seen = { max: 0, now: 0, names: [] as string[] };
    const runs: MapRunRecord[] = [];
    const out = (await runDistributedMap(
      base(),
      { bucket: 'bkt', key: 'items/a.json', run: 'r1', conc: 2, tol: 0, prefix: 'runs/r1/map-results/things' },
      ctx(async (input) => (await sleep(20), { output: { got: input } }), seen, runs),
    )) as {
      MapRunArn: string;
      ResultWriterDetails: { Bucket: string; Key: string };
    };
    expect(seen.max).toBe(2);
    expect(out.MapRunArn).toMatch(/^arn:aws:states:local:000000000000:mapRun:sm\/Things:[0-9a-f-]{36}$/);
    expect(out.ResultWriterDetails.Bucket).toBe('bkt');
    expect(out.ResultWriterDetails.Key).toMatch(/^runs\/r1\/map-results\/things\/[0-9a-f-]{36}\/manifest\.json$/);
    const manifest = (await getJson<Record<string, unknown>>(store, out.ResultWriterDetails.Key))?.value as {
      ResultFiles: Record<string, { Key: string }[]>;
    };
    expect(Object.keys(manifest)).toEqual(['DestinationBucket', 'MapRunArn', 'ResultFiles']);
    expect(manifest.ResultFiles.FAILED).toEqual([]);
    expect(manifest.ResultFiles.PENDING).toEqual([]);
    const ok =
      (await getJson<Record<string, unknown>[]>(store, String(manifest.ResultFiles.SUCCEEDED?.[0]?.Key)))?.value ?? [];
    expect(ok.map((r) => JSON.parse(String(r.Input)))).toEqual(
      [10, 20, 30, 40, 50].map((v, i) => ({ value: v, index: i, run: 'r1', exec: 'exec-1' })),
    );
    expect(ok.map((r) => JSON.parse(String(r.Output)).got.value)).toEqual([10, 20, 30, 40, 50]);
    expect(ok[0]).toMatchObject({
      Status: 'SUCCEEDED',
      InputDetails: { Included: true },
      OutputDetails: { Included: true },
      RedriveCount: 0,
      Name: 'Things-000000',
    });
    expect(runs[0]?.counts).toEqual({ succeeded: 5, failed: 0, aborted: 0, pending: 0 });
  });

  it('batches items (MaxItemsPerBatch, BatchInput) into {BatchInput, Items}', async () => {
    await putJson(
      store,
      'items/b.json',
      Array.from({ length: 1130 }, (_, i) => `k${i}`),
    );
    const inputs: unknown[] = [];
    const state = base({
      ItemSelector: undefined,
      ItemBatcher: { MaxItemsPerBatchPath: '$.size', BatchInput: { 'run.$': '$.run' } },
    } as Partial<State>);
    delete (state as Record<string, unknown>).ItemSelector;
    await runDistributedMap(
      state,
      { bucket: 'bkt', key: 'items/b.json', run: 'r2', conc: 4, tol: 0, size: 100, prefix: 'runs/r2/m' },
      ctx(async (input) => (inputs.push(input), { output: null })),
    );
    const batches = inputs as { BatchInput: unknown; Items: string[] }[];
    expect(batches.map((b) => b.Items.length).sort((a, b) => b - a)).toEqual([...Array(11).fill(100), 30]);
    expect(batches.every((b) => JSON.stringify(b.BatchInput) === '{"run":"r2"}')).toBe(true);
    expect(new Set(batches.flatMap((b) => b.Items)).size).toBe(1130);
  });

  it('tolerates failures up to the percentage, then fails with States.ExceedToleratedFailureThreshold, writing FAILED and PENDING files', async () => {
    await putJson(
      store,
      'items/c.json',
      Array.from({ length: 20 }, (_, i) => i),
    );
    const failing = (n: number) => async (input: unknown) =>
      (input as { value: number }).value < n
        ? { status: 'FAILED' as const, error: 'WistiaTransientError', cause: '{"errorMessage":"boom"}' }
        : { output: 1 };
    const runs: MapRunRecord[] = [];
    // 2 of 20 = 10 % <= 10 %: tolerated
    await runDistributedMap(
      base(),
      { bucket: 'bkt', key: 'items/c.json', run: 'r', conc: 1, tol: 10, prefix: 'runs/r3/m' },
      ctx(failing(2), undefined, runs),
    );
    expect(runs[0]?.status).toBe('SUCCEEDED');
    expect(runs[0]?.counts).toEqual({ succeeded: 18, failed: 2, aborted: 0, pending: 0 });
    // 3 of 20 = 15 % > 10 %: the run fails after the third failure; with concurrency 1 the rest never start
    await expect(
      runDistributedMap(
        base(),
        { bucket: 'bkt', key: 'items/c.json', run: 'r', conc: 1, tol: 10, prefix: 'runs/r4/m' },
        ctx(failing(3), undefined, runs),
      ),
    ).rejects.toMatchObject({
      name: 'States.ExceedToleratedFailureThreshold',
    });
    const rec = runs[1] as MapRunRecord;
    expect(rec.status).toBe('FAILED');
    expect(rec.counts).toEqual({ succeeded: 0, failed: 3, aborted: 0, pending: 17 });
    const manifest = (
      await getJson<{ ResultFiles: Record<string, { Key: string }[]> }>(store, String(rec.resultWriterDetails?.Key))
    )?.value;
    const failed =
      (await getJson<Record<string, unknown>[]>(store, String(manifest?.ResultFiles.FAILED?.[0]?.Key)))?.value ?? [];
    expect(failed.map((f) => [f.Status, f.Error])).toEqual(Array(3).fill(['FAILED', 'WistiaTransientError']));
    const pending =
      (await getJson<Record<string, unknown>[]>(store, String(manifest?.ResultFiles.PENDING?.[0]?.Key)))?.value ?? [];
    expect(pending).toHaveLength(17);
  });

  it('writes result records as children finish, in parts (SUCCEEDED_0, SUCCEEDED_1, …) that readMapResults reads whole', async () => {
    await putJson(
      store,
      'items/d.json',
      Array.from({ length: 60 }, (_, i) => i),
    );
    const runs: MapRunRecord[] = [];
    const c: MapContext = {
      ...ctx(
        async (input) => (await sleep(1), { output: { got: (input as { value: number }).value } }),
        undefined,
        runs,
      ),
      resultPartBytes: 4000,
    };
    const out = (await runDistributedMap(
      base(),
      { bucket: 'bkt', key: 'items/d.json', run: 'r', conc: 4, tol: 0, prefix: 'runs/r5/m' },
      c,
    )) as { ResultWriterDetails: { Key: string } };
    const manifest = (
      await getJson<{ ResultFiles: Record<string, { Key: string; Size: number }[]> }>(
        store,
        out.ResultWriterDetails.Key,
      )
    )?.value;
    const files = manifest?.ResultFiles.SUCCEEDED ?? [];
    expect(files.length).toBeGreaterThan(2);
    files.forEach((f, i) => expect(f.Key).toMatch(new RegExp(`/SUCCEEDED_${i}\\.json$`)));
    for (const f of files) {
      const body = await store.get(f.Key);
      expect(body?.body.length).toBe(f.Size);
      const part = JSON.parse(String(body?.body)) as { Name: string }[];
      expect(part.map((r) => r.Name)).toEqual([...part.map((r) => r.Name)].sort()); // item order within a part
    }
    const results = await readMapResults(store, out.ResultWriterDetails.Key);
    expect(results.succeeded.map((r) => (r.input as { value: number }).value).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => i),
    );
    expect(
      results.succeeded.every((r) => (r.output as { got: number }).got === (r.input as { value: number }).value),
    ).toBe(true);
    expect(runs[0]?.counts).toEqual({ succeeded: 60, failed: 0, aborted: 0, pending: 0 });
    expect((await readMapResults(store, out.ResultWriterDetails.Key, { succeeded: false })).succeeded).toEqual([]);
  });

  it('fails with States.ItemReaderFailed when the item file is missing, not an array, or in another bucket', async () => {
    await putJson(store, 'items/not-array.json', { a: 1 });
    const c = ctx(async () => ({ output: 1 }));
    const input = { bucket: 'bkt', run: 'r', conc: 1, tol: 0, prefix: 'p' };
    await expect(runDistributedMap(base(), { ...input, key: 'items/missing.json' }, c)).rejects.toMatchObject({
      name: 'States.ItemReaderFailed',
      message: 'The specified key does not exist. (Key: items/missing.json)',
    });
    await expect(runDistributedMap(base(), { ...input, key: 'items/not-array.json' }, c)).rejects.toMatchObject({
      name: 'States.ItemReaderFailed',
      message: 'Attempting to map over non-iterable node.',
    });
    await expect(
      runDistributedMap(base(), { ...input, bucket: 'other', key: 'items/a.json' }, c),
    ).rejects.toMatchObject({ name: 'States.ItemReaderFailed' });
    await expect(runDistributedMap(base(), { ...input, key: 'items/a.json', conc: -1 }, c)).rejects.toMatchObject({
      name: 'States.Runtime',
    });
  });

  it('refuses a map with no items, naming the state and why (what AWS writes for a zero-item map run is unverified)', async () => {
    await putJson(store, 'items/empty.json', []);
    const started: string[] = [];
    const runs: MapRunRecord[] = [];
    const c = ctx(async (_input, name) => (started.push(name), { output: 1 }), undefined, runs);
    const err = await runDistributedMap(
      base(),
      { bucket: 'bkt', key: 'items/empty.json', run: 'r', conc: 1, tol: 0, prefix: 'runs/r6/m' },
      c,
    ).catch((e: unknown) => e as Error & { isCatchable?: boolean; isRetryable?: boolean });
    expect(err).toMatchObject({ name: 'LocalRunner.UnverifiedBehaviour', isCatchable: false, isRetryable: false });
    expect((err as Error).message).toContain('"Fetch things": this Distributed Map has no items');
    expect((err as Error).message).toContain('items/empty.json');
    expect((err as Error).message).toMatch(/unverified.*skip the map with a Choice state/s);
    // nothing started, nothing written
    expect([started, runs]).toEqual([[], []]);
    const written: string[] = [];
    for await (const o of store.list('runs/r6/')) written.push(o.key);
    expect(written).toEqual([]);
  });

  it('fails the map with States.DataLimitExceeded when a child input passes 256 KiB (UTF-8), starting no child past it', async () => {
    // the third item selects to 140,000 two-byte characters: 280,000 bytes of UTF-8 (under 256 Ki characters)
    await putJson(store, 'items/big.json', ['a', 'b', 'é'.repeat(140_000), 'd']);
    const started: string[] = [];
    const runs: MapRunRecord[] = [];
    const err = await runDistributedMap(
      base(),
      { bucket: 'bkt', key: 'items/big.json', run: 'r', conc: 1, tol: 100, prefix: 'runs/r7/m' },
      ctx(async (_input, name) => (started.push(name), { output: 1 }), undefined, runs),
    ).catch((e: unknown) => e as Error & { isCatchable?: boolean });
    expect(err).toMatchObject({ name: 'States.DataLimitExceeded', isCatchable: false });
    expect((err as Error).message).toContain('the input of child execution Things-000002 of "Fetch things"');
    expect(started).toEqual(['Things-000000', 'Things-000001']);
    expect(runs[0]?.status).toBe('FAILED');
    expect(runs[0]?.counts).toEqual({ succeeded: 2, failed: 0, aborted: 0, pending: 2 });
  });
});
