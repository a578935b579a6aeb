import { BoundedMap } from '../lru.js';
import { WrittenMembers } from '../storage/written-members.js';
import type { DeclaredSpecs } from './declared.js';

/**
 * What the engine holds of the inventory between batches (process-local,
 * bounded): first sightings read back once, each endpoint's history of the
 * previous days (read once a day), the declared specs, and the marks and
 * sketch members that were written this hour.
 */
export class InventoryMemory {
  readonly firstSeen = new BoundedMap<string, number>(50_000);
  readonly apiFirstSeen = new BoundedMap<string, number>(1_000);
  readonly history = new BoundedMap<string, { day: number; calls: number; authenticated: number }>(50_000);
  /**
   * The hour (of the batch's clock) in which each first-sighting mark (an endpoint's, or an endpoint's shape) was last
   * written: a mark is set once and only its TTL (days) is renewed by writing it again, so once an hour will do.
   */
  private readonly marked = new BoundedMap<string, number>(200_000);
  /** The members written to the endpoints' sketches this hour (as many as the marks). */
  readonly sketchMembers = new WrittenMembers(200_000);

  /** True the first time `mark` is asked for in `hour` (the caller writes it then); later in the hour, false. */
  markDue(mark: string, hour: number): boolean {
    if (this.marked.get(mark) === hour) return false;
    this.marked.set(mark, hour);
    return true;
  }

  /** A batch that failed may not have written its marks and sketch members: every one is written again. */
  forgetMarks(): void {
    this.marked.clear();
    this.sketchMembers.forget();
  }

  constructor(
    readonly maxEndpointsPerApi: number,
    readonly specs: DeclaredSpecs,
  ) {}
}
