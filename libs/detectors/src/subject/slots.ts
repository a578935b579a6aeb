/**
 * A subject's calls in time slots, each a few counters by position: calls,
 * 4xx answers, failed logins, calls with an automation user agent, response
 * bytes, and the gaps between consecutive calls measured (at most a minute
 * apart), their sum and the sum of their squares (in 100 ms², for the
 * variance). Windows of any length, wherever they fall, are sums of slots:
 * 10-second slots for the minutes (sliding windows with a 10-second step),
 * 5-minute slots for the hour.
 */
export const SLOT_MS = 10_000;
export const BLOCK_MS = 5 * 60_000;
/** Counters by position, the ones most slots have first: a checkpoint leaves out each slot's trailing zeros. */
export const SLOT = { calls: 0, bytes: 1, largestBytes: 2, gaps: 3, gapSumMs: 4, gapSquareSum: 5, clientErrors: 6, authFailures: 7, automationCalls: 8 } as const;
export const SLOT_FIELDS = 9;

export type SlotCounts = number[];

export class SlotSeries {
  readonly slots = new Map<number, SlotCounts>();
  /**
   * Calls, failed logins and bytes over all the slots held (kept as they are counted and forgotten): an upper bound
   * of any window's, which spares summing the windows of the many subjects far below what a detector judges.
   */
  readonly held: [calls: number, authFailures: number, bytes: number] = [0, 0, 0];
  /** The newest slot started, and how many slots before it are kept (older ones are forgotten as new ones start). */
  private newest = -Infinity;
  private readonly keepSlots: number;

  constructor(
    readonly slotMs = SLOT_MS,
    keepMs = Infinity,
  ) {
    this.keepSlots = Math.ceil(keepMs / slotMs);
  }

  /** The counters of the slot holding `t`, started when new (slots past the kept span are forgotten then: windows stay short to sum). */
  at(t: number): SlotCounts {
    const slot = Math.floor(t / this.slotMs);
    let c = this.slots.get(slot);
    if (c) return c;
    this.slots.set(slot, (c = [0, 0, 0, 0, 0, 0, 0, 0, 0]));
    if (slot > this.newest) {
      this.newest = slot;
      this.pruneOldest(slot - this.keepSlots);
    }
    return c;
  }

  /** Forgets slots before `keepFrom` from the oldest on, up to the first kept (slots are mostly started in time order). */
  private pruneOldest(keepFrom: number): void {
    for (const [slot, c] of this.slots) {
      if (slot >= keepFrom) return;
      this.forget(slot, c);
    }
  }

  /** Notes a call counted into a slot's counters (`held`). */
  heldAdd(authFailure: boolean, bytes: number): void {
    this.held[0]++;
    if (authFailure) this.held[1]++;
    this.held[2] += bytes;
  }

  private forget(slot: number, c: SlotCounts): void {
    this.slots.delete(slot);
    this.held[0] -= c[SLOT.calls]!;
    this.held[1] -= c[SLOT.authFailures]!;
    this.held[2] -= c[SLOT.bytes]!;
  }

  /** The counters summed over the slots inside [from, to) (both on slot boundaries). */
  sum(from: number, to: number): SlotCounts {
    const total = new Array<number>(SLOT_FIELDS).fill(0);
    const first = Math.floor(from / this.slotMs);
    const last = Math.ceil(to / this.slotMs) - 1;
    for (const [slot, c] of this.slots) {
      if (slot < first || slot > last) continue;
      for (let i = 0; i < SLOT_FIELDS; i++) total[i] = i === SLOT.largestBytes ? Math.max(total[i]!, c[i] ?? 0) : total[i]! + (c[i] ?? 0);
    }
    return total;
  }

  /** Calls, failed logins and bytes summed over the slots inside [from, to), into `into` (the engine asks them of every window first). */
  totals(from: number, to: number, into: [calls: number, authFailures: number, bytes: number]): void {
    const first = Math.floor(from / this.slotMs);
    const last = Math.ceil(to / this.slotMs) - 1;
    into[0] = into[1] = into[2] = 0;
    for (const [slot, c] of this.slots) {
      if (slot < first || slot > last) continue;
      into[0] += c[SLOT.calls]!;
      into[1] += c[SLOT.authFailures]!;
      into[2] += c[SLOT.bytes]!;
    }
  }

  /** One counter of each slot inside [from, to), oldest first (empty slots as 0). */
  series(field: number, from: number, to: number): number[] {
    const first = Math.floor(from / this.slotMs);
    const last = Math.ceil(to / this.slotMs) - 1;
    const out = new Array<number>(Math.max(0, last - first + 1)).fill(0);
    for (const [slot, c] of this.slots) if (slot >= first && slot <= last) out[slot - first] = c[field]!;
    return out;
  }

  /** The span [first slot with calls, end of the last one) inside [from, to); the window itself when it holds none. */
  activeSpan(from: number, to: number): { from: number; to: number } {
    return spanOf(this.slots.keys(), (slot) => this.slots.get(slot)![SLOT.calls]! > 0, this.slotMs, from, to);
  }

  /** Forgets slots that end at or before `before`. */
  prune(before: number): void {
    const keepFrom = Math.floor(before / this.slotMs);
    for (const [slot, c] of this.slots) if (slot < keepFrom) this.forget(slot, c);
  }

  /**
   * Its slots for a checkpoint, flat: per slot its offset from the slot of `base`, how many counters follow (its
   * trailing zeros left out), then those counters. One array of numbers writes and reads faster than one per slot.
   */
  toFlat(base = 0): number[] {
    const baseSlot = Math.floor(base / this.slotMs);
    const out: number[] = [];
    for (const [slot, c] of this.slots) {
      let end = c.length;
      while (end > 1 && c[end - 1] === 0) end--;
      out.push(slot - baseSlot, end);
      for (let i = 0; i < end; i++) out.push(c[i]!);
    }
    return out;
  }

  /** Reads back `toFlat`, or the rows of a checkpoint written before it ([offset, counters] per slot). */
  static fromFlat(flat: readonly (number | [number, SlotCounts])[] | undefined, slotMs = SLOT_MS, base = 0, keepMs = Infinity): SlotSeries {
    const s = new SlotSeries(slotMs, keepMs);
    const baseSlot = Math.floor(base / slotMs);
    const put = (offset: number, c: readonly number[]) => {
      const counts: SlotCounts = [0, 0, 0, 0, 0, 0, 0, 0, 0];
      for (let i = 0; i < Math.min(c.length, SLOT_FIELDS); i++) counts[i] = c[i]!;
      s.slots.set(baseSlot + offset, counts);
      s.held[0] += counts[SLOT.calls]!;
      s.held[1] += counts[SLOT.authFailures]!;
      s.held[2] += counts[SLOT.bytes]!;
      s.newest = Math.max(s.newest, baseSlot + offset);
    };
    const list = flat ?? [];
    for (let i = 0; i < list.length; ) {
      const head = list[i]!;
      if (Array.isArray(head)) {
        put(head[0], head[1]);
        i++;
        continue;
      }
      const n = list[i + 1] as number;
      put(head, list.slice(i + 2, i + 2 + n) as number[]);
      i += 2 + n;
    }
    return s;
  }
}

/** The span of the slots (of `slotMs`) that `active` accepts inside [from, to), slot-aligned; [from, to) when there are none. */
export function spanOf(slots: Iterable<number>, active: (slot: number) => boolean, slotMs: number, from: number, to: number): { from: number; to: number } {
  const first = Math.floor(from / slotMs);
  const last = Math.ceil(to / slotMs) - 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (const slot of slots) {
    if (slot < first || slot > last || !active(slot)) continue;
    if (slot < lo) lo = slot;
    if (slot > hi) hi = slot;
  }
  return lo === Infinity ? { from, to } : { from: Math.max(from, lo * slotMs), to: Math.min(to, (hi + 1) * slotMs) };
}
