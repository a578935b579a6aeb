import type { SubjectRouteWindow, SubjectWindow } from '../../types.js';
import type { CountedBatch } from '../batch.js';
import type { RoutePeers } from '../peers.js';

/** A read (a window's `peers`) or a record (a subject's closed hour) of the route peers, made while counting an event. */
interface PeerOp {
  at: number;
  route: string;
  window: SubjectRouteWindow | undefined;
  closedHour: number;
}

/**
 * The count stage counts the batch's subjects one after the other, each
 * one's calls in time order, not the calls of all subjects in time order.
 * What subjects do not share is the same either way; what they share is put
 * back in the order of the calls: the windows judged (the order detectors
 * see them in) and the route peers, which a subject's closed hour feeds and
 * which later windows of other subjects read. Each is tagged with the call
 * (its position in the batch's events) that made it, and `settle` puts them
 * in that order, stably (what one call made keeps its own order).
 */
export class SubjectPassOrder {
  /** The call being counted. */
  at = 0;
  private readonly subjectsAt: number[] = [];
  private readonly subjectRoutesAt: number[] = [];
  private readonly peerOps: PeerOp[] = [];

  subject(counted: CountedBatch, window: SubjectWindow): void {
    counted.subjects.push(window);
    this.subjectsAt.push(this.at);
  }

  /** A subject's window on a route; its peers are read when `settle` replays the batch's peer operations. */
  subjectRoute(counted: CountedBatch, window: SubjectRouteWindow, route: string): void {
    counted.subjectRoutes.push(window);
    this.subjectRoutesAt.push(this.at);
    this.peerOps.push({ at: this.at, route, window, closedHour: 0 });
  }

  peerRecord(route: string, closedHour: number): void {
    this.peerOps.push({ at: this.at, route, window: undefined, closedHour });
  }

  /** Puts the windows judged in the order of their calls, and replays the peers' records and reads in that order. */
  settle(counted: CountedBatch, peers: RoutePeers): void {
    counted.subjects = inCallOrder(counted.subjects, this.subjectsAt);
    counted.subjectRoutes = inCallOrder(counted.subjectRoutes, this.subjectRoutesAt);
    for (const op of inCallOrder(this.peerOps, this.peerOps.map((op) => op.at))) {
      if (op.window) op.window.peers = peers.summary(op.route);
      else peers.record(op.route, op.closedHour);
    }
  }
}

/** `items` sorted by their calls `at` (a stable sort: one call's items keep their order); as they are when already in order. */
function inCallOrder<T>(items: T[], at: readonly number[]): T[] {
  let sorted = true;
  for (let k = 1; k < at.length && sorted; k++) if (at[k]! < at[k - 1]!) sorted = false;
  if (sorted) return items;
  const positions = items.map((_, k) => k).sort((a, b) => at[a]! - at[b]!);
  return positions.map((k) => items[k]!);
}
