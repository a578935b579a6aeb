import { describe, expect, it } from 'vitest';
import { eventClockStart } from './event-clock.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('eventClockStart', () => {
  // The 2-minute soak of the suite: 45x, 90 minutes of event time, warm-up the first minute.
  const durationMs = 2 * MINUTE;
  const timeScale = 45;
  const warmupMs = MINUTE;

  it('puts the first hour boundary at 70% of the warm-up and no other inside the run, wherever the wall clock stands', () => {
    for (let minute = 0; minute < 60; minute += 7) {
      const t0 = Date.UTC(2026, 10, 24, 8, minute, 13, 456);
      const start = eventClockStart(t0, durationMs, timeScale, warmupMs);
      const end = start + durationMs * timeScale;
      expect(end, 'event time never runs past the wall clock').toBeLessThanOrEqual(t0 + durationMs);
      expect(t0 + durationMs - end, 'and starts no more than an hour early').toBeLessThan(HOUR);
      const boundaries: number[] = [];
      for (let h = Math.ceil(start / HOUR) * HOUR; h < end; h += HOUR) boundaries.push(h);
      expect(boundaries).toHaveLength(1);
      const wallAt = (boundaries[0]! - start) / timeScale;
      expect(wallAt).toBeCloseTo(0.7 * warmupMs, 3);
    }
  });

  it('keeps the boundary inside the warm-up of the 30-minute soak (3x)', () => {
    const t0 = Date.UTC(2026, 10, 24, 8, 41, 0);
    const start = eventClockStart(t0, 30 * MINUTE, 3, 15 * MINUTE);
    const first = Math.ceil(start / HOUR) * HOUR;
    expect((first - start) / 3).toBeCloseTo(10.5 * MINUTE, 3);
    expect(first + HOUR).toBeGreaterThan(start + 90 * MINUTE);
  });
});
