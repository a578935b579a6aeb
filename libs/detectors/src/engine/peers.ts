import { BoundedMap } from '../lru.js';

/** Subject-hours a route needs before its peers say anything. */
const MIN_SUBJECT_HOURS = 50;
/** Log2 bins of distinct ids per hour: 1, 2–3, 4–7, … up to 2^20. */
const BINS = 21;

/**
 * How many distinct ids the subjects of a route address in an hour, as this
 * process sees them (the subjects of the partitions it consumes, a fair
 * sample of all): a log-binned histogram per route, fed each time a
 * subject's hour on the route completes. Its top (the 99.9th percentile:
 * the busiest hour, until a thousand are known) tells what the route's
 * subjects ever do.
 */
export class RoutePeers {
  private readonly byRoute = new BoundedMap<string, number[]>(5_000);

  record(route: string, distinctIds: number): void {
    let bins = this.byRoute.get(route);
    if (!bins) {
      bins = new Array<number>(BINS).fill(0);
      this.byRoute.set(route, bins);
    }
    bins[Math.min(BINS - 1, Math.floor(Math.log2(Math.max(1, distinctIds))))]!++;
  }

  /** The route's subject-hours and their 99.9th percentile of distinct ids (the top of its bin), once enough are known. */
  summary(route: string): { subjectHours: number; top: number } | undefined {
    const bins = this.byRoute.get(route);
    if (!bins) return undefined;
    const total = bins.reduce((a, b) => a + b, 0);
    if (total < MIN_SUBJECT_HOURS) return undefined;
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += bins[i]!;
      if (seen >= 0.999 * total) return { subjectHours: total, top: 2 ** (i + 1) - 1 };
    }
    return { subjectHours: total, top: 2 ** BINS - 1 };
  }
}
