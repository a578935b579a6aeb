const HOUR_MS = 3_600_000;

/**
 * Where the run's event time starts. Event time runs `timeScale` times the
 * wall clock and ends no later than the run's wall-clock end (never in the
 * future). Within that, it is placed so that its first hour boundary falls at
 * 70% of the warm-up: a subject's checkpoint holds a row per clock hour it
 * called in, kept 3 hours, so crossing an hour adds a row to nearly every
 * subject within minutes of event time (measured in the 2-minute run: 1.00 ->
 * 2.00 rows, 427 -> 477 bytes an entry, +11.7%). That is the state taking its
 * shape, bounded by the rows' TTL, and belongs in the warm-up; left to the
 * wall clock, the boundary fell after the warm-up in some runs and not in
 * others. At the default 90 minutes of event time the next boundary falls
 * after the run's end (31.5 + 60 > 90 minutes).
 */
export function eventClockStart(t0: number, durationMs: number, timeScale: number, warmupMs: number): number {
  const latest = t0 - (timeScale - 1) * durationMs;
  const boundaryAt = 0.7 * warmupMs * timeScale;
  return Math.floor((latest + boundaryAt) / HOUR_MS) * HOUR_MS - boundaryAt;
}
