import { describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/telemetry';
import type { GroupClock } from './group-clock.js';
import { createPendingEventTimes, eventTimeSpan } from './pending-event-times.js';

const log = createLogger({ service: 'test', level: 'silent' });

/** A window clock that shows what it was given: the pending map at each share, and the partitions released. */
function recordingClock(options: { releaseFails?: boolean } = {}) {
  const shared: Record<string, number>[] = [];
  const released: string[] = [];
  const clock: GroupClock = {
    roundTrips: 0,
    async share(pending, except) {
      shared.push(Object.fromEntries(pending));
      let earliest: number | undefined;
      for (const [partition, t] of pending) if (partition !== except && (earliest === undefined || t < earliest)) earliest = t;
      return earliest;
    },
    async release(partition) {
      if (options.releaseFails) throw new Error('redis down');
      released.push(partition);
    },
  };
  return { clock, shared, released };
}

describe('eventTimeSpan', () => {
  it('is the earliest and latest timestamp, undefined without events', () => {
    expect(eventTimeSpan([{ timestamp: 30 }, { timestamp: 10 }, { timestamp: 20 }])).toEqual({ earliest: 10, latest: 30 });
    expect(eventTimeSpan([])).toBeUndefined();
  });
});

describe('createPendingEventTimes', () => {
  it("holds a batch at the other partitions' earliest pending event, and marks its own from its earliest", async () => {
    const { clock, shared } = recordingClock();
    const pending = createPendingEventTimes(clock, log);
    expect(await pending.batchArrived('tx/0', { earliest: 500, latest: 900 })).toBeUndefined();
    expect(await pending.batchArrived('tx/1', { earliest: 300, latest: 400 })).toBe(500);
    expect(await pending.batchArrived('tx/0', { earliest: 700, latest: 800 })).toBe(300);
    // A later batch of a partition still pending keeps its earlier mark.
    expect(shared.at(-1)).toEqual({ 'tx/0': 500, 'tx/1': 300 });
  });

  it('moves a partition with more behind it to its batch\'s latest event; releases it once caught up', async () => {
    const { clock, shared, released } = recordingClock();
    const pending = createPendingEventTimes(clock, log);
    await pending.batchArrived('tx/0', { earliest: 500, latest: 900 });
    await pending.batchSucceeded('tx/0', { earliest: 500, latest: 900 }, 10);
    await pending.batchArrived('tx/1', undefined);
    expect(shared.at(-1)).toEqual({ 'tx/0': 900 });
    await pending.batchSucceeded('tx/0', { earliest: 900, latest: 950 }, 0);
    expect(released).toEqual(['tx/0']);
    // Caught up and nothing pending: no second release.
    await pending.batchSucceeded('tx/0', undefined, 0);
    expect(released).toEqual(['tx/0']);
    await pending.batchArrived('tx/1', undefined);
    expect(shared.at(-1)).toEqual({});
  });

  it('a batch with no valid event marks nothing and moves nothing', async () => {
    const { clock, shared } = recordingClock();
    const pending = createPendingEventTimes(clock, log);
    await pending.batchArrived('tx/0', undefined);
    await pending.batchSucceeded('tx/0', undefined, 5);
    await pending.batchArrived('tx/1', undefined);
    expect(shared).toEqual([{}, {}]);
  });

  it('a release that fails is only logged: the shared entry goes stale by itself', async () => {
    const { clock } = recordingClock({ releaseFails: true });
    const pending = createPendingEventTimes(clock, log);
    await pending.batchArrived('tx/0', { earliest: 1, latest: 2 });
    await expect(pending.batchSucceeded('tx/0', { earliest: 1, latest: 2 }, 0)).resolves.toBeUndefined();
  });

  it('forgets every partition on a new generation', async () => {
    const { clock, shared } = recordingClock();
    const pending = createPendingEventTimes(clock, log);
    await pending.batchArrived('tx/0', { earliest: 1, latest: 2 });
    await pending.batchArrived('tx/1', { earliest: 3, latest: 4 });
    pending.forgetAll();
    await pending.batchArrived('tx/2', undefined);
    expect(shared.at(-1)).toEqual({});
  });
});
