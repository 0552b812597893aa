// One contract for both object stores: the local plain-file store and the S3 adapter against a real
// S3-compatible server (moto): same keys, paged listing past 1,000 objects, conditional writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { S3ObjectStore } from '#shared/store/s3-store.ts';
import { getJson, PreconditionFailedError, putJson, type ObjectStore } from '#shared/store/store.ts';
import { startMoto, type Moto } from './helpers/moto.ts';
import { openHistoryLog } from '#local/runner/history-log.ts';
import { readHistory } from '#local/ops/history.ts';

let moto: Moto;
let dir: string;
const stores: Record<string, () => ObjectStore> = {};

beforeAll(async () => {
  moto = await startMoto();
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'wistia-bronze-test' }));
  dir = mkdtempSync(join(tmpdir(), 'store-'));
  stores.file = () => new FileObjectStore(dir, 'local');
  stores.s3 = () => new S3ObjectStore(moto.s3, 'wistia-bronze-test');
}, 60_000);
afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['file', 's3'])('%s object store', (kind) => {
  const store = () => (stores[kind] as () => ObjectStore)();

  it('puts and gets bytes and JSON under the same keys, with an ETag that changes with the content', async () => {
    const s = store();
    const a = await s.put(
      'bronze/events/ingest_date=2026-11-20/run=r1/window=2026-11-19_2026-11-19/page-00001.json',
      'one',
    );
    const got = await s.get('bronze/events/ingest_date=2026-11-20/run=r1/window=2026-11-19_2026-11-19/page-00001.json');
    expect(got?.body.toString()).toBe('one');
    expect(got?.etag).toBe(a.etag);
    const b = await putJson(s, 'state/x.json', { n: 1, name: 'Café 製品' });
    expect(b.etag).not.toBe(a.etag);
    expect((await getJson(s, 'state/x.json'))?.value).toEqual({ n: 1, name: 'Café 製品' });
    expect(await s.get('state/missing.json')).toBeUndefined();
  });

  it('lists every object under a prefix in key order, past one page (1,000) of results', async () => {
    const s = store();
    const keys = Array.from({ length: 1_205 }, (_, i) => `runs/r-list/items/k-${String(i).padStart(5, '0')}.json`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => s.put(k, '{}')));
    await s.put('runs/r-list-other/x.json', '{}');
    const listed: string[] = [];
    for await (const o of s.list('runs/r-list/')) listed.push(o.key);
    expect(listed).toEqual(keys);
    const some: string[] = [];
    for await (const o of s.list('runs/r-list/items/k-0120')) some.push(o.key);
    expect(some).toEqual(keys.slice(1200, 1205).filter((k) => k.includes('k-0120')));
  });

  it('honours conditional writes: If-None-Match * creates once, If-Match writes only over the ETag read', async () => {
    const s = store();
    const key = `state/watermarks-${kind}.json`;
    const first = await s.put(key, 'v1', { ifNoneMatch: '*' });
    await expect(s.put(key, 'v1-again', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    const second = await s.put(key, 'v2', { ifMatch: first.etag });
    await expect(s.put(key, 'v3', { ifMatch: first.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await s.get(key))?.body.toString()).toBe('v2');
    // Two writers racing on the same ETag: exactly one wins.
    const results = await Promise.allSettled([
      s.put(key, 'a', { ifMatch: second.etag }),
      s.put(key, 'b', { ifMatch: second.etag }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof PreconditionFailedError)).toHaveLength(
      1,
    );
    // If-Match over an object deleted since it was read (a released lease): the write lost, nothing is created
    const gone = `state/gone-${kind}.json`;
    const read = await s.put(gone, 'x');
    await s.delete(gone);
    await expect(s.put(gone, 'y', { ifMatch: read.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(await s.get(gone)).toBeUndefined();
  });

  it('deletes, and refuses keys that would escape the layout', async () => {
    const s = store();
    await s.put('tmp/del.json', 'x');
    await s.delete('tmp/del.json');
    expect(await s.get('tmp/del.json')).toBeUndefined();
    for (const bad of ['../etc/passwd', '/abs', 'a//b', 'a/./b', ''])
      await expect(s.put(bad, 'x')).rejects.toThrow(/invalid object key/);
  });
});

describe('the execution history log (local/runner/history-log.ts) on both stores', () => {
  const started = { timestamp: '2026-11-20T06:00:00.000Z', type: 'ExecutionStarted' };
  const entered = { timestamp: '2026-11-20T06:00:01.000Z', type: 'StateEntered', state: 'Plan the run' };

  it('appends to the file as it goes locally; on S3 (no append) puts the same lines once, as it closes', async () => {
    for (const kind of ['file', 's3']) {
      const s = (stores[kind] as () => ObjectStore)();
      const log = await openHistoryLog(s, `log-${kind}`);
      log.write(started);
      log.write(entered);
      if (kind === 's3') expect(await s.get(`runs/log-${kind}/history.jsonl`)).toBeUndefined();
      await log.close();
      const body = (await s.get(`runs/log-${kind}/history.jsonl`))?.body.toString('utf8');
      expect([kind, body]).toEqual([kind, `${JSON.stringify(started)}\n${JSON.stringify(entered)}\n`]);
      expect((await readHistory(s, `log-${kind}`))?.events).toEqual([started, entered]);
    }
  });
});
