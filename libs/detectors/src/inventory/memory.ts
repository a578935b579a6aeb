import { BoundedMap } from '../lru.js';
import type { DeclaredSpecs } from './declared.js';

/** Sketch members remembered as written, in all sketches: as many as the marks. */
const MAX_SENT_MEMBERS = 200_000;

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

  /** True the first time `mark` is asked for in `hour` (the caller writes it then); later in the hour, false. */
  markDue(mark: string, hour: number): boolean {
    if (this.marked.get(mark) === hour) return false;
    this.marked.set(mark, hour);
    return true;
  }

  /**
   * The members of a sketch's `members` not written to it yet this hour (noted as written now), and the first of
   * them whatever it is: adding a member a HyperLogLog holds changes nothing, and most callers call all day, so a
   * batch sends the few new ones; the one always sent renews the sketch's TTL as every batch's write did. Once an
   * hour, or past MAX_SENT_MEMBERS, every member is written again (a sketch lost meanwhile is refilled).
   */
  unsent(sketch: string, hour: number, members: ReadonlySet<string>): string[] {
    if (hour !== this.sentHour || this.sentCount + members.size > MAX_SENT_MEMBERS) this.forgetSent(hour);
    let written = this.sent.get(sketch);
    if (!written) this.sent.set(sketch, (written = new Set()));
    const out: string[] = [];
    for (const member of members) {
      if (!written.has(member)) {
        written.add(member);
        out.push(member);
      } else if (out.length === 0) out.push(member);
    }
    this.sentCount += out.length;
    return out;
  }

  /** A batch that failed may not have written its marks and sketch members: every one is written again. */
  forgetMarks(): void {
    this.marked.clear();
    this.forgetSent(NaN);
  }

  /** Sketch members written, by sketch, in `sentHour`; `sentCount` of them in all (an upper bound). */
  private readonly sent = new Map<string, Set<string>>();
  private sentHour = NaN;
  private sentCount = 0;

  private forgetSent(hour: number): void {
    this.sent.clear();
    this.sentCount = 0;
    this.sentHour = hour;
  }

  constructor(
    readonly maxEndpointsPerApi: number,
    readonly specs: DeclaredSpecs,
  ) {}
}
