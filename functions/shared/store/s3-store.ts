// The object store on S3 (@aws-sdk/client-s3): paged listing, conditional writes (If-Match / If-None-Match).
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  assertKey,
  type DeleteOptions,
  type ListedObject,
  type ObjectStore,
  type PutOptions,
  PreconditionFailedError,
  type StoredObject,
} from './store.ts';

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: string | Buffer, options: PutOptions = {}): Promise<{ etag: string }> {
    assertKey(key);
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: typeof body === 'string' ? Buffer.from(body) : body,
          ContentType: options.contentType ?? 'application/octet-stream',
          ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
          ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
        }),
      );
      return { etag: out.ETag ?? '' };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409 || (e as Error).name === 'PreconditionFailed')
        throw new PreconditionFailedError(key);
      // If-Match over an object deleted since it was read: S3 documents 412 for a mismatch and says nothing of a
      // missing key [unconfirmed: a 404 NoSuchKey is possible]; either way the write lost the race.
      if (options.ifMatch !== undefined && (status === 404 || (e as Error).name === 'NoSuchKey'))
        throw new PreconditionFailedError(key);
      throw e;
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    assertKey(key);
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const bytes = await out.Body?.transformToByteArray();
      return { body: Buffer.from(bytes ?? []), etag: out.ETag ?? '' };
    } catch (e) {
      if (
        (e as Error).name === 'NoSuchKey' ||
        (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      )
        return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? []) if (o.Key) yield { key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '' };
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    assertKey(key);
    try {
      await this.s3.send(
        new DeleteObjectCommand({
          Bucket: this.bucket,
          Key: key,
          // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html: 412 on an ETag
          // mismatch, 409 on a concurrent write, 404 when the key is gone (then there is nothing to delete).
          ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
        }),
      );
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (options.ifMatch !== undefined && (status === 404 || (e as Error).name === 'NoSuchKey')) return;
      if (status === 412 || status === 409 || (e as Error).name === 'PreconditionFailed')
        throw new PreconditionFailedError(key);
      throw e;
    }
  }
}
