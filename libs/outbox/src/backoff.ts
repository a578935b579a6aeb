/**
 * Exponential backoff with full jitter: attempt n (0-based) waits a random
 * time in [0, min(maxMs, initialMs × factor^n)]. `random` is injected so
 * tests (and replays) are deterministic.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const defaultBackoff: BackoffOptions = Object.freeze({ initialMs: 1000, maxMs: 300_000, factor: 2 });

export function backoffMs(attempt: number, options: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
  // At least a tenth of the ceiling, so a retry never fires at once.
  return Math.round(ceiling * (0.1 + 0.9 * random()));
}
