// The account budget's store locally: the same compare-and-set interface as the DynamoDB table
// (functions/shared/wistia/budget-dynamodb.ts) over a JSON file, <data-dir>/budget.json by default, so every
// run on the data dir (and any OS process pointed at the same file) draws on one bucket.
// - A write takes a lock file beside it (created with O_EXCL: exactly one process succeeds), re-reads the file,
//   checks the version, writes a temporary file and renames it over the JSON (a rename is atomic on one file
//   system, so a reader without the lock sees the old or the new file, never half of one), then drops the lock.
// - A lock older than `staleLockMs` (its holder died between create and unlink) is taken over: renamed away
//   (only one process wins the rename) and removed. Holding it takes microseconds, so 2 s is generous.
// - An item past its `expiresAt` is deleted by the next write to the file, as DynamoDB's TTL deletes it some
//   time after (until then it reads as it was, as there).
// - Reads take no lock: the rename makes them consistent, and a read is only a snapshot anyway (the write's
//   condition is checked under the lock).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BucketState, BudgetStore, VersionedBucket } from '#shared/wistia/account-budget.ts';

interface FileItem extends VersionedBucket {
  readonly expiresAt: number;
}
type FileContent = Record<string, FileItem>;

export interface FileBudgetStoreOptions {
  /** A lock older than this is a dead holder's: taken over. Default 2000 ms. */
  readonly staleLockMs?: number;
  /** Give up taking the lock after this long. Default 10 s. */
  readonly lockTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FileBudgetStore implements BudgetStore {
  readonly lockPath: string;
  private readonly staleLockMs: number;
  private readonly lockTimeoutMs: number;

  constructor(
    readonly path: string,
    o: FileBudgetStoreOptions = {},
  ) {
    this.lockPath = `${path}.lock`;
    this.staleLockMs = o.staleLockMs ?? 2000;
    this.lockTimeoutMs = o.lockTimeoutMs ?? 10_000;
    mkdirSync(dirname(path), { recursive: true });
  }

  async get(key: string): Promise<VersionedBucket | undefined> {
    const i = (await this.read())[key];
    return i && { state: i.state, version: i.version };
  }

  async put(key: string, state: BucketState, expected: number | undefined, expiresAt: number): Promise<boolean> {
    await this.lock();
    try {
      const all = await this.read();
      if (all[key]?.version !== expected) return false;
      // TTL's twin: other buckets past their expiresAt are dropped (this one is rewritten)
      const now = Date.now() / 1000;
      const next: FileContent = {};
      for (const [k, v] of Object.entries(all)) if (v.expiresAt > now) next[k] = v;
      next[key] = { state, version: (expected ?? 0) + 1, expiresAt };
      const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, JSON.stringify(next));
      await rename(tmp, this.path);
      return true;
    } finally {
      await rm(this.lockPath, { force: true });
    }
  }

  private async read(): Promise<FileContent> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as FileContent;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`the request budget file ${this.path} is unreadable (${(e as Error).message}): delete it`);
    }
  }

  private async lock(): Promise<void> {
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let n = 0; ; n++) {
      try {
        const h = await open(this.lockPath, 'wx');
        await h.writeFile(`${process.pid}\n`);
        await h.close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const age = await stat(this.lockPath).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > this.staleLockMs) {
        const aside = `${this.lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
        // one process wins the rename; the others find no lock (or a fresh one) and try again
        if (
          await rename(this.lockPath, aside).then(
            () => true,
            () => false,
          )
        )
          await rm(aside, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`could not lock the request budget file ${this.path} within ${this.lockTimeoutMs} ms`);
      await sleep(Math.min(20, 1 + n) * Math.random());
    }
  }
}
