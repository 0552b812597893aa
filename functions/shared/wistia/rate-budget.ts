// The client's own request-rate budget: a FIFO token bucket shared by every request of one client (or of
// several clients handed the same budget), so a process never sends faster than its share of the account's
// limit. A 429's Retry-After pauses the whole budget, not just the request that got it.

/**
 * What the client asks of a budget: a turn per request, and a pause after a 429. RateBudget is one process's
 * bucket (a map item's fixed share, ADR 5); AccountBudget (account-budget.ts) is the account's, shared by every
 * caller through a store (ADR 21).
 */
export interface RequestBudget {
  take(): Promise<void>;
  pauseUntil(untilMs: number): void | Promise<void>;
}

export interface RateBudgetOptions {
  /** Sustained requests per minute. */
  readonly perMinute: number;
  /** Requests that may go at once after an idle spell. Default: one second's worth (at least 1). */
  readonly burst?: number;
  /**
   * Start with an empty bucket. A budget that lives for one short invocation (a map item's share of the
   * account's limit) must start empty: many short items each starting with a full bucket would together
   * spend far more than their shares.
   */
  readonly startEmpty?: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RateBudget implements RequestBudget {
  readonly perMinute: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(opts: RateBudgetOptions) {
    if (!(opts.perMinute > 0)) throw new RangeError(`RateBudget: perMinute must be > 0, got ${opts.perMinute}`);
    this.perMinute = opts.perMinute;
    this.burst = Math.max(1, opts.burst ?? Math.ceil(opts.perMinute / 60));
    this.tokens = opts.startEmpty ? 0 : this.burst;
    this.last = Date.now();
  }

  /** Resolves when the caller may send one request. Callers are served in arrival order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.acquire());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Holds every request until `untilMs` (epoch ms), e.g. after a 429 with Retry-After. */
  pauseUntil(untilMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perMinute) / 60_000);
    this.last = now;
  }

  private async acquire(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now < this.pausedUntil) {
        await sleep(this.pausedUntil - now);
        continue;
      }
      this.refill(now);
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute));
    }
  }
}
