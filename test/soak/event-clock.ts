const HOUR_MS = 3_600_000;

/**
 * Where the run's event time starts. Event time runs `timeScale` times the
 * wall clock and ends no later than the run's wall-clock end (never in the
 * future). Within that, it is placed so that a clock hour boundary falls at
 * 70% of the warm-up (and, when the warm-up spans more than 86 minutes of
 * event time, another an hour before it): a subject's checkpoint holds a row
 * per clock hour its windows read (the hour a window starts in and the one
 * before), so crossing an hour adds a row to nearly every subject within
 * minutes of event time (measured in the 2-minute run: 1.00 -> 2.00 rows,
 * 427 -> 477 bytes an entry, +11.7%). That is the state taking its shape,
 * bounded, and belongs in the warm-up; left to the wall clock, the boundary
 * fell after the warm-up in some runs and not in others.
 */
export function eventClockStart(t0: number, durationMs: number, timeScale: number, warmupMs: number): number {
  const latest = t0 - (timeScale - 1) * durationMs;
  const boundaryAt = 0.7 * warmupMs * timeScale;
  return Math.floor((latest + boundaryAt) / HOUR_MS) * HOUR_MS - boundaryAt;
}
