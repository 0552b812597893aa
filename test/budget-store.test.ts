// The account budget's stores (issue 16): the same compare-and-set contract over the in-memory store, the local
// JSON file under a lock (local/runner/budget-file.ts) and DynamoDB (moto's server, budget-dynamodb.ts); the
// bucket over each; and two OS processes sharing the file against one simulator at its rate limit.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountBudget, MemoryBudgetStore, type BudgetStore } from '#shared/wistia/account-budget.ts';
import { DynamoDbBudgetStore } from '#shared/wistia/budget-dynamodb.ts';
import { FileBudgetStore } from '#local/runner/budget-file.ts';
import { startMoto, type Moto } from './helpers/moto.ts';
import { ROOT, sim, TOKEN } from './helpers/sim.ts';

let moto: Moto;
let ddb: DynamoDBClient;
const dir = mkdtempSync(join(tmpdir(), 'budget-store-'));
const TABLE = 'RequestBudget';

beforeAll(async () => {
  // one request at a time: moto's threaded server can let two conditional writes both pass (helpers/moto.ts)
  moto = await startMoto({ serialized: true });
  ddb = new DynamoDBClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  // the table as infra/ declares it: partition key pk (string), on-demand, TTL on expiresAt
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await ddb.send(
    new UpdateTimeToLiveCommand({
      TableName: TABLE,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );
}, 60_000);

afterAll(async () => {
  ddb?.destroy();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const stores: Record<string, () => BudgetStore> = {
  memory: () => new MemoryBudgetStore(),
  file: () => new FileBudgetStore(join(dir, `b${n++}`, 'budget.json')),
  dynamodb: () => new DynamoDbBudgetStore(ddb, TABLE),
};
const state = (tokens: number) => ({ tokens, updatedAt: 1_000, pausedUntil: 0 });

describe.each(Object.keys(stores))('the %s budget store', (kind) => {
  const make = () => stores[kind]!();
  const key = () => `acct-${kind}-${n++}`;

  it.each([
    { name: 'creates an absent item as version 1', writes: [[undefined, true]], version: 1, tokens: 0 },
    {
      name: 'refuses to create an item that exists',
      writes: [
        [undefined, true],
        [undefined, false],
      ],
      version: 1,
      tokens: 0,
    },
    {
      name: 'updates on the current version',
      writes: [
        [undefined, true],
        [1, true],
        [2, true],
      ],
      version: 3,
      tokens: 2,
    },
    {
      name: 'refuses a stale version',
      writes: [
        [undefined, true],
        [1, true],
        [1, false],
      ],
      version: 2,
      tokens: 1,
    },
    { name: 'refuses an update of an absent item', writes: [[4, false]], version: undefined, tokens: undefined },
  ] as { name: string; writes: [number | undefined, boolean][]; version?: number; tokens?: number }[])(
    '$name',
    async (c) => {
      const s = make();
      const k = key();
      for (const [i, [expected, ok]] of c.writes.entries())
        expect(await s.put(k, state(i), expected, 2_000_000_000)).toBe(ok);
      const got = await s.get(k);
      expect(got?.version).toBe(c.version);
      expect(got?.state.tokens).toBe(c.tokens);
    },
  );

  it('loses no update under 12 concurrent compare-and-set writers', async () => {
    const s = make();
    const k = key();
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (;;) {
          const cur = await s.get(k);
          if (await s.put(k, state((cur?.state.tokens ?? 0) + 1), cur?.version, 2_000_000_000)) return;
        }
      }),
    );
    expect(await s.get(k)).toEqual({ state: state(12), version: 12 });
  });

  it('an AccountBudget over it lets 4 callers through at the rate, not faster', async () => {
    const store = make();
    const b = () => new AccountBudget(store, { key: `rate-${kind}`, perMinute: 1_200 }); // 20/s, burst 8
    const budgets = [b(), b(), b(), b()];
    const t0 = Date.now();
    const times: number[] = [];
    await Promise.all(
      budgets.map(async (bg) => {
        while (times.length < 48) {
          await bg.take();
          times.push(Date.now() - t0);
        }
      }),
    );
    // 48 (+ at most 3 taken while the last was counted) = 8 at once, then 40 at 20/s: about 2 s
    const last = Math.max(...times.slice(0, 48));
    expect(last).toBeGreaterThanOrEqual(1_800);
    expect(last).toBeLessThan(6_000); // not starved (moto answers one request at a time)
  }, 30_000);
});

describe('the DynamoDB store writes what TTL and the condition read', () => {
  it('keeps expiresAt in epoch seconds and the version as numbers; TTL is on expiresAt', async () => {
    const s = new DynamoDbBudgetStore(ddb, TABLE);
    expect(await s.put('ttl-check', state(3), undefined, 1_900_000_000)).toBe(true);
    const raw = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'ttl-check' } } }));
    expect(raw.Item).toMatchObject({ expiresAt: { N: '1900000000' }, version: { N: '1' }, tokens: { N: '3' } });
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
  });
  it('names the table and key of an item it cannot read', async () => {
    const s = new DynamoDbBudgetStore(ddb, TABLE);
    await new DynamoDbBudgetStore(ddb, TABLE).put('broken', state(1), undefined, 1_900_000_000);
    await ddb.send(
      new (await import('@aws-sdk/client-dynamodb')).UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: { S: 'broken' } },
        UpdateExpression: 'REMOVE tokens',
      }),
    );
    await expect(s.get('broken')).rejects.toThrow(/"broken" in RequestBudget has no number "tokens"/);
  });
});

describe('the file store under its lock', () => {
  it('takes over a stale lock left by a dead holder, and waits for a live one', async () => {
    const path = join(dir, 'stale', 'budget.json');
    const s = new FileBudgetStore(path, { staleLockMs: 500, lockTimeoutMs: 300 });
    writeFileSync(s.lockPath, '999999\n');
    // a fresh lock: the writer waits, then gives up naming the file
    await expect(s.put('k', state(1), undefined, 2_000_000_000)).rejects.toThrow(/could not lock .*budget\.json/);
    // the same lock, 10 s old: taken over
    const old = (Date.now() - 10_000) / 1000;
    utimesSync(s.lockPath, old, old);
    expect(await s.put('k', state(1), undefined, 2_000_000_000)).toBe(true);
    expect(existsSync(s.lockPath)).toBe(false);
    expect((await s.get('k'))?.version).toBe(1);
  });

  it('drops other buckets past their expiresAt on the next write (the TTL twin)', async () => {
    const s = new FileBudgetStore(join(dir, 'ttl', 'budget.json'));
    await s.put('old', state(1), undefined, Math.floor(Date.now() / 1000) - 1);
    await s.put('new', state(1), undefined, Math.floor(Date.now() / 1000) + 3600);
    expect(await s.get('old')).toBeUndefined();
    expect((await s.get('new'))?.version).toBe(1);
  });
});

describe('two OS processes share the file budget against one simulator at 120/min', () => {
  it('together: 0 x 429 and every rolling minute within the limit', async () => {
    const s = await sim({ rateLimitPerMinute: 120, latencyMs: 20 });
    try {
      const file = join(dir, 'two', 'budget.json');
      const spec = { baseUrl: s.baseUrl, token: TOKEN, file, perMinute: 114, seconds: 66, concurrency: 3 };
      const child = () =>
        new Promise<{ metrics: { requests: number; byStatus: Record<string, number> }; failed: number }>(
          (resolve, reject) => {
            const p = spawn(
              process.execPath,
              ['--import', 'tsx', join(ROOT, 'test', 'helpers', 'budget-child.ts'), JSON.stringify(spec)],
              { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
            );
            let out = '';
            let err = '';
            p.stdout.on('data', (d: Buffer) => (out += d.toString()));
            p.stderr.on('data', (d: Buffer) => (err += d.toString()));
            p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(err.slice(-2000)))));
          },
        );
      const [a, b] = await Promise.all([child(), child()]);
      const log = s
        .requestLog()
        .map((e) => e.atMs)
        .sort((x, y) => x - y);
      let worst = 0;
      for (let i = 0, j = 0; j < log.length; j++) {
        while (log[j]! - log[i]! >= 60_000) i++;
        worst = Math.max(worst, j - i + 1);
      }
      const statuses = s.requestLog().filter((e) => e.status === '429').length;
      expect(statuses).toBe(0);
      expect(a.failed + b.failed).toBe(0);
      expect(worst).toBeLessThanOrEqual(120);
      // both drew on it, and together they ran at the budget: 8 at once, then 114/min for 66 s (~133)
      expect(a.metrics.requests).toBeGreaterThan(30);
      expect(b.metrics.requests).toBeGreaterThan(30);
      expect(a.metrics.requests + b.metrics.requests).toBeGreaterThanOrEqual(115);
      expect(a.metrics.requests + b.metrics.requests).toBe(log.length);
    } finally {
      await s.close();
    }
  }, 120_000);
});
