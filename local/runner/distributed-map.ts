// Distributed Map semantics for local runs (aws-local-stepfunctions runs every Map inline and ignores these
// fields): items read by the ItemReader from the object store, ItemSelector with $$.Map.Item, ItemBatcher,
// MaxConcurrency, each item a child execution with its own history, tolerated failures (strict ">"), and
// ResultWriter manifests and SUCCEEDED/FAILED/PENDING files in Step Functions' format. What cannot be verified
// here is refused: a map with no items (what AWS writes for a zero-item map run is unverified), and a child
// input over the payload quota.
import { randomUUID } from 'node:crypto';
import { putJson, type ObjectStore } from '#shared/store/store.ts';
import type { Json, State } from './asl.ts';
import { applyTemplate, evalPath, StatesError } from './jsonpath.ts';
import { checkPayload, PAYLOAD_LIMIT_BYTES, TerminalError } from './limits.ts';

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
  /** Size at which a result file is split into the next part (default RESULT_PART_BYTES). */
  readonly resultPartBytes?: number;
}

/** ItemBatcher's MaxInputBytesPerBatch is at most 256 KiB (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html). */
const MAX_BATCH_BYTES = PAYLOAD_LIMIT_BYTES;

/**
 * The local runner's refusal of what it cannot emulate faithfully. Uncatchable (a Catch in the definition must not
 * turn it into an ordinary failure): the definition has to change.
 */
export const UNVERIFIED = 'LocalRunner.UnverifiedBehaviour';

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

/**
 * The item batches (ItemBatcher), as the index of each batch's first item, and the BatchInput: a batch is made
 * from its selected items when its child starts, so the selected items are never all in memory at once.
 */
function batchBounds(
  state: State,
  sizes: number[],
  input: unknown,
  ctx: MapContext,
): { starts: number[]; batchInput: unknown } {
  const b = state.ItemBatcher as State;
  const maxItems = integerAt(b, 'MaxItemsPerBatch', input, ctx.context, 1, 100_000_000) ?? Infinity;
  const maxBytes = integerAt(b, 'MaxInputBytesPerBatch', input, ctx.context, 1, MAX_BATCH_BYTES) ?? MAX_BATCH_BYTES;
  const batchInput = b.BatchInput === undefined ? undefined : applyTemplate(b.BatchInput, input, ctx.context);
  const base = batchInput === undefined ? 2 : JSON.stringify({ BatchInput: batchInput, Items: [] }).length;
  const starts: number[] = [];
  let inBatch = 0;
  let bytes = base;
  sizes.forEach((size, i) => {
    if (inBatch && (inBatch >= maxItems || bytes + size > maxBytes)) {
      inBatch = 0;
      bytes = base;
    }
    if (inBatch === 0) starts.push(i);
    inBatch++;
    bytes += size;
  });
  return { starts, batchInput };
}

/** Result files are written as the children finish, in parts of about this size (AWS splits them at 5 GB). */
export const RESULT_PART_BYTES = 1024 * 1024;

type ResultKind = 'SUCCEEDED' | 'FAILED' | 'PENDING';

/** One kind of result file (SUCCEEDED_<n>.json, …): records buffered up to a part's size, then written. */
class ResultParts {
  readonly files: { Key: string; Size: number }[] = [];
  private records: { index: number; text: string }[] = [];
  private bytes = 0;
  private writes: Promise<void> = Promise.resolve();
  private error: unknown;

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly kind: ResultKind,
    private readonly partBytes: number,
  ) {}

  add(index: number, record: unknown): void {
    const text = JSON.stringify(record);
    this.records.push({ index, text });
    this.bytes += text.length + 1;
    if (this.bytes >= this.partBytes) this.flush();
  }

  /** Writes the buffered records as the next part (in item order within the part). */
  flush(): void {
    if (this.records.length === 0) return;
    const records = this.records.sort((a, b) => a.index - b.index);
    this.records = [];
    this.bytes = 0;
    const key = `${this.prefix}/${this.kind}_${this.files.length}.json`;
    const body = Buffer.from(`[${records.map((r) => r.text).join(',')}]`);
    this.files.push({ Key: key, Size: body.length });
    this.writes = this.writes
      .then(async () => {
        if (this.error === undefined) await this.store.put(key, body, { contentType: 'application/json' });
      })
      .catch((e: unknown) => {
        this.error ??= e;
      });
  }

  /** Writes what is left and waits for every part; rethrows the first write that failed. */
  async close(): Promise<{ Key: string; Size: number }[]> {
    this.flush();
    await this.writes;
    if (this.error !== undefined) throw this.error;
    return this.files;
  }
}

/** Runs a DISTRIBUTED Map state against its effective input; resolves to the state's raw output. */
export async function runDistributedMap(state: State, input: unknown, ctx: MapContext): Promise<unknown> {
  const startDate = new Date().toISOString();
  const items = await readItems(state, input, ctx);
  if (items.length === 0) {
    const reader = state.ItemReader as { Parameters?: unknown } | undefined;
    const where = reader ? ` (${JSON.stringify(applyTemplate(reader.Parameters ?? {}, input, ctx.context))})` : '';
    throw new TerminalError(
      UNVERIFIED,
      `"${ctx.stateName}": this Distributed Map has no items${where}. What Step Functions does with a map run of ` +
        'zero items (the map run, its ResultWriter manifest and result files, the state output) is unverified, so ' +
        'the local runner refuses to start one: skip the map with a Choice state when its item count is 0.',
    );
  }
  // Each item's input is made when its child starts (and again for its result record): never all at once.
  const selected = (index: number): unknown =>
    state.ItemSelector === undefined
      ? items[index]
      : applyTemplate(state.ItemSelector, input, {
          ...ctx.context,
          Map: { Item: { Index: index, Value: items[index] as Json } },
        });
  // Every item is selected once up front all the same: a selector that fails fails the map before any child
  // starts, and the batcher needs each selected item's size.
  const sizes: number[] | undefined = state.ItemBatcher ? [] : undefined;
  if (state.ItemSelector !== undefined || sizes)
    for (let i = 0; i < items.length; i++) {
      const value = selected(i);
      sizes?.push(Buffer.byteLength(JSON.stringify(value)) + 1);
    }
  const batches = sizes ? batchBounds(state, sizes, input, ctx) : undefined;
  const children = batches ? batches.starts.length : items.length;
  const inputOf = (i: number): unknown => {
    if (!batches) return selected(i);
    const end = batches.starts[i + 1] ?? items.length;
    const batch: unknown[] = [];
    for (let k = batches.starts[i] as number; k < end; k++) batch.push(selected(k));
    return batches.batchInput === undefined ? { Items: batch } : { BatchInput: batches.batchInput, Items: batch };
  };
  const maxConc = integerAt(state, 'MaxConcurrency', input, ctx.context, 0, 10_000) || 10_000;
  const tolPct = integerAt(state, 'ToleratedFailurePercentage', input, ctx.context, 0, 100) ?? 0;
  const tolCount = integerAt(state, 'ToleratedFailureCount', input, ctx.context, 0, Number.MAX_SAFE_INTEGER) ?? null;
  const label = String(state.Label ?? ctx.stateName.replace(/[^A-Za-z0-9]/g, '').slice(0, 40));
  const mapRunId = randomUUID();
  const mapRunArn = `${ctx.stateMachineArn.replace(':stateMachine:', ':mapRun:')}/${label}:${mapRunId}`;
  const nameOf = (i: number) => `${label}-${String(i).padStart(6, '0')}`;

  const record = (i: number, childInput: unknown, o: ChildOutcome | undefined) => {
    const name = nameOf(i);
    const base = {
      ExecutionArn: `${ctx.stateMachineArn.replace(':stateMachine:', ':execution:')}/${label}:${name}`,
      Input: JSON.stringify(childInput),
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

  // With a ResultWriter, each child's record goes to its result file as the child finishes; without one, the
  // map's output is the array of every child's output (or record), kept in memory as Step Functions does.
  const writer = state.ResultWriter as Record<string, Json> | undefined;
  let parts: Record<ResultKind, ResultParts> | undefined;
  let prefix = '';
  let writerProblem: StatesError | undefined;
  if (writer) {
    const params = applyTemplate(writer.Parameters ?? {}, input, ctx.context) as { Bucket?: unknown; Prefix?: unknown };
    if (params.Bucket !== ctx.store.bucket)
      writerProblem = new StatesError(
        'States.ResultWriterFailed',
        `The bucket "${String(params.Bucket)}" is not this account's bucket.`,
      );
    else {
      prefix = `${String(params.Prefix ?? '').replace(/\/+$/, '')}/${mapRunId}`.replace(/^\//, '');
      const partBytes = ctx.resultPartBytes ?? RESULT_PART_BYTES;
      parts = {
        SUCCEEDED: new ResultParts(ctx.store, prefix, 'SUCCEEDED', partBytes),
        FAILED: new ResultParts(ctx.store, prefix, 'FAILED', partBytes),
        PENDING: new ResultParts(ctx.store, prefix, 'PENDING', partBytes),
      };
    }
  }
  const inline: unknown[] | undefined = writer ? undefined : new Array(children);
  const counts = { succeeded: 0, failed: 0, aborted: 0, pending: 0 };
  const failedItems: MapRunRecord['failedItems'] = [];

  const running = new Map<number, ChildHandle>();
  let next = 0;
  let failed = 0;
  let breached = false;
  let childInputError: unknown;
  const exceeds = () =>
    (tolCount !== null && failed > tolCount) || (children > 0 && (failed / children) * 100 > tolPct);

  await new Promise<void>((resolve) => {
    const launch = () => {
      while (!breached && running.size < maxConc && next < children) {
        const i = next++;
        const childInput = inputOf(i);
        // A child execution's input is an execution input: at most 256 KiB (service-quotas.html). Over it, the
        // whole map fails, uncaught (States.DataLimitExceeded; what AWS does then is [unconfirmed]: the stricter).
        try {
          checkPayload(childInput, `the input of child execution ${nameOf(i)} of "${ctx.stateName}"`);
        } catch (e) {
          childInputError = e;
          next--; // it never started: pending
          breached = true;
          for (const h of running.values()) h.abort();
          break;
        }
        const handle = ctx.startChild(childInput, nameOf(i));
        running.set(i, handle);
        void handle.result.then((o) => {
          running.delete(i);
          if (o.status === 'SUCCEEDED') counts.succeeded++;
          else {
            if (o.status === 'FAILED') counts.failed++;
            else counts.aborted++;
            failedItems.push({
              index: i,
              name: nameOf(i),
              input: childInput,
              ...(o.error ? { error: o.error } : {}),
              ...(o.cause ? { cause: o.cause } : {}),
            });
          }
          if (inline) inline[i] = o.status === 'SUCCEEDED' ? (o.output ?? null) : record(i, childInput, o);
          parts?.[o.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED'].add(i, record(i, childInput, o));
          ctx.onItem?.({
            label,
            index: i,
            total: children,
            name: nameOf(i),
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
          if (running.size === 0 && (breached || next >= children)) resolve();
        });
      }
      if (running.size === 0 && (breached || next >= children)) resolve();
    };
    launch();
  });

  const stopDate = new Date().toISOString();
  // The children that never started (the run failed first).
  for (let i = next; i < children; i++) {
    counts.pending++;
    if (inline) inline[i] = record(i, inputOf(i), undefined);
    parts?.PENDING.add(i, record(i, inputOf(i), undefined));
  }
  failedItems.sort((a, b) => a.index - b.index);

  let output: unknown;
  let details: { Bucket: string; Key: string } | undefined;
  if (writerProblem) throw writerProblem;
  if (parts) {
    const files: Record<ResultKind, { Key: string; Size: number }[]> = {
      SUCCEEDED: await parts.SUCCEEDED.close(),
      FAILED: await parts.FAILED.close(),
      PENDING: await parts.PENDING.close(),
    };
    const manifestKey = `${prefix}/manifest.json`;
    await putJson(ctx.store, manifestKey, {
      DestinationBucket: ctx.store.bucket,
      MapRunArn: mapRunArn,
      ResultFiles: files,
    });
    details = { Bucket: ctx.store.bucket, Key: manifestKey };
    output = { MapRunArn: mapRunArn, ResultWriterDetails: details };
  } else output = inline;

  ctx.onMapRun?.({
    state: ctx.stateName,
    label,
    mapRunArn,
    items: items.length,
    children,
    maxConcurrency: maxConc,
    toleratedFailurePercentage: tolPct,
    toleratedFailureCount: tolCount,
    status: breached ? 'FAILED' : 'SUCCEEDED',
    counts,
    failedItems,
    ...(details ? { resultWriterDetails: details } : {}),
    startDate,
    stopDate,
  });
  if (childInputError !== undefined) throw childInputError;
  if (breached)
    throw new StatesError(
      'States.ExceedToleratedFailureThreshold',
      'The specified tolerated failure threshold was exceeded',
    );
  return output;
}
