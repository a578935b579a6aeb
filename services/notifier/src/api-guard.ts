import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time: both sides are hashed first, so neither the content nor the
 * length of the token leaks through timing. The scheme name is
 * case-insensitive (RFC 7235 §2.1): `Bearer`, `bearer` and `BEARER` are one.
 */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  const presented = bearerToken(header);
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The credentials of a `Bearer` authorization header, or undefined when there are none. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

export interface LockoutOptions {
  /** Failed authentications from one address, within `windowMs`, that block it. */
  failures: number;
  windowMs: number;
  /** How long a blocked address is answered 429. */
  blockMs: number;
  /** Addresses tracked at most; past it the least recently failing one is forgotten. */
  maxAddresses: number;
}

export const defaultLockout: LockoutOptions = Object.freeze({ failures: 10, windowMs: 60_000, blockMs: 300_000, maxAddresses: 10_000 });

interface Entry {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

/**
 * Failed authentications by source address. After `failures` of them within
 * `windowMs`, the address is blocked for `blockMs`: every request from it is
 * answered 429, so a token cannot be guessed at the speed of the network.
 * The table holds at most `maxAddresses` entries (a Map in the order of
 * their last failure: the first is the one to forget).
 */
export function createLockout(options: LockoutOptions) {
  const table = new Map<string, Entry>();

  return {
    /** Milliseconds the address stays blocked, or 0. */
    blockedFor(address: string, now: number): number {
      const entry = table.get(address);
      if (!entry || entry.blockedUntil <= now) return 0;
      return entry.blockedUntil - now;
    },
    /** Records a failure; true when it is the one that blocks the address. */
    fail(address: string, now: number): boolean {
      let entry = table.get(address);
      table.delete(address);
      if (!entry || now - entry.windowStart >= options.windowMs) entry = { failures: 0, windowStart: now, blockedUntil: entry?.blockedUntil ?? 0 };
      entry.failures++;
      const blocks = entry.failures >= options.failures && entry.blockedUntil <= now;
      if (blocks) {
        entry.blockedUntil = now + options.blockMs;
        entry.failures = 0;
        entry.windowStart = now;
      }
      table.set(address, entry);
      if (table.size > options.maxAddresses) table.delete(table.keys().next().value!);
      return blocks;
    },
    /** A success (only possible while not blocked) clears the address's failures. */
    succeed(address: string): void {
      table.delete(address);
    },
    /** Addresses blocked now. */
    blocked(now: number): number {
      let n = 0;
      for (const e of table.values()) if (e.blockedUntil > now) n++;
      return n;
    },
    get size(): number {
      return table.size;
    },
  };
}

export type Lockout = ReturnType<typeof createLockout>;
