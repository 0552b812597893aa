// The object store behind bronze, run manifests and state: S3 in AWS, plain files locally, same keys.

export interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
}

export interface PutOptions {
  readonly contentType?: string;
  /** Write only if the current object's ETag is this (optimistic concurrency). */
  readonly ifMatch?: string;
  /** Write only if no object exists at the key. */
  readonly ifNoneMatch?: '*';
}

export interface DeleteOptions {
  /**
   * Delete only if the current object's ETag is this (S3's conditional delete, general purpose buckets included:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html). A mismatch throws
   * PreconditionFailedError; a key that does not exist is a no-op, as an unconditional delete is.
   */
  readonly ifMatch?: string;
}

export interface ObjectStore {
  /** Where this store writes, as a Step Functions ItemReader/ResultWriter would name it. */
  readonly bucket: string;
  put(key: string, body: string | Buffer, options?: PutOptions): Promise<{ etag: string }>;
  get(key: string): Promise<StoredObject | undefined>;
  /** Every object under the prefix, in key order, however many pages the listing takes. */
  list(prefix: string): AsyncIterable<ListedObject>;
  delete(key: string, options?: DeleteOptions): Promise<void>;
}

/** A conditional write lost: someone else wrote the key first. */
export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError';
  constructor(readonly key: string) {
    super(`conditional write to "${key}" failed: the object changed since it was read`);
  }
}

/** Keys are relative, slash-separated, without "..", so both adapters map them the same way. */
export function assertKey(key: string): void {
  if (
    !key ||
    key.startsWith('/') ||
    key.split('/').some((p) => p === '..' || p === '.' || p === '') ||
    /[\\\0]/.test(key)
  )
    throw new Error(`invalid object key "${key}"`);
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<{ value: T; etag: string } | undefined> {
  const o = await store.get(key);
  if (!o) return undefined;
  try {
    return { value: JSON.parse(o.body.toString('utf8')) as T, etag: o.etag };
  } catch (e) {
    throw new Error(`object "${key}" is not valid JSON: ${(e as Error).message}`);
  }
}

export function putJson(
  store: ObjectStore,
  key: string,
  value: unknown,
  options: PutOptions = {},
): Promise<{ etag: string }> {
  return store.put(key, `${JSON.stringify(value)}\n`, { contentType: 'application/json', ...options });
}
