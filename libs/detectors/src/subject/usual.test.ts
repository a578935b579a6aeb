import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE } from '../units.js';
import { defaultUsualSettings as settings, UsualHistory, type PastEpisode } from './usual.js';

const T0 = Date.UTC(2026, 10, 23, 0, 0, 0);
const ip = '10.9.0.5';
const episode = (start: number, magnitude: number, o: Partial<PastEpisode> = {}): PastEpisode => ({ start, magnitude, ips: [ip], ...o });

/** A history that has seen `count` hourly episodes of `magnitude` at :00 from T0. */
function hourly(count: number, magnitude = 150, o: Partial<PastEpisode> = {}): UsualHistory {
  const h = new UsualHistory();
  for (let i = 0; i < count; i++) {
    const e = episode(T0 + i * HOUR, magnitude, o);
    h.judge(e, settings);
    h.remember(e, settings);
  }
  return h;
}

describe('a subject\'s business-as-usual', () => {
  it('is nothing the first time; the second time at the same minute of the hour, within what it learned, it is usual', () => {
    const h = new UsualHistory();
    const first = episode(T0, 150);
    expect(h.judge(first, settings)).toMatchObject({ usual: false, recurrences: 0, learned: undefined });
    h.remember(first, settings);
    expect(h.judge(episode(T0 + HOUR + 2 * MINUTE, 140), settings)).toMatchObject({ usual: true, recurrences: 1, rhythm: 'hourly', typical: 150, change: undefined });
    // Another minute of the hour is not a repeat.
    expect(h.judge(episode(T0 + HOUR + 30 * MINUTE, 140), settings)).toMatchObject({ usual: false, recurrences: 0 });
  });

  it('knows a daily rhythm: the same time of day', () => {
    const h = new UsualHistory();
    h.remember(episode(T0 + 2 * HOUR + 17 * MINUTE, 90), settings);
    expect(h.judge(episode(T0 + DAY + 2 * HOUR + 30 * MINUTE, 90), settings)).toMatchObject({ usual: true, rhythm: 'daily', recurrences: 1 });
  });

  it.each([
    ['a new source address', episode(T0 + 5 * HOUR, 150, { ips: ['198.51.100.7'] }), 'from an address it never used for this before (198.51.100.7)'],
    ['a jump in denials', episode(T0 + 5 * HOUR, 150, { deniedShare: 0.6 }), 'with 60% of its calls denied, more than before'],
    ['objects it never read', episode(T0 + 5 * HOUR, 150, { newShare: 0.9 }), 'reading objects it never read before (90% of them)'],
    ['several times its size', episode(T0 + 5 * HOUR, 750), '4.9x the 154 it usually reaches'],
  ])('is not usual after a change: %s', (_, e, change) => {
    expect(hourly(5, 150, { deniedShare: 0, newShare: 0 }).judge(e, settings)).toMatchObject({ usual: false, recurrences: 5, change });
  });

  it('learns slowly: at most twice a day, so an attacker growing 12% an hour cannot make 500 usual within a day', () => {
    const h = new UsualHistory();
    let last;
    for (let i = 0; i < 24; i++) {
      const e = episode(T0 + i * HOUR, 40 * 1.12 ** i);
      last = h.judge(e, settings);
      h.remember(e, settings);
    }
    expect(40 * 1.12 ** 23).toBeGreaterThan(500);
    expect(last).toMatchObject({ usual: false });
    expect(h.learned!).toBeLessThan(40 * 2 * 1.1);
  });

  it('learns an episode whole, not capped by its own growth while it lasts', () => {
    const h = new UsualHistory();
    for (const m of [30, 60, 150]) h.remember(episode(T0, m), settings);
    expect(h.learned).toBe(150);
    // The next episode is judged against what was learned before it began, not against its own growth.
    for (const m of [40, 400]) h.remember(episode(T0 + HOUR, m), settings);
    expect(h.learned!).toBeLessThan(160);
    expect(h.judge(episode(T0 + HOUR, 400), settings).change).toMatch(/x the 154 it usually reaches$/);
  });

  it('never learns what a true-positive verdict confirmed, and learns a false positive at once, whatever its phase', () => {
    const confirmed = hourly(5);
    confirmed.neverLearn = true;
    expect(confirmed.judge(episode(T0 + 5 * HOUR, 150), settings).usual).toBe(false);
    const taught = new UsualHistory();
    taught.remember(episode(T0, 150), settings);
    taught.teach(episode(T0, 150));
    expect(taught.judge(episode(T0 + 3 * HOUR + 23 * MINUTE, 150), settings)).toMatchObject({ usual: true, recurrences: 0 });
    // Taught is not blind: from another address it is news again.
    expect(taught.judge(episode(T0 + 3 * HOUR + 23 * MINUTE, 150, { ips: ['198.51.100.7'] }), settings).usual).toBe(false);
  });

  it('forgets episodes past its memory, and keeps at most maxEpisodes', () => {
    const h = hourly(60);
    expect(h.episodes.length).toBe(settings.maxEpisodes);
    h.remember(episode(T0 + 6 * DAY, 150), settings);
    expect(h.episodes.map((e) => e.start)).toEqual([T0 + 6 * DAY]);
  });

  it('reads back from its row what it held', () => {
    const h = hourly(3, 150, { deniedShare: 0.1, newShare: 0 });
    h.neverLearn = true;
    const back = UsualHistory.fromRow(JSON.parse(JSON.stringify(h.toRow())) as unknown[]);
    expect(back).toEqual(h);
  });
});
