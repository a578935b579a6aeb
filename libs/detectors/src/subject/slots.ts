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
export const SLOT = { calls: 0, clientErrors: 1, authFailures: 2, automationCalls: 3, bytes: 4, gaps: 5, gapSumMs: 6, gapSquareSum: 7, largestBytes: 8 } as const;
export const SLOT_FIELDS = 9;

export type SlotCounts = number[];

export class SlotSeries {
  readonly slots = new Map<number, SlotCounts>();

  constructor(readonly slotMs = SLOT_MS) {}

  /** The counters of the slot holding `t`, started when new. */
  at(t: number): SlotCounts {
    const slot = Math.floor(t / this.slotMs);
    let c = this.slots.get(slot);
    if (!c) this.slots.set(slot, (c = new Array<number>(SLOT_FIELDS).fill(0)));
    return c;
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
    for (const slot of this.slots.keys()) if (slot < keepFrom) this.slots.delete(slot);
  }

  toRows(): [number, SlotCounts][] {
    return [...this.slots];
  }

  static fromRows(rows: readonly [number, SlotCounts][] | undefined, slotMs = SLOT_MS): SlotSeries {
    const s = new SlotSeries(slotMs);
    for (const [slot, c] of rows ?? []) s.slots.set(slot, c);
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
