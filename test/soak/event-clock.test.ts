import { describe, expect, it } from 'vitest';
import { eventClockStart } from './event-clock.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('eventClockStart', () => {
  // The 2-minute soak of the suite: 120x, 4 hours of event time, warm-up the first minute.
  const durationMs = 2 * MINUTE;
  const timeScale = 120;
  const warmupMs = MINUTE;

  it('puts an hour boundary at 70% of the warm-up and another an hour before it, wherever the wall clock stands', () => {
    for (let minute = 0; minute < 60; minute += 7) {
      const t0 = Date.UTC(2026, 10, 24, 8, minute, 13, 456);
      const start = eventClockStart(t0, durationMs, timeScale, warmupMs);
      const end = start + durationMs * timeScale;
      expect(end, 'event time never runs past the wall clock').toBeLessThanOrEqual(t0 + durationMs);
      expect(t0 + durationMs - end, 'and starts no more than an hour early').toBeLessThan(HOUR);
      const boundaries: number[] = [];
      for (let h = Math.ceil(start / HOUR) * HOUR; h < end; h += HOUR) boundaries.push(h);
      const inWarmup = boundaries.map((b) => (b - start) / timeScale).filter((wall) => wall < warmupMs);
      expect(inWarmup).toHaveLength(2);
      expect(inWarmup[1]).toBeCloseTo(0.7 * warmupMs, 3);
    }
  });

  it('keeps two boundaries inside the warm-up of the 30-minute soak (8x)', () => {
    const t0 = Date.UTC(2026, 10, 24, 8, 41, 0);
    const start = eventClockStart(t0, 30 * MINUTE, 8, 15 * MINUTE);
    const first = Math.ceil(start / HOUR) * HOUR;
    expect((first - start) / 8).toBeCloseTo(10.5 * MINUTE - HOUR / 8, 3);
    expect((first + HOUR - start) / 8).toBeCloseTo(10.5 * MINUTE, 3);
  });
});
