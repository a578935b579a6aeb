/**
 * Small numeric helpers shared by the detectors. Histograms are fixed
 * log-scale bins so that they add up across minutes, hours and replicas
 * (Redis HINCRBY), and percentiles come out the same everywhere.
 */

/** Latency bins: bin i holds values in [2^(i/2 - 1), 2^((i+1)/2 - 1)) ms, i = 0…47 (0.5 ms … ~8 min). */
export const LATENCY_BINS = 48;
/** Size bins: bin i holds byte counts in [2^(i/2), 2^((i+1)/2)), i = 0…79 (1 B … 1 TB). */
export const SIZE_BINS = 80;

export function latencyBin(ms: number): number {
  if (!(ms > 0.5)) return 0;
  return Math.min(LATENCY_BINS - 1, Math.floor(2 * (Math.log2(ms) + 1)));
}

/** Lower edge of a latency bin, in ms (the value a percentile reports: conservative). */
export function latencyBinValue(bin: number): number {
  return 2 ** ((bin + 0.5) / 2 - 1);
}

export function sizeBin(bytes: number): number {
  if (!(bytes >= 1)) return 0;
  return Math.min(SIZE_BINS - 1, Math.floor(2 * Math.log2(bytes)));
}

export function sizeBinValue(bin: number): number {
  return 2 ** ((bin + 0.5) / 2);
}

/** The q-quantile (0..1) of a binned histogram; `value(bin)` maps a bin to a representative value. */
export function histogramQuantile(bins: readonly number[], q: number, value: (bin: number) => number): number | undefined {
  let total = 0;
  for (const c of bins) total += c;
  if (total === 0) return undefined;
  const target = q * total;
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    seen += bins[i]!;
    if (seen >= target && bins[i]! > 0) return value(i);
  }
  return value(bins.length - 1);
}

export function addInto(target: number[], source: readonly number[]): void {
  for (let i = 0; i < source.length; i++) target[i] = (target[i] ?? 0) + source[i]!;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation, scaled to estimate a standard deviation (×1.4826). */
export function mad(values: readonly number[]): number | undefined {
  const m = median(values);
  if (m === undefined) return undefined;
  return 1.4826 * median(values.map((v) => Math.abs(v - m)))!;
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Rounds for display in evidence: 3 significant decimals at most. */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
