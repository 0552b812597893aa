// The run lease (state/run-lease.json): one execution at a time spends the account's request budget. A second
// execution beside a running one (a Scheduler retry, a replay, a backfill overlapping the next day) fails at once
// with RunInProgressError, having made no Wistia request; a lease whose holder no longer runs (it failed, or its
// runner was killed) is taken over; the commit releases it. On both stores: files, and S3 (moto) with the SDK's
// conditional writes and deletes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { S3ObjectStore } from '#shared/store/s3-store.ts';
import { getJson, type ObjectStore } from '#shared/store/store.ts';
import type { ExecutionStatus } from '#shared/pipeline/deps.ts';
import { LEASE_KEY } from '#shared/pipeline/keys.ts';
import { acquireLease, releaseLease, RunInProgressError, type RunLease } from '#shared/pipeline/lease.ts';
import { readWatermarks } from '#shared/pipeline/watermarks.ts';
import { localExecutionArn, localExecutionStatus } from '#local/runner/run.ts';
import { readHistory } from '#local/ops/history.ts';
import { makeHandler as eventPages } from '../functions/event-pages/handler.ts';
import { localStore, run, tempDir } from './helpers/pipeline.ts';
import { ROOT, sim as startSim, TOKEN } from './helpers/sim.ts';
import { startMoto, type Moto } from './helpers/moto.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
async function account(opts: Parameters<typeof startSim>[0] = {}): Promise<{ sim: WistiaSimulator; dir: string }> {
  const sim = await startSim({ medias: 20, historyDays: 60, eventsPerMediaPerDay: 0.5, ...opts });
  const dir = tempDir('wp-lease-');
  cleanup.push(
    () => sim.close(),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  return { sim, dir };
}
/** A Lambda task's failure: the cause is the function's error payload (JSON), as lambda:invoke reports it. */
const message = (r: { cause?: string }) =>
  String((JSON.parse(String(r.cause)) as { errorMessage?: string }).errorMessage);
const lease = async (store: ObjectStore) => (await getJson<RunLease>(store, LEASE_KEY))?.value;
const planOf = async (store: ObjectStore, name: string) =>
  (
    await getJson<{ today: string; lease: { takenOverFrom?: Record<string, string> } }>(
      store,
      `runs/${name}/manifest.json`,
    )
  )?.value;

describe('two executions at once, locally', () => {
  it('the second fails at once with RunInProgressError, making no request; a replay too; the lease is released at the end', async () => {
    const { sim, dir } = await account();
    const store = localStore(dir);
    // The first execution waits inside its events map (holding the lease) until the test lets it go on.
    let reached!: () => void;
    let release!: () => void;
    const atGate = new Promise<void>((r) => (reached = r));
    const gate = new Promise<void>((r) => (release = r));
    const first = run(sim, dir, {
      handlers: {
        EventPagesFunctionArn: (deps) => {
          const real = eventPages(deps);
          return async (e, c) => {
            reached();
            await gate;
            return real(e, c);
          };
        },
      },
    });
    await atGate;
    const holder = (await lease(store))?.holder;
    expect(holder?.executionName).toMatch(/^daily-2026-11-20-/);
    expect(holder?.executionArn).toBe(localExecutionArn(String(holder?.executionName)));
    const before = sim.getCounters().total;

    const second = await run(sim, dir);
    expect([second.status, second.error]).toEqual(['FAILED', 'RunInProgressError']);
    expect(message(second)).toContain(`execution "${holder?.executionName}" (${holder?.executionArn}) is RUNNING`);
    expect(message(second)).toContain('holds the run lease state/run-lease.json');
    expect(message(second)).toContain('stopped before making any Wistia request');
    expect(second.requests).toBe(0);
    expect(sim.getCounters().total).toBe(before);
    expect(existsSync(join(dir, 'store', 'runs', second.name, 'manifest.json'))).toBe(false);
    // not retried: the plan ran once
    const h = await readHistory(store, second.name);
    expect(h?.events.filter((e) => e.type === 'StateRetried')).toEqual([]);

    const replay = await run(sim, dir, { input: { replay: String(holder?.executionName) } });
    expect([replay.status, replay.error, replay.requests]).toEqual(['FAILED', 'RunInProgressError', 0]);
    expect((await lease(store))?.holder).toEqual(holder);

    release();
    const done = await first;
    expect([done.status, done.error, done.name]).toEqual(['SUCCEEDED', undefined, holder?.executionName]);
    expect(await lease(store)).toBeUndefined();
    expect((await readWatermarks(store)).value?.lastRun?.runId).toBe(done.name);
    // with the lease free again, the next run goes ahead
    const third = await run(sim, dir);
    expect([third.status, third.error]).toEqual(['SUCCEEDED', undefined]);
    expect((await planOf(store, third.name))?.lease.takenOverFrom).toBeUndefined();
  });
});

describe('a lease whose holder no longer runs is taken over', () => {
  it("a killed runner's lease: refused while its process lives, taken over once it is killed", async () => {
    const { sim, dir } = await account();
    const store = localStore(dir);
    sim.configure({ latencyMs: 200 }); // the other runner's day takes a while: time to look at it mid-run
    const child = spawn(
      join(ROOT, 'node_modules', 'node', 'bin', 'node'),
      ['--import', 'tsx', join(ROOT, 'test', 'helpers', 'lease-runner.ts'), dir, sim.baseUrl, '2026-11-20'],
      {
        cwd: ROOT,
        env: { ...process.env, WISTIA_API_TOKEN: TOKEN, POWERTOOLS_LOG_LEVEL: 'SILENT' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit');
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    let held: RunLease | undefined;
    for (const deadline = Date.now() + 120_000; !held;) {
      held = await lease(store);
      if (child.exitCode !== null) throw new Error(`the other runner ended before taking the lease:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`the other runner took no lease in 2 minutes:\n${stderr}`);
      if (!held) await new Promise((r) => setTimeout(r, 50));
    }
    const other = held.holder;
    const runner = (await getJson<{ pid: number }>(store, `runs/${other.executionName}/runner.json`))?.value;
    expect(runner?.pid).toBe(child.pid);
    expect(await localExecutionStatus(store, other.executionArn)).toBe('RUNNING');

    const refused = await run(sim, dir);
    expect([refused.status, refused.error, refused.requests]).toEqual(['FAILED', 'RunInProgressError', 0]);
    expect(message(refused)).toContain(`execution "${other.executionName}"`);

    child.kill('SIGKILL');
    expect((await exited)[1]).toBe('SIGKILL');
    expect(await localExecutionStatus(store, other.executionArn)).toBe('ABORTED');
    sim.configure({ latencyMs: 0 });
    const next = await run(sim, dir);
    expect([next.status, next.error]).toEqual(['SUCCEEDED', undefined]);
    expect((await planOf(store, next.name))?.lease.takenOverFrom).toMatchObject({
      executionArn: other.executionArn,
      status: 'ABORTED',
    });
    expect(await lease(store)).toBeUndefined();
    expect((await readWatermarks(store)).value?.lastRun?.runId).toBe(next.name);
  });

  it('a replay after a failed run takes the failed run’s lease over, and releases it', async () => {
    const { sim, dir } = await account({ medias: 40 });
    const store = localStore(dir);
    const victims = sim.world
      .visibleMedias()
      .slice(0, 6)
      .map((m) => m.hashedId);
    sim.configure({ failMedias: Object.fromEntries(victims.map((v) => [v, 500])) });
    const failed = await run(sim, dir, { clientOptions: { backoffBaseMs: 2, backoffMaxMs: 5, maxAttempts: 1 } });
    expect([failed.status, failed.error]).toEqual(['FAILED', 'States.ExceedToleratedFailureThreshold']);
    // a failed run never reaches the commit: its lease stays, held by an execution that no longer runs
    expect((await lease(store))?.holder.executionName).toBe(failed.name);
    expect(await localExecutionStatus(store, failed.arn)).toBe('FAILED');

    sim.configure({ failMedias: {} });
    sim.resetCounters();
    const replay = await run(sim, dir, { input: { replay: failed.name } });
    expect([replay.status, replay.error]).toEqual(['SUCCEEDED', undefined]);
    expect((await planOf(store, replay.name))?.lease.takenOverFrom).toMatchObject({
      executionArn: failed.arn,
      status: 'FAILED',
    });
    expect(sim.getCounters().byRoute['/medias'] ?? 0).toBe(0); // a replay, not a new day
    expect(await lease(store)).toBeUndefined();
    expect((await readWatermarks(store)).value?.lastRun?.runId).toBe(replay.name);
  });
});

describe("the run's day", () => {
  it("is the Scheduler's scheduledTime (UTC) when no `today` is given; a malformed one fails before the lease", async () => {
    const { sim, dir } = await account();
    const store = localStore(dir);
    const bad = await run(sim, dir, { input: { scheduledTime: '20 Nov 2026' } });
    expect([bad.status, bad.error, bad.requests]).toEqual(['FAILED', 'InvalidInputError', 0]);
    expect(message(bad)).toContain('scheduledTime: "20 Nov 2026" does not match');
    expect(await lease(store)).toBeUndefined();
    // 23:30 in UTC-05:00 is the next day in UTC; the simulator's today is 2026-11-20
    const r = await run(sim, dir, { input: { scheduledTime: '2026-11-19T23:30:00-05:00' } });
    expect([r.status, r.error]).toEqual(['SUCCEEDED', undefined]);
    expect(r.name).toMatch(/^daily-2026-11-20-/);
    expect((await planOf(store, r.name))?.today).toBe('2026-11-20');
    expect((await readWatermarks(store)).value?.events?.throughDay).toBe('2026-11-20');
  });
});

describe.each(['files', 'S3 (moto)'])('acquire and release on %s', (kind) => {
  let moto: Moto | undefined;
  let store: ObjectStore;
  let dir: string | undefined;
  beforeAll(async () => {
    if (kind === 'files') {
      dir = tempDir('wp-lease-store-');
      store = new FileObjectStore(dir, 'local');
    } else {
      moto = await startMoto();
      await moto.s3.send(new CreateBucketCommand({ Bucket: 'wistia-lease-test' }));
      store = new S3ObjectStore(moto.s3, 'wistia-lease-test');
    }
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const arn = (n: string) => `arn:aws:states:us-east-1:111111111111:execution:wistia-ingest:${n}`;
  const holder = (n: string) => ({ executionArn: arn(n), executionName: n, startedAt: '2026-11-20T06:00:00.000Z' });
  const deps = (statuses: Record<string, ExecutionStatus | undefined>) => ({
    store,
    now: () => new Date('2026-11-20T06:00:01Z'),
    executionStatus: async (a: string) => statuses[a],
  });

  it('takes a free lease, keeps it for its holder, refuses others while the holder runs, takes it over after', async () => {
    const a = await acquireLease(deps({}), holder('a'));
    expect((await lease(store))?.holder.executionName).toBe('a');
    // the holder's retried plan keeps it
    expect((await acquireLease(deps({}), holder('a'))).etag).toBe(a.etag);
    for (const status of ['RUNNING', 'PENDING_REDRIVE'] as const)
      await expect(acquireLease(deps({ [arn('a')]: status }), holder('b'))).rejects.toThrow(RunInProgressError);
    expect((await lease(store))?.holder.executionName).toBe('a');
    const b = await acquireLease(deps({ [arn('a')]: 'TIMED_OUT' }), holder('b'));
    expect(b.takenOverFrom).toEqual({
      executionArn: arn('a'),
      status: 'TIMED_OUT',
      acquiredAt: '2026-11-20T06:00:01.000Z',
    });
    expect((await lease(store))?.holder.executionName).toBe('b');
    // a has ended: its release leaves b's lease alone
    expect(await releaseLease(store, arn('a'), a)).toBe('held by another execution');
    expect((await lease(store))?.holder.executionName).toBe('b');
    expect(await releaseLease(store, arn('b'), b)).toBe('released');
    expect(await lease(store)).toBeUndefined();
    expect(await releaseLease(store, arn('b'), b)).toBe('released'); // a retried commit: nothing left to delete
  });

  it('two executions taking a free lease at once: exactly one gets it', async () => {
    const statuses = { [arn('c')]: 'RUNNING', [arn('d')]: 'RUNNING' } as const;
    const results = await Promise.allSettled([
      acquireLease(deps(statuses), holder('c')),
      acquireLease(deps(statuses), holder('d')),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(RunInProgressError);
    const won = (await lease(store))?.holder.executionName as string;
    expect(['c', 'd']).toContain(won);
    expect(await releaseLease(store, arn(won), undefined)).toBe('released');
  });

  it('a holder that does not exist (past retention) does not block', async () => {
    await acquireLease(deps({}), holder('e'));
    const f = await acquireLease(deps({}), holder('f'));
    expect(f.takenOverFrom?.status).toBe('DOES_NOT_EXIST');
    expect(await releaseLease(store, arn('f'), f)).toBe('released');
  });
});
