// Seeded, allocation-free randomness for the simulator: a stateless 32-bit hash for fields derived from an
// entity's index (so nothing per entity has to be stored), and mulberry32 streams for sequential generation.

/** Mixes any number of 32-bit integers into one well-distributed uint32 (murmur3 finalizer chain). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    let k = Math.imul(p | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A float in [0, 1) derived from the parts. */
export function unit(...parts: number[]): number {
  return hash32(...parts) / 4294967296;
}

/** Picks one element deterministically from the parts. */
export function pickBy<T>(list: readonly T[], ...parts: number[]): T {
  return list[hash32(...parts) % list.length] as T;
}

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  /** Poisson-distributed count (normal approximation above 50). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) {
      const u = Math.max(this.next(), 1e-12);
      const v = this.next();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
    }
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > l);
    return k - 1;
  }
}

/** A deterministic UUID (v4 layout) from four hashes of the parts. */
export function uuidFrom(...parts: number[]): string {
  const hex = [0, 1, 2, 3]
    .map((i) =>
      hash32(...parts, i)
        .toString(16)
        .padStart(8, '0'),
    )
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[hash32(...parts, 9) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** A Wistia-style 10-character hashed id. */
export function hashedIdFrom(...parts: number[]): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += ALNUM[hash32(...parts, 100 + i) % ALNUM.length];
  return s;
}
