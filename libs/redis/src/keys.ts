import { createHash } from 'node:crypto';
import { StateError } from '@vigil/errors';

/**
 * Every Redis key vigil writes is built here. Parts that come from traffic
 * (IPs, principals, routes) are untrusted: they are percent-escaped, so no
 * part can forge a separator or a hash tag, and bounded, so no key grows
 * past a fixed length however long the input.
 */

/** Longest escaped part kept verbatim; longer ones are cut and suffixed with a hash of the whole. */
export const MAX_KEY_PART = 160;

const SAFE = /^[A-Za-z0-9._~@/-]*$/;

export function escapeKeyPart(part: string, maxLength = MAX_KEY_PART): string {
  if (SAFE.test(part) && part.length <= maxLength) return part;
  // Route templates (`{id}`), IPv6 addresses and the like: ASCII, escaped from a table, no array per character.
  if (part.length <= maxLength) {
    const ascii = escapeAscii(part);
    if (ascii !== undefined && ascii.length <= maxLength) return ascii;
  }
  const pieces = Array.from(part, escapeChar);
  const full = pieces.join('');
  if (full.length <= maxLength) return full;
  // Too long: keep whole escaped characters up to the limit, then a digest of the whole input.
  const digest = createHash('sha256').update(part).digest('base64url').slice(0, 16);
  let cut = '';
  for (const piece of pieces) {
    if (cut.length + piece.length > maxLength - 17) break;
    cut += piece;
  }
  return `${cut}#${digest}`;
}

function escapeChar(ch: string): string {
  if (SAFE.test(ch)) return ch;
  return Array.from(Buffer.from(ch, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** Each ASCII character as `escapeChar` writes it. */
const ASCII_ESCAPED = Array.from({ length: 128 }, (_, code) => escapeChar(String.fromCharCode(code)));

/** `part` escaped as `escapeChar` would, character by character; undefined when it holds a non-ASCII character. */
function escapeAscii(part: string): string | undefined {
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    if (code >= 128) return undefined;
    out += ASCII_ESCAPED[code]!;
  }
  return out;
}

export function unescapeKeyPart(escaped: string): string {
  return decodeURIComponent(escaped);
}

export interface Keyspace {
  readonly prefix: string;
  /**
   * `prefix:{slot}:part:part…`. The slot part is the hash tag: keys that a
   * script touches together must share it (Redis Cluster).
   */
  key(slot: string, ...parts: string[]): string;
}

export function createKeyspace(prefix: string): Keyspace {
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(prefix)) throw new StateError('VIGIL_REDIS_KEY', `key prefix must be 1-32 letters, digits, _ . or -, got ${JSON.stringify(prefix)}`);
  return Object.freeze({
    prefix,
    key(slot: string, ...parts: string[]): string {
      return [`${prefix}:{${escapeKeyPart(slot, 64)}}`, ...parts.map((p) => escapeKeyPart(p))].join(':');
    },
  });
}
