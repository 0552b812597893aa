// Distributed Map semantics for local runs (aws-local-stepfunctions runs every Map inline and ignores these
// fields): items read by the ItemReader from the object store, ItemSelector with $$.Map.Item, ItemBatcher,
// MaxConcurrency, each item a child execution with its own history, tolerated failures (strict ">"), and
// ResultWriter manifests and SUCCEEDED/FAILED/PENDING files in Step Functions' format.
import { randomUUID } from 'node:crypto';
import { putJson, type ObjectStore } from '#shared/store/store.ts';
import type { Json, State } from './asl.ts';
import { applyTemplate, evalPath, StatesError } from './jsonpath.ts';

export interface ChildOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: string;
  readonly stopDate: string;
}

export interface ChildHandle {
  readonly result: Promise<ChildOutcome>;
  abort(): void;
}

export interface MapRunRecord {
  readonly state: string;
  readonly label: string;
  readonly mapRunArn: string;
  readonly items: number;
  readonly children: number;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly toleratedFailureCount: number | null;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly counts: { succeeded: number; failed: number; aborted: number; pending: number };
  readonly failedItems: { index: number; name: string; input: unknown; error?: string; cause?: string }[];
  readonly resultWriterDetails?: { Bucket: string; Key: string };
  readonly startDate: string;
  readonly stopDate: string;
}

export interface MapContext {
  readonly store: ObjectStore;
  readonly stateName: string;
  /** The parent's context object ($$): Execution, State, StateMachine. */
  readonly context: Record<string, unknown>;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  /** Starts one child execution of the ItemProcessor with this input and name. */
  startChild(input: unknown, name: string): ChildHandle;
  onMapRun?(record: MapRunRecord): void;
  onItem?(e: { label: string; index: number; total: number; name: string; status: string; error?: string }): void;
}

const MAX_BATCH_BYTES = 256 * 1024;

function integerAt(
  state: State,
  field: string,
  input: unknown,
  context: unknown,
  min: number,
  max: number,
): number | undefined {
  const direct = state[field];
  const path = state[`${field}Path`];
  if (direct === undefined && path === undefined) return undefined;
  const v = direct !== undefined ? direct : evalPath(String(path), input, context);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new StatesError(
      'States.Runtime',
      `${field}${path !== undefined ? 'Path' : ''} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`,
    );
  return v;
}

async function readItems(state: State, input: unknown, ctx: MapContext): Promise<unknown[]> {
  const reader = state.ItemReader as Record<string, Json> | undefined;
  if (!reader) {
    const items = evalPath(String(state.ItemsPath ?? '$'), input, ctx.context);
    if (!Array.isArray(items)) throw new StatesError('States.Runtime', 'ItemsPath did not select an array');
    return items;
  }
  const fail = (cause: string) => new StatesError('States.ItemReaderFailed', cause);
  const params = applyTemplate(reader.Parameters ?? {}, input, ctx.context) as { Bucket?: unknown; Key?: unknown };
  if (params.Bucket !== ctx.store.bucket)
    throw fail(`The bucket "${String(params.Bucket)}" is not this account's bucket "${ctx.store.bucket}".`);
  if (typeof params.Key !== 'string') throw fail('ItemReader Parameters need a Key.');
  const obj = await ctx.store.get(params.Key);
  if (!obj) throw fail(`The specified key does not exist. (Key: ${params.Key})`);
  const config = (reader.ReaderConfig ?? {}) as Record<string, Json>;
  let items: unknown[];
  try {
    const text = obj.body.toString('utf8');
    if (config.InputType === 'JSONL')
      items = text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as unknown);
    else {
      const parsed = JSON.parse(text) as unknown;
      if (!Array.isArray(parsed)) throw fail('Attempting to map over non-iterable node.');
      items = parsed;
    }
  } catch (e) {
    if (e instanceof StatesError) throw e;
    throw fail(`The item file is not valid ${String(config.InputType)}: ${(e as Error).message}`);
  }
  const maxItems = integerAt(config as State, 'MaxItems', input, ctx.context, 0, 100_000_000);
  return maxItems ? items.slice(0, maxItems) : items;
}

function batch(state: State, items: unknown[], input: unknown, ctx: MapContext): unknown[] {
  const b = state.ItemBatcher as State | undefined;
  if (!b) return items;
  const maxItems = integerAt(b, 'MaxItemsPerBatch', input, ctx.context, 1, 100_000_000) ?? Infinity;
  const maxBytes = integerAt(b, 'MaxInputBytesPerBatch', input, ctx.context, 1, MAX_BATCH_BYTES) ?? MAX_BATCH_BYTES;
  const batchInput = b.BatchInput === undefined ? undefined : applyTemplate(b.BatchInput, input, ctx.context);
  const base = batchInput === undefined ? 2 : JSON.stringify({ BatchInput: batchInput, Items: [] }).length;
  const out: unknown[] = [];
  let cur: unknown[] = [];
  let bytes = base;
  const flush = () => {
    if (cur.length) out.push(batchInput === undefined ? { Items: cur } : { BatchInput: batchInput, Items: cur });
    cur = [];
    bytes = base;
  };
  for (const it of items) {
    const size = Buffer.byteLength(JSON.stringify(it)) + 1;
    if (cur.length && (cur.length >= maxItems || bytes + size > maxBytes)) flush();
    cur.push(it);
    bytes += size;
  }
  flush();
  return out;
}

/** Runs a DISTRIBUTED Map state against its effective input; resolves to the state's raw output. */
export async function runDistributedMap(state: State, input: unknown, ctx: MapContext): Promise<unknown> {
  const startDate = new Date().toISOString();
  const items = (await readItems(state, input, ctx)).map((value, index) =>
    state.ItemSelector === undefined
      ? value
      : applyTemplate(state.ItemSelector, input, { ...ctx.context, Map: { Item: { Index: index, Value: value } } }),
  );
  const inputs = batch(state, items, input, ctx);
  const maxConc = integerAt(state, 'MaxConcurrency', input, ctx.context, 0, 10_000) || 10_000;
  const tolPct = integerAt(state, 'ToleratedFailurePercentage', input, ctx.context, 0, 100) ?? 0;
  const tolCount = integerAt(state, 'ToleratedFailureCount', input, ctx.context, 0, Number.MAX_SAFE_INTEGER) ?? null;
  const label = String(state.Label ?? ctx.stateName.replace(/[^A-Za-z0-9]/g, '').slice(0, 40));
  const mapRunId = randomUUID();
  const mapRunArn = `${ctx.stateMachineArn.replace(':stateMachine:', ':mapRun:')}/${label}:${mapRunId}`;

  const outcomes: (ChildOutcome | undefined)[] = new Array(inputs.length);
  const names = inputs.map((_, i) => `${label}-${String(i).padStart(6, '0')}`);
  const running = new Map<number, ChildHandle>();
  let next = 0;
  let failed = 0;
  let breached = false;
  const exceeds = () =>
    (tolCount !== null && failed > tolCount) || (inputs.length > 0 && (failed / inputs.length) * 100 > tolPct);

  await new Promise<void>((resolve) => {
    const launch = () => {
      while (!breached && running.size < maxConc && next < inputs.length) {
        const i = next++;
        const handle = ctx.startChild(inputs[i], names[i] as string);
        running.set(i, handle);
        void handle.result.then((o) => {
          running.delete(i);
          outcomes[i] = o;
          ctx.onItem?.({
            label,
            index: i,
            total: inputs.length,
            name: names[i] as string,
            status: o.status,
            ...(o.error ? { error: o.error } : {}),
          });
          if (o.status !== 'SUCCEEDED' && !breached) {
            failed++;
            if (exceeds()) {
              breached = true;
              for (const h of running.values()) h.abort();
            }
          }
          launch();
          if (running.size === 0 && (breached || next >= inputs.length)) resolve();
        });
      }
      if (running.size === 0 && (breached || next >= inputs.length)) resolve();
    };
    launch();
  });

  const stopDate = new Date().toISOString();
  const record = (i: number, o: ChildOutcome | undefined) => {
    const name = names[i] as string;
    const base = {
      ExecutionArn: `${ctx.stateMachineArn.replace(':stateMachine:', ':execution:')}/${label}:${name}`,
      Input: JSON.stringify(inputs[i]),
      InputDetails: { Included: true },
      Name: name,
      StateMachineArn: `${ctx.stateMachineArn}/${label}`,
      RedriveCount: 0,
    };
    if (!o) return { ...base, Status: 'PENDING' };
    const status = o.status === 'ABORTED' ? 'ABORTED' : o.status;
    return {
      ...base,
      ...(o.status === 'SUCCEEDED'
        ? { Output: JSON.stringify(o.output ?? null), OutputDetails: { Included: true } }
        : { Error: o.error ?? 'States.Aborted', Cause: o.cause ?? '' }),
      RedriveStatus: o.status === 'SUCCEEDED' ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
      RedriveStatusReason: o.status === 'SUCCEEDED' ? 'Execution is SUCCEEDED and cannot be redriven' : '',
      StartDate: o.startDate,
      StopDate: o.stopDate,
      Status: status,
    };
  };
  const all = inputs.map((_, i) => ({ i, o: outcomes[i] }));
  const succeeded = all.filter((x) => x.o?.status === 'SUCCEEDED');
  const failedOnes = all.filter((x) => x.o && x.o.status !== 'SUCCEEDED');
  const pending = all.filter((x) => !x.o);

  let output: unknown;
  let details: { Bucket: string; Key: string } | undefined;
  const writer = state.ResultWriter as Record<string, Json> | undefined;
  if (writer) {
    const params = applyTemplate(writer.Parameters ?? {}, input, ctx.context) as { Bucket?: unknown; Prefix?: unknown };
    if (params.Bucket !== ctx.store.bucket)
      throw new StatesError(
        'States.ResultWriterFailed',
        `The bucket "${String(params.Bucket)}" is not this account's bucket.`,
      );
    const prefix = `${String(params.Prefix ?? '').replace(/\/+$/, '')}/${mapRunId}`.replace(/^\//, '');
    const files: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string; Size: number }[]> = {
      SUCCEEDED: [],
      FAILED: [],
      PENDING: [],
    };
    for (const [kind, list] of [
      ['SUCCEEDED', succeeded],
      ['FAILED', failedOnes],
      ['PENDING', pending],
    ] as const) {
      if (list.length === 0) continue;
      const key = `${prefix}/${kind}_0.json`;
      const body = JSON.stringify(list.map((x) => record(x.i, x.o)));
      await ctx.store.put(key, body, { contentType: 'application/json' });
      files[kind].push({ Key: key, Size: Buffer.byteLength(body) });
    }
    const manifestKey = `${prefix}/manifest.json`;
    await putJson(ctx.store, manifestKey, {
      DestinationBucket: ctx.store.bucket,
      MapRunArn: mapRunArn,
      ResultFiles: files,
    });
    details = { Bucket: ctx.store.bucket, Key: manifestKey };
    output = { MapRunArn: mapRunArn, ResultWriterDetails: details };
  } else {
    output = all.map(({ i, o }) => (o?.status === 'SUCCEEDED' ? (o.output ?? null) : record(i, o)));
  }

  ctx.onMapRun?.({
    state: ctx.stateName,
    label,
    mapRunArn,
    items: items.length,
    children: inputs.length,
    maxConcurrency: maxConc,
    toleratedFailurePercentage: tolPct,
    toleratedFailureCount: tolCount,
    status: breached ? 'FAILED' : 'SUCCEEDED',
    counts: {
      succeeded: succeeded.length,
      failed: failedOnes.filter((x) => x.o?.status === 'FAILED').length,
      aborted: failedOnes.filter((x) => x.o?.status === 'ABORTED').length,
      pending: pending.length,
    },
    failedItems: failedOnes.map((x) => ({
      index: x.i,
      name: names[x.i] as string,
      input: inputs[x.i],
      ...(x.o?.error ? { error: x.o.error } : {}),
      ...(x.o?.cause ? { cause: x.o.cause } : {}),
    })),
    ...(details ? { resultWriterDetails: details } : {}),
    startDate,
    stopDate,
  });
  if (breached)
    throw new StatesError(
      'States.ExceedToleratedFailureThreshold',
      'The specified tolerated failure threshold was exceeded',
    );
  return output;
}
