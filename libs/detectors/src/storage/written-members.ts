/**
 * Members this process wrote to sets and HyperLogLogs in Redis this hour,
 * by key: adding a member a set or HyperLogLog holds changes nothing, and
 * most callers call again and again, so a batch sends only the new ones.
 * The first member of each batch's is sent whatever it is, so every batch
 * that has members for a key still writes to it (its TTL, its size read
 * back). Once an hour, after a failed write, or past `max` members, every
 * member is written again; so is a key found smaller than what was written
 * to it (it expired meanwhile).
 */
export class WrittenMembers {
  /** By key, the members written this hour and the set's number (never reused: a caller can tell the set it added to is still the one held). */
  private readonly byKey = new Map<string, { members: Set<string>; id: number }>();
  private hour = NaN;
  /** Members held in all (an upper bound: a key forgotten alone is not taken off). */
  private count = 0;
  private lastId = 0;

  constructor(private readonly max: number) {}

  /** `key`'s members of one batch, noted one by one as it counts them. */
  batchOf(key: string, hour: number): BatchMembers {
    if (hour !== this.hour || this.count > this.max) this.forget(hour);
    let written = this.byKey.get(key);
    if (!written) this.byKey.set(key, (written = { members: new Set(), id: ++this.lastId }));
    return new BatchMembers(written.members, written.id, () => this.count++);
  }

  /** How many distinct members were written to `key` this hour. */
  written(key: string): number {
    return this.byKey.get(key)?.members.size ?? 0;
  }

  /** The key was found holding fewer members than were written (`size`, read back after the write; `cap`, its bound): all are written again. */
  check(key: string, size: number, cap: number): void {
    if (size < Math.min(this.written(key), cap)) this.byKey.delete(key);
  }

  /** Forgets every member (the next batch writes all it has). */
  forget(hour = NaN): void {
    this.byKey.clear();
    this.count = 0;
    this.hour = hour;
  }
}

/**
 * A batch's members of one key, noted as they are counted: a member is looked up once among those written this hour
 * (most are), with no set of the batch's own to build first.
 */
export class BatchMembers {
  /** Members not written this hour, in the order first met (noted as written now). */
  private readonly fresh: string[] = [];
  /** The batch's first member: sent when every one was written already (the key is still written: its TTL). */
  private first: string | undefined;

  constructor(
    private readonly written: Set<string>,
    /** The number of `written` (storage/written-members.ts): another once the key's members are forgotten. */
    readonly id: number,
    private readonly noted: () => void,
  ) {}

  add(member: string): void {
    this.first ??= member;
    if (this.written.has(member)) return;
    this.written.add(member);
    this.fresh.push(member);
    this.noted();
  }

  /** A member the caller knows was written (added to the set numbered `id`): only the batch's first is noted. */
  seen(member: string): void {
    this.first ??= member;
  }

  /** Members it added that were not written this hour. */
  get newMembers(): number {
    return this.fresh.length;
  }

  /** What the batch sends: its new members, else its first. */
  members(): string[] {
    return this.fresh.length > 0 || this.first === undefined ? this.fresh : [this.first];
  }
}

/**
 * What one caller (an actor's identity, kept from batch to batch) added to sets of members lately: pairs of a set's
 * number (BatchMembers.id) and the member added, flat, the newest last. A call that adds the same member to the same
 * set again (most do) looks nothing up in it; a set replaced (a new hour, a failed batch, a key found short) has
 * another number. At most MAX_MEMBER_MARKS pairs, the oldest dropped: a caller of many keys just looks up more.
 */
export type MemberMarks = (number | string)[];

const MAX_MEMBER_MARKS = 16;

/** Adds `member` to a batch's members, or only notes it when the caller's marks say it added it to the same set. */
export function addMarked(members: BatchMembers, member: string, marks: MemberMarks | undefined): void {
  if (!marks) return members.add(member);
  for (let k = 0; k < marks.length; k += 2) {
    if (marks[k] !== members.id) continue;
    if (marks[k + 1] === member) return members.seen(member);
    members.add(member);
    marks[k + 1] = member;
    return;
  }
  members.add(member);
  if (marks.length === 2 * MAX_MEMBER_MARKS) marks.splice(0, 2);
  marks.push(members.id, member);
}

