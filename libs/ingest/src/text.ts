/**
 * What every format needs from a line of text: bounded fields, the request target split into path and
 * host, the escapes servers write into quoted fields, times in the forms logs use, addresses without ports.
 * Written for speed (indexOf and char codes, no regular expression on the hot path): a core parses a
 * few hundred thousand lines a second.
 */

import { asciiDigits } from '@vigil/contracts';

/** The contract's bounds (ApiTransaction v1): longer text is cut, never refused. */
export const LIMITS = { id: 256, api: 256, path: 8192, clientIp: 64, principal: 512, clientId: 512, userAgent: 2048, contentType: 256, route: 8192 } as const;

export function bound(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

/** 1 to 16 ASCII letters (the contract's method). */
export function isMethod(text: string): boolean {
  const n = text.length;
  if (n === 0 || n > 16) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** A request target (`/a/b?q`, `http://host:80/a?q`, `*`, `host:443`) as the contract's path (no query) and the host it names, if any. */
export function splitTarget(target: string): { path: string; host: string | undefined } {
  let host: string | undefined;
  let path = target;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const scheme = target.indexOf('://');
    if (scheme > 0 && scheme < 10) {
      const start = scheme + 3;
      let end = target.indexOf('/', start);
      const q = target.indexOf('?', start);
      if (end < 0 || (q >= 0 && q < end)) end = q;
      const authority = end < 0 ? target.slice(start) : target.slice(start, end);
      host = hostOf(authority);
      path = end < 0 ? '/' : target.slice(end);
    }
  }
  const q = path.indexOf('?');
  if (q >= 0) path = path.slice(0, q);
  const f = path.indexOf('#');
  if (f >= 0) path = path.slice(0, f);
  if (path.length === 0) path = '/';
  return { path: bound(path, LIMITS.path), host };
}

/** `user@host:port` or `[v6]:port` to the host name alone (lower case). */
export function hostOf(authority: string): string | undefined {
  let a = authority;
  const at = a.lastIndexOf('@');
  if (at >= 0) a = a.slice(at + 1);
  if (a.charCodeAt(0) === 91 /* [ */) {
    const close = a.indexOf(']');
    a = close > 0 ? a.slice(1, close) : a.slice(1);
  } else {
    const colon = a.indexOf(':');
    if (colon >= 0 && a.indexOf(':', colon + 1) < 0) a = a.slice(0, colon);
  }
  return a.length > 0 && a !== '-' ? bound(a.toLowerCase(), LIMITS.api) : undefined;
}

/**
 * An address with or without a port to the address alone: `203.0.113.7:4711`, `[2001:db8::1]:4711`,
 * `203.0.113.7`, `2001:db8::1` (two colons or more and no brackets: no port). ALB writes an IPv6 client
 * followed by `:port` without brackets: `unbracketedV6HasPort` says so.
 */
export function addressOf(text: string, unbracketedV6HasPort = false): string | undefined {
  if (text.length === 0 || text === '-') return undefined;
  let a = text;
  if (a.charCodeAt(0) === 91 /* [ */) {
    const close = a.indexOf(']');
    a = close > 0 ? a.slice(1, close) : a.slice(1);
  } else {
    const colon = a.lastIndexOf(':');
    if (colon > 0 && (unbracketedV6HasPort || a.indexOf(':') === colon)) a = a.slice(0, colon);
  }
  return a.length > 0 ? bound(a, LIMITS.clientIp) : undefined;
}

/** The first address of an X-Forwarded-For list. */
export function firstForwarded(text: string): string | undefined {
  const comma = text.indexOf(',');
  const first = (comma < 0 ? text : text.slice(0, comma)).trim();
  return first.length > 0 && first !== '-' ? bound(first, LIMITS.clientIp) : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * The text of a quoted log field as the server escaped it: Apache writes `\"` and `\\`, NGINX `\x22`, both
 * write bytes outside printable ASCII as `\xHH` (so a UTF-8 user agent arrives as `\xC3\xA9`), and `\n`, `\t`.
 * Escaped bytes are decoded as UTF-8; a byte sequence that is not UTF-8 becomes U+FFFD.
 */
export function unescapeLogText(text: string): string {
  if (text.indexOf('\\') < 0) return text;
  const bytes: number[] = [];
  let out = '';
  const flush = () => {
    if (bytes.length > 0) {
      out += utf8.decode(Uint8Array.from(bytes));
      bytes.length = 0;
    }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */ && i + 1 < text.length) {
      const n = text[i + 1];
      if (n === 'x' && i + 3 < text.length) {
        const hex = parseInt(text.slice(i + 2, i + 4), 16);
        if (!Number.isNaN(hex) && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
          bytes.push(hex);
          i += 3;
          continue;
        }
      }
      flush();
      if (n === '"' || n === '\\') out += n;
      else if (n === 'n') out += '\n';
      else if (n === 't') out += '\t';
      else if (n === 'r') out += '\r';
      else out += `\\${n}`;
      i += 1;
      continue;
    }
    flush();
    out += text[i];
  }
  flush();
  return out;
}

/**
 * Reads space-separated fields of a log line: bare tokens, `"quoted"` fields (escapes kept: `\"` does not
 * end one) and `[bracketed]` ones. `next*` return undefined at the end of the line.
 */
export class FieldReader {
  line = '';
  at = 0;

  reset(line: string): this {
    this.line = line;
    this.at = 0;
    return this;
  }

  get done(): boolean {
    return this.at >= this.line.length;
  }

  /** The next character code after any spaces (-1 at the end), without moving. */
  peek(): number {
    while (this.line.charCodeAt(this.at) === 32) this.at++;
    return this.at < this.line.length ? this.line.charCodeAt(this.at) : -1;
  }

  token(): string | undefined {
    const line = this.line;
    while (line.charCodeAt(this.at) === 32) this.at++;
    if (this.at >= line.length) return undefined;
    const start = this.at;
    let end = line.indexOf(' ', start);
    if (end < 0) end = line.length;
    this.at = end + 1;
    return line.slice(start, end);
  }

  /** A `"quoted"` field's raw text (escapes not decoded); undefined when the next field is not quoted or never closes. */
  quoted(): string | undefined {
    const line = this.line;
    while (line.charCodeAt(this.at) === 32) this.at++;
    if (line.charCodeAt(this.at) !== 34 /* " */) return undefined;
    const start = this.at + 1;
    let i = start;
    for (;;) {
      const q = line.indexOf('"', i);
      if (q < 0) return undefined;
      // A quote preceded by an odd number of backslashes is escaped.
      let b = q - 1;
      while (b >= start && line.charCodeAt(b) === 92) b--;
      if ((q - 1 - b) % 2 === 1) {
        i = q + 1;
        continue;
      }
      this.at = q + 1;
      return line.slice(start, q);
    }
  }

  /** A `[bracketed]` field's text; undefined when the next field is not one. */
  bracketed(): string | undefined {
    const line = this.line;
    while (line.charCodeAt(this.at) === 32) this.at++;
    if (line.charCodeAt(this.at) !== 91 /* [ */) return undefined;
    const close = line.indexOf(']', this.at + 1);
    if (close < 0) return undefined;
    const text = line.slice(this.at + 1, close);
    this.at = close + 1;
    return text;
  }
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** `10/Oct/2000:13:55:36 -0700` (Apache `%t`, NGINX `$time_local`) to epoch ms; undefined when it is not one. */
export function parseClfTime(text: string): number | undefined {
  if (text.length !== 26 || text.charCodeAt(2) !== 47 || text.charCodeAt(6) !== 47 || text.charCodeAt(11) !== 58 || text.charCodeAt(20) !== 32) return undefined;
  const day = asciiDigits(text, 0, 2);
  const month = MONTHS[text.slice(3, 6)];
  const year = asciiDigits(text, 7, 4);
  const h = asciiDigits(text, 12, 2);
  const mi = asciiDigits(text, 15, 2);
  const s = asciiDigits(text, 18, 2);
  const sign = text.charCodeAt(21);
  const oh = asciiDigits(text, 22, 2);
  const om = asciiDigits(text, 24, 2);
  if (month === undefined || day < 1 || day > 31 || year < 1970 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60 || oh < 0 || om < 0 || (sign !== 43 && sign !== 45)) return undefined;
  const offset = (oh * 60 + om) * 60_000 * (sign === 45 ? -1 : 1);
  return Date.UTC(year, month, day, h, mi, Math.min(s, 59)) - offset;
}

/**
 * An ISO 8601 / RFC 3339 time with any number of fraction digits (`2018-07-02T22:22:48.364000Z`, ALB;
 * `2026-11-23T10:15:30+01:00`, NGINX `$time_iso8601`) to epoch ms; undefined when it is not one.
 */
export function parseIsoTime(text: string): number | undefined {
  const n = text.length;
  if (n < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (text.charCodeAt(10) | 0x20) !== 116 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return n >= 20 && text.charCodeAt(10) === 32 ? parseIsoTime(`${text.slice(0, 10)}T${text.slice(11)}`) : undefined;
  }
  const y = asciiDigits(text, 0, 4);
  const mo = asciiDigits(text, 5, 2);
  const d = asciiDigits(text, 8, 2);
  const h = asciiDigits(text, 11, 2);
  const mi = asciiDigits(text, 14, 2);
  const s = asciiDigits(text, 17, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return undefined;
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    i++;
    let scale = 100;
    while (i < n) {
      const dgt = text.charCodeAt(i) - 48;
      if (dgt < 0 || dgt > 9) break;
      ms += dgt * scale;
      scale /= 10;
      i++;
    }
    ms = Math.floor(ms);
  }
  let offset = 0;
  const z = text.charCodeAt(i);
  if ((z | 0x20) === 122 /* z */ && i === n - 1) offset = 0;
  else if ((z === 43 || z === 45) && (n - i === 6 || n - i === 5)) {
    const oh = asciiDigits(text, i + 1, 2);
    const om = asciiDigits(text, n - 2, 2);
    if (oh < 0 || om < 0) return undefined;
    offset = (oh * 60 + om) * 60_000 * (z === 45 ? -1 : 1);
  } else return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms) - offset;
}

/** A decimal number of a log (`0.005`, `2326`); undefined for `-`, empty or anything else. */
export function numberOf(text: unknown): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  if (typeof text !== 'string' || text.length === 0 || text === '-') return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

/** A byte count: a non-negative integer (`-` is none). */
export function countOf(value: unknown): number | undefined {
  const v = typeof value === 'number' ? value : typeof value === 'string' ? numberOf(value) : undefined;
  return v !== undefined && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER ? v : undefined;
}

/** A string field of a JSON log: absent, null, empty and `-` are none; bounded to `max`. */
export function textOf(value: unknown, max: number): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value.length === 0 || value === '-') return undefined;
  return bound(value, max);
}

/** An HTTP status of 100..599, from a number or digits. */
export function statusOf(value: unknown): number | undefined {
  const v = typeof value === 'number' ? value : typeof value === 'string' && value.length === 3 ? asciiDigits(value, 0, 3) : undefined;
  return v !== undefined && Number.isInteger(v) && v >= 100 && v <= 599 ? v : undefined;
}

/** JSON.parse of a line that must be an object; the reason otherwise. */
export function parseJsonObject(line: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return `not JSON: ${(err as Error).message.slice(0, 120)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`;
  return value as Record<string, unknown>;
}

/** The value at `key` of a JSON object (a key holding a dot is tried whole first, then as a path). */
export function pick(obj: Record<string, unknown>, key: string): unknown {
  const direct = obj[key];
  if (direct !== undefined || key.indexOf('.') < 0) return direct;
  let v: unknown = obj;
  for (const part of key.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Cuts a quoted sample of bad input for a reason (never the whole of a hostile line). */
export function sample(text: string, max = 40): string {
  return JSON.stringify(text.length <= max ? text : `${text.slice(0, max)}…`);
}
