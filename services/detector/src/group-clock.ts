import { createKeyspace, type RedisClient } from '@vigil/redis';
import { StateError } from '@vigil/errors';

/** A partition's shared entry older than this (wall clock) is ignored: its replica stopped, or lost the partition and nobody took it up yet. */
export const GROUP_CLOCK_STALE_MS = 30_000;
/** The shared hash outlives its last write by this long. */
const GROUP_CLOCK_TTL_MS = 3_600_000;

/**
 * The window clock across the replicas of a consumer group. Each replica
 * shares, with every batch, the earliest pending event time of each partition
 * it consumes (fetched and not processed yet, or behind its high watermark),
 * and in the same round trip reads everyone's; it removes a partition's entry
 * when it catches up with it. The earliest over the group's other partitions holds back the
 * engine's route and api windows (DetectionEngine.process, holdAt), so a
 * replica running ahead cannot close a minute another replica has not counted
 * yet. One hash per group and topic (a field per partition, so bounded by the
 * partition count), with a TTL; entries not refreshed for GROUP_CLOCK_STALE_MS
 * do not hold anything.
 */
export interface GroupClock {
  /**
   * Writes `pending` (this replica's partitions with events pending: earliest event time) and returns
   * the earliest pending event time of the group's partitions other than `except` (undefined when
   * none is pending).
   */
  share(pending: ReadonlyMap<string, number>, except: string): Promise<number | undefined>;
  /** Removes a partition this replica caught up with. */
  release(partition: string): Promise<void>;
  /** Redis round trips made so far. */
  readonly roundTrips: number;
}

export function createGroupClock(options: { redis: RedisClient; prefix: string; groupId: string; topic: string; now?: () => number; staleMs?: number }): GroupClock {
  const key = createKeyspace(options.prefix).key('clock', options.groupId, options.topic);
  const now = options.now ?? Date.now;
  const staleMs = options.staleMs ?? GROUP_CLOCK_STALE_MS;
  let roundTrips = 0;
  return {
    get roundTrips() {
      return roundTrips;
    },
    async release(partition) {
      roundTrips++;
      await options.redis.hdel(key, partition);
    },
    async share(pending, except) {
      const wall = now();
      const p = options.redis.pipeline();
      if (pending.size > 0) p.hset(key, Object.fromEntries([...pending].map(([partition, t]) => [partition, `${t}:${wall}`])));
      p.pexpire(key, GROUP_CLOCK_TTL_MS);
      p.hgetall(key);
      roundTrips++;
      const replies = (await p.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed) throw new StateError('VIGIL_REDIS_COMMAND', `could not share the window clock: ${(failed[0] as Error).message}`, { cause: failed[0], retriable: true });
      const shared = (replies[replies.length - 1]?.[1] ?? {}) as Record<string, string>;
      return earliestPending(shared, except, wall, staleMs);
    },
  };
}

/** The earliest pending event time among the shared entries (`eventTime:wallTime` by partition) other than `except`, ignoring stale and malformed ones. */
export function earliestPending(shared: Readonly<Record<string, string>>, except: string, wall: number, staleMs = GROUP_CLOCK_STALE_MS): number | undefined {
  const fresh: [string, number][] = [];
  for (const [partition, value] of Object.entries(shared)) {
    const cut = value.indexOf(':');
    const t = Number(value.slice(0, cut));
    const at = Number(value.slice(cut + 1));
    if (cut > 0 && Number.isFinite(t) && Number.isFinite(at) && wall - at <= staleMs) fresh.push([partition, t]);
  }
  return earliestExcept(fresh, except);
}

/** The earliest time among the partitions' entries other than `except`. */
function earliestExcept(entries: Iterable<readonly [string, number]>, except: string): number | undefined {
  let earliest: number | undefined;
  for (const [partition, t] of entries) if (partition !== except && (earliest === undefined || t < earliest)) earliest = t;
  return earliest;
}

/** The window clock of a detector without Redis (tests, a single process): its own partitions only, no round trip. */
export function processClock(): GroupClock {
  return {
    roundTrips: 0,
    share: async (pending, except) => earliestExcept(pending, except),
    release: async () => undefined,
  };
}
