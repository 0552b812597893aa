// The local object store: plain files under a directory, same keys as S3, MD5 ETags, conditional writes.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile, link, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  assertKey,
  type DeleteOptions,
  type ListedObject,
  type ObjectStore,
  type PutOptions,
  PreconditionFailedError,
  type StoredObject,
} from './store.ts';

const md5 = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;

export class FileObjectStore implements ObjectStore {
  readonly bucket: string;
  /** Serialises conditional writes per key within this process. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    readonly root: string,
    bucket = 'local',
  ) {
    this.bucket = bucket;
  }

  private path(key: string): string {
    assertKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: string | Buffer, options: PutOptions = {}): Promise<{ etag: string }> {
    const file = this.path(key);
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    await this.serialized(key, async () => {
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${randomUUID()}.tmp`;
      await writeFile(tmp, data);
      try {
        if (options.ifNoneMatch === '*') {
          // link() fails if the target exists: an atomic create-if-absent, across processes too
          try {
            await link(tmp, file);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new PreconditionFailedError(key);
            throw e;
          }
          return;
        }
        if (options.ifMatch !== undefined) {
          const current = await this.get(key);
          if (!current || current.etag !== options.ifMatch) throw new PreconditionFailedError(key);
        }
        await rename(tmp, file);
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    });
    return { etag: md5(data) };
  }

  /**
   * A stream writing the object at `key` from empty as its bytes come (not in ObjectStore: S3 has no append). For a
   * log a single writer appends to as things happen (runs/<execution>/history.jsonl): a reader sees it part-written,
   * and a writer killed half-way leaves what it wrote, its last line perhaps cut.
   */
  async createWriteStream(key: string): Promise<WriteStream> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    return createWriteStream(file, { flags: 'w' });
  }

  /** Runs `fn` after every earlier write or delete of `key` in this process has settled. */
  private async serialized(key: string, fn: () => Promise<void>): Promise<void> {
    const run = (this.locks.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const body = await readFile(this.path(key));
      return { body, etag: md5(body) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    // Walk the deepest directory the prefix names, then filter by the full prefix (as S3 does).
    const slash = prefix.lastIndexOf('/');
    const dir = slash >= 0 ? join(this.root, ...prefix.slice(0, slash).split('/').filter(Boolean)) : this.root;
    const keys: string[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const ent of entries) {
        const full = join(d, ent.name);
        if (ent.isDirectory()) await walk(full);
        else if (!ent.name.endsWith('.tmp')) {
          const key = relative(this.root, full).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    await walk(dir);
    keys.sort();
    for (const key of keys) {
      const o = await this.get(key);
      if (o) yield { key, size: (await stat(this.path(key))).size, etag: o.etag };
    }
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const file = this.path(key);
    if (options.ifMatch === undefined) {
      await rm(file, { force: true });
      return;
    }
    // Conditional: serialised with the conditional writes of this key (within this process, as they are).
    await this.serialized(key, async () => {
      const current = await this.get(key);
      if (!current) return;
      if (current.etag !== options.ifMatch) throw new PreconditionFailedError(key);
      await rm(file, { force: true });
    });
  }
}
