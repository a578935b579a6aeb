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
  private readonly byKey = new Map<string, Set<string>>();
  private hour = NaN;
  /** Members held in all (an upper bound: a key forgotten alone is not taken off). */
  private count = 0;
  /** A number for each set of members made, never reused: a caller can tell the set it added to is still the one held. */
  private readonly ids = new WeakMap<Set<string>, number>();
  private lastId = 0;

  constructor(private readonly max: number) {}

  /** The members not written to `key` yet this hour (noted as written now), and the first of them whatever it is. */
  unwritten(key: string, hour: number, members: ReadonlySet<string>): string[] {
    if (hour !== this.hour || this.count + members.size > this.max) this.forget(hour);
    let written = this.byKey.get(key);
    if (!written) this.byKey.set(key, (written = new Set()));
    const out: string[] = [];
    for (const member of members) {
      if (!written.has(member)) {
        written.add(member);
        out.push(member);
      } else if (out.length === 0) out.push(member);
    }
    this.count += out.length;
    return out;
  }

  /** `key`'s members of one batch, noted one by one as it counts them (what `unwritten` does for a whole set). */
  batchOf(key: string, hour: number): BatchMembers {
    if (hour !== this.hour || this.count > this.max) this.forget(hour);
    let written = this.byKey.get(key);
    if (!written) this.byKey.set(key, (written = new Set()));
    let id = this.ids.get(written);
    if (id === undefined) this.ids.set(written, (id = ++this.lastId));
    return new BatchMembers(written, id, () => this.count++);
  }

  /** How many distinct members were written to `key` this hour. */
  written(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
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

  /** What the batch sends: its new members, else its first. */
  members(): string[] {
    return this.fresh.length > 0 || this.first === undefined ? this.fresh : [this.first];
  }
}
