// The account's one request budget (issue 16, docs/adr/0021): a token bucket kept in a shared store, drawn on by
// every map item of every execution that calls the same Wistia account. Each caller leases a few tokens at a
// time with a compare-and-set write (read the bucket and its version; write it back only if the version is
// unchanged), so most requests cost no store round trip; a 429's Retry-After pauses the whole account
// (`pausedUntil` in the bucket), not one item.
//
// Why every rolling minute stays under the limit (the unit test checks it on a fake clock):
// - the bucket refills at `perMinute` up to `burst` tokens, on the bucket's own time line: `updatedAt` is the
//   latest clock any caller wrote, and never goes back. A caller whose clock is behind refills nothing (its
//   elapsed time is negative, counted as 0); a caller whose clock is ahead takes at most one burst early, once,
//   and the others then wait until their clocks catch up (bucket time follows the most advanced clock);
// - a leased token not spent within `leaseTtlMs` of asking for it is dropped, so a token is spent at most
//   `leaseTtlMs` after the bucket granted it;
// - so any 60 s of spending draws on grants from 60 s + leaseTtlMs of bucket time: at most
//   burst (the bucket's content) + burst (one clock-ahead jump) + perMinute·(60 s + leaseTtlMs)/60 s;
//   for 570/min, a burst of 5 and 1 s: 10 + 579.5 < 600.
import type { RequestBudget } from './rate-budget.ts';

/** The bucket as stored: fractional tokens, and times in epoch ms. */
export interface BucketState {
  readonly tokens: number;
  /** The bucket's time: the latest caller clock that wrote it (monotone). */
  readonly updatedAt: number;
  /** No request before this (epoch ms): set from a 429's Retry-After. */
  readonly pausedUntil: number;
}

export interface VersionedBucket {
  readonly state: BucketState;
  /** Incremented by every write; the compare-and-set's condition. */
  readonly version: number;
}

/**
 * The narrow store the budget needs: a strongly consistent read of one item with its version, and a conditional
 * write. DynamoDB in AWS (budget-dynamodb.ts), a JSON file under a lock locally (local/runner/budget-file.ts).
 */
export interface BudgetStore {
  get(key: string): Promise<VersionedBucket | undefined>;
  /**
   * Writes `state` as version `expected + 1` if the item's version is still `expected` (`undefined`: only if
   * there is no item). False when the condition failed (someone else wrote first); other failures throw.
   * `expiresAt` (epoch seconds) lets an idle bucket be deleted.
   */
  put(key: string, state: BucketState, expected: number | undefined, expiresAt: number): Promise<boolean>;
}

export interface AccountBudgetOptions {
  /** Sustained requests per minute for the whole account. Default 570 (Wistia allows 600). */
  readonly perMinute?: number;
  /** The bucket's capacity. Default one more than the lease (5 at 570/min). */
  readonly burst?: number;
  /** Most tokens one lease takes (leases grow to it as they are spent, see leaseSize). Default max(4, 0.4 s
   * worth), at most the burst. */
  readonly batch?: number;
  /** A leased token unspent this long after the lease was asked for is dropped. Default 1000 ms. */
  readonly leaseTtlMs?: number;
  /** The bucket's item key (one per Wistia account). Default "wistia-account". */
  readonly key?: string;
  /** An idle bucket's item expires this long after its last write (TTL). Default 1 day. */
  readonly idleExpirySeconds?: number;
  /** Clock and sleep (tests: a fake clock). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter in [0, 1) for the waits after a lost write (tests: fixed). */
  readonly random?: () => number;
}

export interface AccountBudgetStats {
  /** Tokens leased from the bucket, and tokens dropped unspent when their lease expired or a pause came. */
  leased: number;
  dropped: number;
  /** Requests let through. */
  taken: number;
  /** Store round trips: reads, writes that won, writes that lost to another caller. */
  reads: number;
  writes: number;
  conflicts: number;
}

export const DEFAULT_BUDGET_KEY = 'wistia-account';
export const DEFAULT_ACCOUNT_PER_MINUTE = 570;

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The bucket's pure step: refill `state` to bucket time `max(state.updatedAt, now)` and take `want` tokens (at
 * most the burst) if they are there. Returns the new state and the tokens granted (0: wait `waitMs`).
 */
export function leaseFrom(
  state: BucketState | undefined,
  now: number,
  want: number,
  o: { perMinute: number; burst: number },
): { next: BucketState; granted: number; waitMs: number } {
  const base: BucketState = state ?? { tokens: o.burst, updatedAt: now, pausedUntil: 0 };
  const t = Math.max(base.updatedAt, now);
  if (base.pausedUntil > t) return { next: base, granted: 0, waitMs: base.pausedUntil - t };
  const tokens = Math.min(o.burst, base.tokens + ((t - base.updatedAt) * o.perMinute) / 60_000);
  // a whole lease or nothing: under contention callers then take turns a batch at a time, one write per batch
  const w = Math.max(1, Math.min(want, o.burst));
  const granted = tokens + 1e-9 >= w ? w : 0;
  const next: BucketState = { tokens: Math.max(0, tokens - granted), updatedAt: t, pausedUntil: base.pausedUntil };
  const waitMs = granted > 0 ? 0 : Math.ceil(((w - tokens) * 60_000) / o.perMinute);
  return { next, granted, waitMs };
}

/** The account-wide budget, as the Wistia client's RequestBudget. */
export class AccountBudget implements RequestBudget {
  readonly perMinute: number;
  readonly burst: number;
  readonly batch: number;
  readonly leaseTtlMs: number;
  readonly key: string;
  readonly stats: AccountBudgetStats = { leased: 0, dropped: 0, taken: 0, reads: 0, writes: 0, conflicts: 0 };
  private readonly idleExpirySeconds: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private local = 0;
  private pending = 0;
  private spentInFull = 0;
  private localExpiresAt = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: BudgetStore,
    o: AccountBudgetOptions = {},
  ) {
    this.perMinute = o.perMinute ?? DEFAULT_ACCOUNT_PER_MINUTE;
    if (!(this.perMinute > 0)) throw new RangeError(`AccountBudget: perMinute must be > 0, got ${this.perMinute}`);
    // The bucket holds one token more than a lease takes: a caller that waited for a full lease finds it there
    // even if it asks a little late (its wake-up jitter, the store's round trip), so no refill is lost at the cap.
    // Measured on the fake clock (test/account-budget.test.ts): 10 sequential slots sustain 560/min of 570 with
    // burst = batch = 4, and 570/min with a burst of 5.
    const lease = Math.max(1, o.batch ?? Math.max(4, Math.round(this.perMinute / 150)));
    this.burst = Math.max(1, o.burst ?? lease + 1);
    this.batch = Math.min(this.burst, lease);
    this.leaseTtlMs = o.leaseTtlMs ?? 1000;
    this.key = o.key ?? DEFAULT_BUDGET_KEY;
    this.idleExpirySeconds = o.idleExpirySeconds ?? 86_400;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? realSleep;
    this.random = o.random ?? Math.random;
  }

  /** Resolves when the caller may send one request. This process's callers are served in arrival order. */
  take(): Promise<void> {
    this.pending++;
    const turn = this.queue.then(() => this.acquire()).finally(() => this.pending--);
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * How many tokens to lease: as many as this process's callers are waiting for, and more as a run of leases
   * is spent in full (1, 1, 2, 4, ...: a sequential pager soon takes a batch per store round trip, while a
   * two-request map item leases one at a time and leaves nothing behind). A lease that expired unspent halves it.
   */
  private leaseSize(): number {
    const ramp = this.spentInFull < 2 ? 1 : 2 ** (this.spentInFull - 1);
    return Math.max(1, Math.min(this.batch, Math.max(this.pending, ramp)));
  }

  /**
   * Pauses the whole account until `untilMs` (a 429's Retry-After): written to the bucket, so every caller of
   * every execution holds off; this caller's leased tokens are dropped.
   */
  async pauseUntil(untilMs: number): Promise<void> {
    this.drop();
    for (let attempt = 0; attempt < 20; attempt++) {
      const cur = await this.read();
      const t = Math.max(cur?.state.updatedAt ?? 0, this.now());
      if (cur && cur.state.pausedUntil >= untilMs) return;
      const base = cur?.state ?? { tokens: 0, updatedAt: t, pausedUntil: 0 };
      // the pause empties the bucket: after it, requests resume at the sustained rate, not in a burst
      const next: BucketState = { tokens: 0, updatedAt: Math.max(base.updatedAt, t), pausedUntil: untilMs };
      if (await this.write(next, cur?.version)) return;
      await this.sleep(Math.floor(this.random() * 20));
    }
    throw new Error(`AccountBudget: could not record the pause in bucket "${this.key}" (20 lost writes in a row)`);
  }

  private drop(): void {
    if (this.local > 0) this.spentInFull = Math.min(this.spentInFull, 1);
    this.stats.dropped += this.local;
    this.local = 0;
  }

  private async read(): Promise<VersionedBucket | undefined> {
    this.stats.reads++;
    return this.store.get(this.key);
  }

  private async write(state: BucketState, expected: number | undefined): Promise<boolean> {
    const expiresAt = Math.ceil(Math.max(state.updatedAt, state.pausedUntil) / 1000) + this.idleExpirySeconds;
    const ok = await this.store.put(this.key, state, expected, expiresAt);
    if (ok) this.stats.writes++;
    else this.stats.conflicts++;
    return ok;
  }

  private async acquire(): Promise<void> {
    for (;;) {
      if (this.local > 0 && this.now() < this.localExpiresAt) {
        this.local--;
        if (this.local === 0) this.spentInFull = Math.min(this.spentInFull + 1, 8);
        this.stats.taken++;
        return;
      }
      this.drop();
      const asked = this.now();
      const cur = await this.read();
      const step = leaseFrom(cur?.state, asked, this.leaseSize(), this);
      if (step.granted === 0) {
        // paused, or empty: wait for the refill, with jitter so waiting callers do not all write at once
        await this.sleep(step.waitMs + Math.floor(this.random() * 10));
        continue;
      }
      if (!(await this.write(step.next, cur?.version))) {
        await this.sleep(Math.floor(this.random() * 5));
        continue;
      }
      this.stats.leased += step.granted;
      this.local = step.granted;
      // counted from before the read: a token is spent at most leaseTtlMs after the bucket granted it
      this.localExpiresAt = asked + this.leaseTtlMs;
    }
  }
}

/** An in-process BudgetStore (tests, and a single process's default): the same compare-and-set semantics. */
export class MemoryBudgetStore implements BudgetStore {
  readonly items = new Map<string, VersionedBucket & { expiresAt: number }>();
  async get(key: string): Promise<VersionedBucket | undefined> {
    const i = this.items.get(key);
    return i && { state: i.state, version: i.version };
  }
  async put(key: string, state: BucketState, expected: number | undefined, expiresAt: number): Promise<boolean> {
    const i = this.items.get(key);
    if ((i?.version ?? undefined) !== expected) return false;
    this.items.set(key, { state, version: (expected ?? 0) + 1, expiresAt });
    return true;
  }
}
