/** A seeded random source: every run with the same seed yields the same traffic. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  /** Standard normal (Box–Muller). */
  gaussian(): number;
  /** Exponential with this mean. */
  exp(mean: number): number;
  /** Log-normal around `median` with log-spread `sigma`. */
  logNormal(median: number, sigma: number): number;
}

/** mulberry32: small, fast, good enough for traffic. */
export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    gaussian,
    exp: (mean) => -mean * Math.log(1 - next() * 0.999),
    logNormal: (median, sigma) => Math.exp(Math.log(median) + sigma * gaussian()),
  };
}
