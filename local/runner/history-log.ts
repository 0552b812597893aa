// The execution history as the run goes: runs/<execution>/history.jsonl, one HistoryEvent per line in the order
// they happen (a map has one per item, so the events are never all held). In the local store (plain files) each
// line is appended as its event happens: a run killed half-way leaves its history up to that moment, which
// status and the graph read (local/ops/history.ts). S3 has no append: there the lines are spooled to a temporary
// file and put once at the end. The execution record and its map runs are runs/<execution>/execution.json.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { FileObjectStore } from '#shared/store/file-store.ts';
import type { ObjectStore } from '#shared/store/store.ts';
import { historyKey, type HistoryEvent } from './executions.ts';

export interface HistoryLog {
  /** Appends one event (a no-op once the log is closed: an aborted child that stops after the run ended). */
  write(e: HistoryEvent): void;
  /** Ends the log (and, spooled, puts it); the same promise however often it is called. */
  close(): Promise<void>;
}

/** Opens runs/<name>/history.jsonl for writing, from empty. */
export async function openHistoryLog(store: ObjectStore, name: string): Promise<HistoryLog> {
  const key = historyKey(name);
  if (store instanceof FileObjectStore) return over(await store.createWriteStream(key), async () => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'wistia-history-'));
  const file = join(dir, 'history.jsonl');
  return over(createWriteStream(file), async (ok) => {
    try {
      if (ok) await store.put(key, await readFile(file), { contentType: 'application/x-ndjson' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

function over(stream: WriteStream, after: (ok: boolean) => Promise<void>): HistoryLog {
  let error: Error | undefined;
  stream.on('error', (e) => (error ??= e));
  let closing: Promise<void> | undefined;
  return {
    write(e) {
      if (!stream.writableEnded) stream.write(`${JSON.stringify(e)}\n`);
    },
    close() {
      closing ??= (async () => {
        stream.end();
        await finished(stream).catch((e: Error) => (error ??= e));
        await after(!error);
        if (error) throw error;
      })();
      return closing;
    },
  };
}
