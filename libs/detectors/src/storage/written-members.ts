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
