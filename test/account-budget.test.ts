// The account's request budget (functions/shared/wistia/account-budget.ts) on a fake clock: many leasers, each
// its own AccountBudget over one store (as separate Lambdas are), clocks skewed, items starting and ending; the
// worst rolling minute of what they were let to send is counted against Wistia's 600.
import { describe, expect, it } from 'vitest';
import {
  AccountBudget,
  leaseFrom,
  MemoryBudgetStore,
  type BucketState,
  type BudgetStore,
  type VersionedBucket,
} from '#shared/wistia/account-budget.ts';

/** A discrete-event clock: sleeps resolve in time order once every caller is waiting. */
class FakeClock {
  t = 1_800_000_000_000;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve }));
  /** Runs until `until` (ms after the start) or until nothing is waiting. */
  async run(untilMs: number): Promise<void> {
    const end = this.t + untilMs;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (!this.timers.length) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      if (next.at > end) return;
      this.t = next.at;
      next.resolve();
    }
  }
}

/** A store whose every call takes `latencyMs` of simulated time, the compare-and-set at the midpoint. */
class SlowStore implements BudgetStore {
  constructor(
    private readonly inner: MemoryBudgetStore,
    private readonly clock: FakeClock,
    private readonly latencyMs: number,
  ) {}
  async get(key: string): Promise<VersionedBucket | undefined> {
    await this.clock.sleep(this.latencyMs / 2);
    const r = await this.inner.get(key);
    await this.clock.sleep(this.latencyMs / 2);
    return r;
  }
  async put(key: string, state: BucketState, expected: number | undefined, expiresAt: number): Promise<boolean> {
    await this.clock.sleep(this.latencyMs / 2);
    const r = await this.inner.put(key, state, expected, expiresAt);
    await this.clock.sleep(this.latencyMs / 2);
    return r;
  }
}

/** Most timestamps in any window [t, t + windowMs). */
function worstWindow(times: number[], windowMs = 60_000): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < s.length; j++) {
    while (s[j]! - s[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

interface Scenario {
  readonly name: string;
  readonly leasers: number;
  /** Requests in flight per leaser (each waits its turn, then `requestMs`). */
  readonly concurrency: number;
  readonly requestMs: number;
  readonly perMinute?: number;
  /** Each leaser's clock offset is drawn in [-skewMs, +skewMs] (or given). */
  readonly skewMs?: number;
  readonly skews?: number[];
  /** Leasers live for `lifeMs` (a map item), then a fresh one starts in the slot. */
  readonly lifeMs?: number;
  readonly minutes: number;
  /** Lowest sustained rate expected (requests/min over the run). */
  readonly atLeastPerMinute: number;
}

async function simulate(sc: Scenario) {
  const clock = new FakeClock();
  const store = new SlowStore(new MemoryBudgetStore(), clock, 6);
  const random = lcg(sc.leasers * 7919 + sc.concurrency);
  const sent: number[] = [];
  const budgets: AccountBudget[] = [];
  const start = clock.t;
  const end = start + sc.minutes * 60_000;
  const slot = async (i: number) => {
    const skew = sc.skews?.[i] ?? (sc.skewMs ? Math.round((random() * 2 - 1) * sc.skewMs) : 0);
    // items start at different moments, like a map's children
    await clock.sleep(Math.floor(random() * 500));
    while (clock.t < end) {
      const born = clock.t;
      const b = new AccountBudget(store, {
        ...(sc.perMinute ? { perMinute: sc.perMinute } : {}),
        now: () => clock.t + skew,
        sleep: clock.sleep,
        random,
      });
      budgets.push(b);
      const worker = async () => {
        while (clock.t < end && (!sc.lifeMs || clock.t - born < sc.lifeMs)) {
          await b.take();
          if (clock.t >= end) return;
          sent.push(clock.t);
          await clock.sleep(sc.requestMs);
        }
      };
      await Promise.all(Array.from({ length: sc.concurrency }, worker));
      if (!sc.lifeMs) return;
      await clock.sleep(50 + Math.floor(random() * 200)); // the next item's start-up
    }
  };
  const all = Promise.all(Array.from({ length: sc.leasers }, (_, i) => slot(i)));
  await clock.run(sc.minutes * 60_000 + 5_000);
  void all;
  const stats = budgets.reduce(
    (a, b) => ({
      reads: a.reads + b.stats.reads,
      writes: a.writes + b.stats.writes,
      conflicts: a.conflicts + b.stats.conflicts,
      taken: a.taken + b.stats.taken,
    }),
    { reads: 0, writes: 0, conflicts: 0, taken: 0 },
  );
  return { sent, worst: worstWindow(sent), perMinute: sent.length / sc.minutes, stats };
}

describe('AccountBudget: the worst rolling minute of many leasers stays within 600', () => {
  const cases: Scenario[] = [
    {
      name: 'one sequential pager (150 ms)',
      leasers: 1,
      concurrency: 1,
      requestMs: 150,
      minutes: 3,
      atLeastPerMinute: 390,
    },
    {
      name: '10 map slots, sequential, 150 ms',
      leasers: 10,
      concurrency: 1,
      requestMs: 150,
      minutes: 4,
      // the whole 570/min: with a bucket of one token more than a lease, a late wake-up loses no refill
      atLeastPerMinute: 568,
    },
    {
      name: '10 slots of 2-request items (start-up between)',
      leasers: 10,
      concurrency: 1,
      requestMs: 150,
      lifeMs: 300,
      minutes: 4,
      atLeastPerMinute: 540,
    },
    {
      name: '40 slots x 4 in flight, 80 ms',
      leasers: 40,
      concurrency: 4,
      requestMs: 80,
      minutes: 3,
      atLeastPerMinute: 568,
    },
    {
      name: '20 slots at 580/min, items of 3 s',
      leasers: 20,
      concurrency: 2,
      requestMs: 150,
      perMinute: 580,
      lifeMs: 3_000,
      minutes: 4,
      atLeastPerMinute: 500,
    },
    {
      name: 'clocks skewed +-500 ms',
      leasers: 12,
      concurrency: 2,
      requestMs: 150,
      skewMs: 500,
      lifeMs: 2_000,
      minutes: 4,
      atLeastPerMinute: 500,
    },
    {
      name: 'one clock 30 s ahead, the others 30 s behind',
      leasers: 6,
      concurrency: 2,
      requestMs: 150,
      skews: [30_000, -30_000, -30_000, -30_000, -30_000, -30_000],
      minutes: 3,
      atLeastPerMinute: 0,
    },
    {
      name: 'clocks spread over 2 minutes, items of 1 s',
      leasers: 8,
      concurrency: 2,
      requestMs: 100,
      skewMs: 60_000,
      lifeMs: 1_000,
      minutes: 4,
      atLeastPerMinute: 0,
    },
  ];
  it.each(cases)(
    '$name',
    async (sc) => {
      const r = await simulate(sc);
      expect(r.worst).toBeLessThanOrEqual(600);
      // the bound the module's header derives: two bursts and the rate over 60 s plus the lease TTL
      const rate = sc.perMinute ?? 570;
      expect(r.worst).toBeLessThanOrEqual(Math.floor(2 * 5 + (rate * 61) / 60));
      expect(r.perMinute).toBeGreaterThanOrEqual(sc.atLeastPerMinute);
      // the lease amortises the store: fewer writes than requests whenever a caller sends several in a row
      if (!sc.lifeMs) expect(r.stats.writes).toBeLessThan(r.sent.length / 3);
    },
    60_000,
  );

  it('without the budget the same 10 slots would send far over the limit (the check can fail)', async () => {
    const sent: number[] = [];
    const clock = new FakeClock();
    const end = clock.t + 60_000;
    const slot = async () => {
      while (clock.t < end) {
        sent.push(clock.t);
        await clock.sleep(150);
      }
    };
    const all = Promise.all(Array.from({ length: 10 }, slot));
    await clock.run(61_000);
    void all;
    expect(worstWindow(sent)).toBeGreaterThan(3_000);
  });
});

describe('leaseFrom: one step of the bucket', () => {
  const o = { perMinute: 600, burst: 4 };
  const at = 1_000_000;
  const cases: {
    name: string;
    state: BucketState | undefined;
    now: number;
    want: number;
    granted: number;
    tokens: number;
    updatedAt: number;
    waitMs: number;
  }[] = [
    {
      name: 'a new bucket starts full',
      state: undefined,
      now: at,
      want: 4,
      granted: 4,
      tokens: 0,
      updatedAt: at,
      waitMs: 0,
    },
    {
      name: 'takes a whole lease when it is there',
      state: { tokens: 3.5, updatedAt: at, pausedUntil: 0 },
      now: at,
      want: 3,
      granted: 3,
      tokens: 0.5,
      updatedAt: at,
      waitMs: 0,
    },
    {
      name: 'refills at the rate (10/s)',
      state: { tokens: 0, updatedAt: at, pausedUntil: 0 },
      now: at + 250,
      want: 2,
      granted: 2,
      tokens: 0.5,
      updatedAt: at + 250,
      waitMs: 0,
    },
    {
      name: 'refill is capped at the burst',
      state: { tokens: 0, updatedAt: at, pausedUntil: 0 },
      now: at + 3_600_000,
      want: 9,
      granted: 4,
      tokens: 0,
      updatedAt: at + 3_600_000,
      waitMs: 0,
    },
    {
      name: 'short of a lease: wait until it is there',
      state: { tokens: 2.5, updatedAt: at, pausedUntil: 0 },
      now: at,
      want: 4,
      granted: 0,
      tokens: 2.5,
      updatedAt: at,
      waitMs: 150,
    },
    {
      name: 'a clock behind refills nothing and keeps the bucket time',
      state: { tokens: 0.5, updatedAt: at, pausedUntil: 0 },
      now: at - 30_000,
      want: 1,
      granted: 0,
      tokens: 0.5,
      updatedAt: at,
      waitMs: 50,
    },
    {
      name: 'a clock behind takes only what is there',
      state: { tokens: 3, updatedAt: at, pausedUntil: 0 },
      now: at - 30_000,
      want: 3,
      granted: 3,
      tokens: 0,
      updatedAt: at,
      waitMs: 0,
    },
    {
      name: 'a clock ahead gets at most one burst',
      state: { tokens: 0, updatedAt: at, pausedUntil: 0 },
      now: at + 30_000,
      want: 9,
      granted: 4,
      tokens: 0,
      updatedAt: at + 30_000,
      waitMs: 0,
    },
    {
      name: 'paused: no grant, wait out the pause on bucket time',
      state: { tokens: 4, updatedAt: at, pausedUntil: at + 5_000 },
      now: at + 1_000,
      want: 4,
      granted: 0,
      tokens: 4,
      updatedAt: at,
      waitMs: 4_000,
    },
    {
      name: 'paused, seen by a clock behind: the bucket time counts',
      state: { tokens: 4, updatedAt: at + 1_000, pausedUntil: at + 5_000 },
      now: at - 10_000,
      want: 4,
      granted: 0,
      tokens: 4,
      updatedAt: at + 1_000,
      waitMs: 4_000,
    },
    {
      name: 'after the pause: the bucket refills from the pause',
      state: { tokens: 0, updatedAt: at, pausedUntil: at + 5_000 },
      now: at + 5_000,
      want: 4,
      granted: 4,
      tokens: 0,
      updatedAt: at + 5_000,
      waitMs: 0,
    },
  ];
  it.each(cases)('$name', (c) => {
    const r = leaseFrom(c.state, c.now, c.want, o);
    expect(r.granted).toBe(c.granted);
    expect(r.next.tokens).toBeCloseTo(c.tokens, 9);
    expect(r.next.updatedAt).toBe(c.updatedAt);
    expect(r.waitMs).toBe(c.waitMs);
  });
});

describe('AccountBudget: leases, expiry and the account-wide pause', () => {
  it.each([
    { name: 'a sequential caller leases 1, 1, 2, 4: 8 requests, 4 round trips', takes: 8, reads: 4, writes: 4 },
    { name: '24 requests: 1, 1, 2, 4, 4, 4, 4, 4', takes: 24, reads: 8, writes: 8 },
    { name: 'a 2-request item leases one at a time, leaving nothing', takes: 2, reads: 2, writes: 2 },
  ])('$name', async (c) => {
    const clock = new FakeClock();
    const b = new AccountBudget(new MemoryBudgetStore(), { perMinute: 600, now: () => clock.t, sleep: clock.sleep });
    const done = (async () => {
      for (let i = 0; i < c.takes; i++) {
        await b.take();
        await clock.sleep(100);
      }
    })();
    await clock.run(10_000);
    await done;
    expect(b.stats.taken).toBe(c.takes);
    expect(b.stats.reads).toBe(c.reads);
    expect(b.stats.writes).toBe(c.writes);
  });

  it('drops leased tokens left unspent past the lease TTL', async () => {
    const clock = new FakeClock();
    const b = new AccountBudget(new MemoryBudgetStore(), {
      perMinute: 600,
      leaseTtlMs: 1_000,
      now: () => clock.t,
      sleep: clock.sleep,
    });
    const done = (async () => {
      for (let i = 0; i < 5; i++) await b.take(); // leases 1, 1, 2, then 4 of which 1 is spent
      await clock.sleep(1_500);
      await b.take(); // the 3 left expired: dropped, and the next lease is 1 again
    })();
    await clock.run(10_000);
    await done;
    expect(b.stats).toMatchObject({ taken: 6, leased: 9, dropped: 3, writes: 5 });
  });

  it("one caller's 429 holds every caller of the account until Retry-After", async () => {
    const clock = new FakeClock();
    const store = new MemoryBudgetStore();
    const mk = () =>
      new AccountBudget(store, { perMinute: 600, now: () => clock.t, sleep: clock.sleep, random: () => 0 });
    const [a, b] = [mk(), mk()];
    const sentB: number[] = [];
    const t0 = clock.t;
    const run = (async () => {
      for (let i = 0; i < 5; i++) await a.take(); // its last lease (4) has 3 left
      await a.pauseUntil(t0 + 5_000);
      for (let i = 0; i < 3; i++) {
        await b.take();
        sentB.push(clock.t - t0);
      }
    })();
    await clock.run(20_000);
    await run;
    expect((await store.get('wistia-account'))?.state.pausedUntil).toBe(t0 + 5_000);
    expect(sentB[0]).toBeGreaterThanOrEqual(5_000);
    expect(a.stats.dropped).toBe(3); // the rest of its lease, given up with the pause
  });
});
