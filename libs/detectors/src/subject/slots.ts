/**
 * A subject's calls in time slots, each a few counters by position: calls,
 * 4xx answers, failed logins, calls with an automation user agent, response
 * bytes, and the gaps between consecutive calls measured (at most a minute
 * apart), their sum and the sum of their squares (in 100 ms², for the
 * variance). Windows of any length, wherever they fall, are sums of slots:
 * 10-second slots for the minutes (sliding windows with a 10-second step),
 * 5-minute slots for the hour.
 */
import { JsonText, writtenValue } from './json-text.js';
import { SlotTable } from './slot-table.js';

export const SLOT_MS = 10_000;
export const BLOCK_MS = 5 * 60_000;
/** Counters by position, the ones most slots have first: a checkpoint leaves out each slot's trailing zeros. */
export const SLOT = { calls: 0, bytes: 1, largestBytes: 2, gaps: 3, gapSumMs: 4, gapSquareSum: 5, clientErrors: 6, authFailures: 7, automationCalls: 8 } as const;
export const SLOT_FIELDS = 9;

export type SlotCounts = number[];

/** A subject's slots (subject/slot-table.ts), SLOT_FIELDS counters apiece, and what they hold in all. */
export class SlotSeries extends SlotTable {
  /**
   * Calls, failed logins and bytes over all the slots held (kept as they are counted and forgotten): an upper bound
   * of any window's, which spares summing the windows of the many subjects far below what a detector judges.
   */
  heldCalls = 0;
  heldAuthFailures = 0;
  heldBytes = 0;
  /** The newest slot started, and how many slots before it are kept (older ones are forgotten as new ones start). */
  private newest = -Infinity;
  private readonly keepSlots: number;

  constructor(
    readonly slotMs = SLOT_MS,
    keepMs = Infinity,
  ) {
    super(SLOT_FIELDS);
    this.keepSlots = Math.ceil(keepMs / slotMs);
  }

  /** Counts a call at `t` into its slot (the gap since the subject's previous call, when measured). */
  countCall(t: number, clientError: boolean, authFailure: boolean, automation: boolean, bytes: number | undefined, gap: number | undefined): void {
    const at = this.countersAt(this.positionOf(t));
    const c = this.cells;
    c[at + SLOT.calls]!++;
    this.heldCalls++;
    if (clientError) c[at + SLOT.clientErrors]!++;
    if (authFailure) {
      c[at + SLOT.authFailures]!++;
      this.heldAuthFailures++;
    }
    if (automation) c[at + SLOT.automationCalls]!++;
    if (bytes !== undefined) {
      c[at + SLOT.bytes]! += bytes;
      this.heldBytes += bytes;
      if (bytes > c[at + SLOT.largestBytes]!) c[at + SLOT.largestBytes] = bytes;
    }
    if (gap !== undefined) {
      c[at + SLOT.gaps]!++;
      c[at + SLOT.gapSumMs]! += gap;
      c[at + SLOT.gapSquareSum]! += Math.round((gap * gap) / 100);
    }
  }

  /** Adds `amount` to one counter of the slot holding `t` (the calls, failed logins and bytes held follow). */
  addTo(t: number, field: number, amount: number): void {
    this.cells[this.countersAt(this.positionOf(t)) + field]! += amount;
    if (field === SLOT.calls) this.heldCalls += amount;
    if (field === SLOT.authFailures) this.heldAuthFailures += amount;
    if (field === SLOT.bytes) this.heldBytes += amount;
  }

  /** The position of the slot holding `t`, started when new (slots past the kept span are forgotten then: windows stay short to sum). */
  private positionOf(t: number): number {
    const slot = Math.floor(t / this.slotMs);
    const found = this.find(slot);
    if (found >= 0) return found;
    const position = this.append(slot);
    if (slot <= this.newest) return position;
    this.newest = slot;
    const old = this.leadingBefore(slot - this.keepSlots);
    if (old === 0) return position;
    for (let p = this.start; p < this.start + old; p++) this.forget(p);
    this.dropFirst(old);
    return this.find(slot);
  }

  /** Takes a slot about to be forgotten out of the totals held. */
  protected override forget(position: number): void {
    this.hold(position, -1);
  }

  /** Takes the slot at `position` out of the totals held (sign −1) or puts it in (+1). */
  private hold(position: number, sign: 1 | -1): void {
    const at = this.countersAt(position);
    const c = this.cells;
    this.heldCalls += sign * c[at + SLOT.calls]!;
    this.heldAuthFailures += sign * c[at + SLOT.authFailures]!;
    this.heldBytes += sign * c[at + SLOT.bytes]!;
  }

  /** The counters summed over the slots inside [from, to) (both on slot boundaries). */
  sum(from: number, to: number): SlotCounts {
    const total = new Array<number>(SLOT_FIELDS).fill(0);
    const [first, last] = SlotTable.range(from, to, this.slotMs);
    const { cells, stride, start, end } = this;
    for (let p = start; p < end; p++) {
      const slot = cells[p * stride]!;
      if (slot < first || slot > last) continue;
      const at = p * stride + 1;
      for (let i = 0; i < SLOT_FIELDS; i++) total[i] = i === SLOT.largestBytes ? Math.max(total[i]!, cells[at + i]!) : total[i]! + cells[at + i]!;
    }
    return total;
  }

  /** Calls, failed logins and bytes summed over the slots inside [from, to), into `into` (the engine asks them of every window first). */
  totals(from: number, to: number, into: [calls: number, authFailures: number, bytes: number]): void {
    const [first, last] = SlotTable.range(from, to, this.slotMs);
    const { cells, stride, start, end } = this;
    let calls = 0;
    let authFailures = 0;
    let bytes = 0;
    for (let p = start; p < end; p++) {
      const slot = cells[p * stride]!;
      if (slot < first || slot > last) continue;
      const at = p * stride + 1;
      calls += cells[at + SLOT.calls]!;
      authFailures += cells[at + SLOT.authFailures]!;
      bytes += cells[at + SLOT.bytes]!;
    }
    into[0] = calls;
    into[1] = authFailures;
    into[2] = bytes;
  }

  /** One counter of each slot inside [from, to), oldest first (empty slots as 0). */
  series(field: number, from: number, to: number): number[] {
    const [first, last] = SlotTable.range(from, to, this.slotMs);
    const out = new Array<number>(Math.max(0, last - first + 1)).fill(0);
    const { cells, stride, start, end } = this;
    for (let p = start; p < end; p++) {
      const slot = cells[p * stride]!;
      if (slot >= first && slot <= last) out[slot - first] = cells[p * stride + 1 + field]!;
    }
    return out;
  }

  /** The span [first slot with calls, end of the last one) inside [from, to); the window itself when it holds none. */
  activeSpan(from: number, to: number): { from: number; to: number } {
    return this.span(from, to, this.slotMs, SLOT.calls);
  }

  /** Forgets slots that end at or before `before`. */
  prune(before: number): void {
    this.dropBefore(Math.floor(before / this.slotMs));
  }

  /**
   * Its slots for a checkpoint, flat: per slot its offset from the slot of `base`, how many counters follow (its
   * trailing zeros left out), then those counters. One list of numbers writes and reads faster than one per slot.
   */
  writeFlat(out: JsonText, base = 0): void {
    const baseSlot = Math.floor(base / this.slotMs);
    const { cells, stride, start, end } = this;
    out.char(91);
    for (let p = start; p < end; p++) {
      const at = p * stride + 1;
      let written = SLOT_FIELDS;
      while (written > 1 && cells[at + written - 1] === 0) written--;
      if (p > start) out.char(44);
      out.num(cells[p * stride]! - baseSlot);
      out.commaNum(written);
      out.commaNums(cells, at, written);
    }
    out.char(93);
  }

  /** `writeFlat`'s list, as numbers. */
  toFlat(base = 0): number[] {
    return writtenValue((out) => this.writeFlat(out, base));
  }

  /** Reads back `toFlat`, or the rows of a checkpoint written before it ([offset, counters] per slot). */
  static fromFlat(flat: readonly (number | [number, SlotCounts])[] | undefined, slotMs = SLOT_MS, base = 0, keepMs = Infinity): SlotSeries {
    const s = new SlotSeries(slotMs, keepMs);
    const baseSlot = Math.floor(base / slotMs);
    const put = (offset: number, c: readonly number[]) => {
      const slot = baseSlot + offset;
      s.hold(s.set(slot, c), 1);
      s.newest = Math.max(s.newest, slot);
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
