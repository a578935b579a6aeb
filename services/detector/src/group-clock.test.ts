import { describe, expect, it } from 'vitest';
import { GROUP_CLOCK_STALE_MS, earliestPending, processClock } from './group-clock.js';

describe('earliestPending', () => {
  const wall = 1_800_000_000_000;

  it('is the earliest pending event time of the other partitions', () => {
    expect(earliestPending({ 'tx/0': `500:${wall}`, 'tx/1': `300:${wall}`, 'tx/2': `900:${wall}` }, 'tx/0', wall)).toBe(300);
  });

  it('leaves out the partition asking, so its own batch never holds itself', () => {
    expect(earliestPending({ 'tx/0': `100:${wall}`, 'tx/1': `300:${wall}` }, 'tx/0', wall)).toBe(300);
    expect(earliestPending({ 'tx/0': `100:${wall}` }, 'tx/0', wall)).toBeUndefined();
  });

  it('ignores entries not refreshed for the stale period (a stopped replica) and malformed ones', () => {
    const shared = { 'tx/1': `100:${wall - GROUP_CLOCK_STALE_MS - 1}`, 'tx/2': `200:${wall - GROUP_CLOCK_STALE_MS}`, 'tx/3': 'garbage', 'tx/4': '50:x', 'tx/5': `:${wall}` };
    expect(earliestPending(shared, 'tx/0', wall)).toBe(200);
  });

  it('is undefined when nothing is pending', () => {
    expect(earliestPending({}, 'tx/0', wall)).toBeUndefined();
  });
});

describe('processClock (no Redis)', () => {
  it("holds a batch to its process's other pending partitions, without a round trip", async () => {
    const clock = processClock();
    const pending = new Map([['tx/0', 500], ['tx/1', 300]]);
    expect(await clock.share(pending, 'tx/0')).toBe(300);
    expect(await clock.share(pending, 'tx/1')).toBe(500);
    expect(await clock.share(new Map([['tx/0', 500]]), 'tx/0')).toBeUndefined();
    expect(clock.roundTrips).toBe(0);
  });
});
