// Reading a Distributed Map's ResultWriter output (manifest.json + SUCCEEDED_n / FAILED_n / PENDING_n files,
// records in the NONE form: Input and Output are JSON strings).
import { getJson, type ObjectStore } from '../store/store.ts';
import { asObject, InvalidInputError, str } from './input.ts';

export interface MapResultRecord {
  readonly Name?: string;
  readonly Status?: string;
  readonly Input?: string;
  readonly Output?: string;
  readonly Error?: string;
  readonly Cause?: string;
}

export interface ResultManifest {
  readonly DestinationBucket: string;
  readonly MapRunArn: string;
  readonly ResultFiles: {
    readonly SUCCEEDED: { Key: string }[];
    readonly FAILED: { Key: string }[];
    readonly PENDING: { Key: string }[];
  };
}

export interface MapResults {
  readonly succeeded: { input: unknown; output: unknown }[];
  readonly failed: { input: unknown; error: string | undefined; cause: string | undefined }[];
  readonly pending: { input: unknown }[];
}

/**
 * Whether a map's output is the marker the state machine puts in its place when it skips the map
 * (`{"skipped": true}`: a Choice found no items, and a Distributed Map with no items is never started, since what
 * AWS writes for one is unverified), rather than a map run's.
 */
export function mapSkipped(mapOutput: unknown): boolean {
  return (
    mapOutput !== null &&
    typeof mapOutput === 'object' &&
    (mapOutput as { skipped?: unknown }).skipped === true &&
    !('ResultWriterDetails' in mapOutput)
  );
}

/** Nothing ran: no item succeeded, failed or was left pending. */
export const NO_RESULTS: MapResults = { succeeded: [], failed: [], pending: [] };

/** The `{MapRunArn, ResultWriterDetails: {Bucket, Key}}` a Distributed Map with a ResultWriter outputs. */
export function resultWriterKey(mapOutput: unknown, what: string): string {
  const o = asObject(mapOutput, what);
  const d = asObject(o.ResultWriterDetails, `${what}.ResultWriterDetails`);
  return str(d, 'Key', {});
}

const parse = (s: string | undefined) => (s === undefined ? undefined : (JSON.parse(s) as unknown));

/**
 * The records of a map run's result files, part after part. `succeeded: false` leaves the SUCCEEDED files
 * unread (a caller that only needs what did not succeed: they hold one record per item).
 */
export async function readMapResults(
  store: ObjectStore,
  manifestKey: string,
  options: { readonly succeeded?: boolean } = {},
): Promise<MapResults> {
  const m = await getJson<ResultManifest>(store, manifestKey);
  if (!m) throw new InvalidInputError(`map result manifest "${manifestKey}" is missing`);
  const read = async <T>(files: { Key: string }[], as: (r: MapResultRecord) => T) => {
    const out: T[] = [];
    for (const f of files) {
      const r = await getJson<MapResultRecord[]>(store, f.Key);
      if (!r) throw new InvalidInputError(`map result file "${f.Key}" is missing`);
      for (const record of r.value) out.push(as(record));
    }
    return out;
  };
  const rf = m.value.ResultFiles;
  return {
    succeeded:
      options.succeeded === false
        ? []
        : await read(rf.SUCCEEDED, (r) => ({ input: parse(r.Input), output: parse(r.Output) })),
    failed: await read(rf.FAILED, (r) => ({ input: parse(r.Input), error: r.Error, cause: r.Cause })),
    pending: await read(rf.PENDING, (r) => ({ input: parse(r.Input) })),
  };
}

/**
 * The ResultWriter manifest under a map's result prefix, if the map ran (one map run per state per execution;
 * should there be more, the last key).
 */
export async function latestMapResults(store: ObjectStore, prefix: string): Promise<MapResults | undefined> {
  let last: string | undefined;
  for await (const o of store.list(`${prefix.replace(/\/$/, '')}/`))
    if (o.key.endsWith('/manifest.json') && (last === undefined || o.key > last)) last = o.key;
  return last ? readMapResults(store, last) : undefined;
}
