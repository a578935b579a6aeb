import { ENTRY_CAPPED } from './key-families.js';
import type { FamilyGrowth, Growth, SoakSample } from './types.js';

export const MB = 1024 * 1024;

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Mean of the samples just after the warm-up against the mean of the last ones (each a sixth of the measured span), and the slope. */
export function growth(samples: readonly SoakSample[], pick: (s: SoakSample) => number, warmupSeconds: number, endSeconds: number): Growth {
  return growthOf(samples.map((s) => ({ t: s.t, v: pick(s) })), warmupSeconds, endSeconds);
}

export function growthOf(points: readonly { t: number; v: number }[], warmupSeconds: number, endSeconds: number): Growth {
  const after = points.filter((p) => p.t >= warmupSeconds && p.t <= endSeconds);
  const span = Math.max(1, endSeconds - warmupSeconds);
  const head = after.filter((p) => p.t <= warmupSeconds + span / 6).map((p) => p.v);
  const tail = after.filter((p) => p.t >= endSeconds - span / 6).map((p) => p.v);
  // Sparse series (a full collection every minute or so): without a point in a window, the latest one before its end.
  const latest = (until: number) => points.filter((p) => p.t <= until).slice(-1).map((p) => p.v);
  const baseMB = mean(head.length > 0 ? head : latest(warmupSeconds + span / 6));
  const endMB = mean(tail.length > 0 ? tail : latest(endSeconds));
  return { baseMB: round(baseMB), endMB: round(endMB), pct: baseMB > 0 ? round(((endMB - baseMB) / baseMB) * 100) : 0, slopeMBPerHour: round(slopePerHour(after)) };
}

/** Least-squares slope of the points, per hour (their t in seconds). */
function slopePerHour(points: readonly { t: number; v: number }[]): number {
  if (points.length < 2) return 0;
  const mt = mean(points.map((p) => p.t));
  const mv = mean(points.map((p) => p.v));
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den > 0 ? (num / den) * 3600 : 0;
}

/**
 * V8's heap after each full collection (Mark-Compact), from a --trace-gc log:
 * the live heap, which a leak makes grow whatever the GC's pacing. Times are
 * seconds since `t0` (the isolate starts about when the process is spawned).
 */
export function liveHeapOf(log: string, spawnedAt: number, t0: number): { t: number; v: number }[] {
  const out: { t: number; v: number }[] = [];
  for (const m of log.matchAll(/^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: Mark-Compact[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/gm)) {
    out.push({ t: round((spawnedAt + Number(m[1]) - t0) / 1000), v: Number(m[2]) });
  }
  return out;
}

/** Per key family: memory, key count and bytes per key just after the warm-up and at the end (means over a sixth of the measured span each). */
export function familyGrowth(samples: readonly SoakSample[], warmupSeconds: number, endSeconds: number): Record<string, FamilyGrowth> {
  const after = samples.filter((s) => s.t >= warmupSeconds);
  const span = Math.max(1, endSeconds - warmupSeconds);
  const head = after.filter((s) => s.t <= warmupSeconds + span / 6);
  const tail = after.filter((s) => s.t >= endSeconds - span / 6);
  const h = head.length > 0 ? head : after.slice(0, 1);
  const t = tail.length > 0 ? tail : after.slice(-1);
  const total = meanOf(t, (s) => s.soakRedisMB);
  const families = new Set(t.flatMap((s) => Object.keys(s.soakRedisByFamily)));
  const out: Record<string, FamilyGrowth> = {};
  for (const f of families) {
    const baseMB = meanOf(h, (s) => s.soakRedisByFamily[f] ?? 0);
    const endMB = meanOf(t, (s) => s.soakRedisByFamily[f] ?? 0);
    const baseKeys = meanOf(h, (s) => s.soakKeysByFamily[f] ?? 0);
    const endKeys = meanOf(t, (s) => s.soakKeysByFamily[f] ?? 0);
    const baseMax = meanOf(h, (s) => s.soakMaxKeyByFamily[f] ?? 0);
    const endMax = meanOf(t, (s) => s.soakMaxKeyByFamily[f] ?? 0);
    const maxKeyGrowthPct = baseMax > 0 ? round(((endMax - baseMax) / baseMax) * 100) : 0;
    const capped = entryFigures(f, after, h, t);
    out[f] = {
      baseMB: round(baseMB, 3),
      endMB: round(endMB, 3),
      baseKeys: Math.round(baseKeys),
      endKeys: Math.round(endKeys),
      baseBytesPerKey: Math.round(baseKeys > 0 ? (baseMB * MB) / baseKeys : 0),
      endBytesPerKey: Math.round(endKeys > 0 ? (endMB * MB) / endKeys : 0),
      baseMaxKeyBytes: Math.round(baseMax),
      endMaxKeyBytes: Math.round(endMax),
      maxKeyGrowthPct,
      ...capped,
      growthPct: capped.bytesPerEntryGrowthPct ?? maxKeyGrowthPct,
      share: total > 0 ? round(endMB / total, 3) : 0,
    };
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1].endMB - a[1].endMB));
}

const meanOf = (xs: readonly SoakSample[], pick: (s: SoakSample) => number) => (xs.length === 0 ? 0 : xs.reduce((a, s) => a + pick(s), 0) / xs.length);

/** For a family capped in entries per key (ENTRY_CAPPED): its cap, its fullest key after the warm-up, and its bytes per entry at the base and the end. */
function entryFigures(family: string, after: readonly SoakSample[], base: readonly SoakSample[], end: readonly SoakSample[]): Partial<FamilyGrowth> {
  const cap = ENTRY_CAPPED[family];
  if (cap === undefined) return {};
  const perEntry = (xs: readonly SoakSample[]) => {
    const entries = xs.reduce((a, s) => a + (s.soakEntriesByFamily?.[family] ?? 0), 0);
    return entries > 0 ? (xs.reduce((a, s) => a + (s.soakRedisByFamily[family] ?? 0), 0) * MB) / entries : 0;
  };
  const b = perEntry(base);
  const e = perEntry(end);
  return {
    entryCap: cap,
    maxEntries: Math.max(0, ...after.map((s) => s.soakMaxEntriesByFamily?.[family] ?? 0)),
    baseBytesPerEntry: Math.round(b),
    endBytesPerEntry: Math.round(e),
    bytesPerEntryGrowthPct: b > 0 ? round(((e - b) / b) * 100) : 0,
  };
}
