/**
 * Checkpoint text written straight into one reused byte buffer, the same
 * text JSON.stringify gives: a subject's checkpoint is mostly small integers
 * in a few flat lists, and building those lists as arrays only to have them
 * stringified made most of a checkpoint's cost and nearly all its garbage.
 * One text is written at a time (`start`, the writes, `text`), synchronously.
 */
export class JsonText {
  private buf = Buffer.allocUnsafe(4096);
  private n = 0;

  start(): this {
    this.n = 0;
    return this;
  }

  /** The text written since `start`. */
  text(): string {
    return this.buf.toString('utf8', 0, this.n);
  }

  /** Punctuation and keys: text that needs no escaping, in ASCII. */
  raw(ascii: string): void {
    this.room(ascii.length);
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < ascii.length; i++) b[n++] = ascii.charCodeAt(i);
    this.n = n;
  }

  /** One ASCII character by its code (`[`, `,`…). */
  char(code: number): void {
    if (this.n >= this.buf.length) this.room(1);
    this.buf[this.n++] = code;
  }

  /** A number as JSON writes it (null when it is not finite): most are integers of 32 bits, written two digits at a time. */
  num(x: number): void {
    if (x % 1 !== 0 || x > MAX_UINT32 || x < -MAX_UINT32) return this.other(x);
    if (this.n + 11 > this.buf.length) this.room(11);
    const b = this.buf;
    let n = this.n;
    if (x < 0) {
      b[n++] = 45;
      x = -x;
    }
    this.n = writeUint(b, n, x);
  }

  /** A number `num` leaves: past 32 bits, or not an integer. */
  private other(x: number): void {
    if (!Number.isSafeInteger(x)) return this.raw(Number.isFinite(x) ? String(x) : 'null');
    this.room(17);
    if (x < 0) {
      this.buf[this.n++] = 45;
      x = -x;
    }
    // A safe integer past 32 bits (a time since 1970): its top digits, then its last nine, padded.
    const high = Math.floor(x / 1e9);
    this.n = writeUint(this.buf, this.n, high);
    this.n = writePadded9(this.buf, this.n, x - high * 1e9);
  }

  /** A comma, then a number: the next item of a list of numbers. */
  commaNum(x: number): void {
    this.char(44);
    this.num(x);
  }

  /** A comma then each of `count` numbers from `cells[at]`: the counters of a slot, in one pass. */
  commaNums(cells: readonly number[], at: number, count: number): void {
    this.room(count * 11);
    let b = this.buf;
    let n = this.n;
    for (let i = at; i < at + count; i++) {
      const x = cells[i]!;
      b[n++] = 44;
      if (x >= 0 && x <= MAX_UINT32 && x % 1 === 0) {
        n = writeUint(b, n, x);
        continue;
      }
      // Counters are never negative; anything else as `num` writes it.
      this.n = n;
      this.num(x);
      this.room((at + count - i) * 11);
      b = this.buf;
      n = this.n;
    }
    this.n = n;
  }

  /** A number, or null when there is none. */
  numOrNull(x: number | undefined): void {
    if (x === undefined) this.raw('null');
    else this.num(x);
  }

  /** A string in quotes, escaped as JSON.stringify escapes it. */
  str(s: string): void {
    this.room(s.length + 2);
    const b = this.buf;
    let n = this.n;
    b[n++] = 34;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      // Quotes, backslashes, control characters and anything past ASCII (surrogates among them) take the slow path.
      if (c < 32 || c > 126 || c === 34 || c === 92) return this.json(s);
      b[n++] = c;
    }
    b[n++] = 34;
    this.n = n;
  }

  /** Any value, by JSON.stringify (for the rare parts: episodes, verdicts). */
  json(value: unknown): void {
    const text = JSON.stringify(value);
    this.room(Buffer.byteLength(text));
    this.n += this.buf.write(text, this.n, 'utf8');
  }

  /** `[key,number]` per entry of a map, in a list. */
  entries(map: ReadonlyMap<string | number, number>): void {
    this.char(91);
    this.listed = 0;
    // A method and `this` rather than a closure: nothing allocated per map.
    map.forEach(this.entry, this);
    this.char(93);
  }

  /** Each key then its number plus `shift`, in one flat list. */
  flatKeys(map: ReadonlyMap<string, number>, shift: number): void {
    this.char(91);
    this.listed = 0;
    this.shift = shift;
    map.forEach(this.flatKey, this);
    this.char(93);
  }

  /** Entries written in the list being written by `entries` or `flatKeys` (their callbacks write no list of their own). */
  private listed = 0;
  private shift = 0;

  private entry(this: JsonText, value: number, key: string | number): void {
    if (this.listed++ > 0) this.char(44);
    this.char(91);
    if (typeof key === 'string') this.str(key);
    else this.num(key);
    this.commaNum(value);
    this.char(93);
  }

  private flatKey(this: JsonText, value: number, key: string): void {
    if (this.listed++ > 0) this.char(44);
    this.str(key);
    this.commaNum(value + this.shift);
  }

  private room(bytes: number): void {
    if (this.n + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + bytes));
    this.buf.copy(grown, 0, 0, this.n);
    this.buf = grown;
  }
}

const MAX_UINT32 = 4_294_967_295;

/** The ASCII digits of 0–99, two apiece: a number is written two digits at a time. */
const PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');

/** Writes `x` (an integer in 0..2^32−1) at `n`, which has room for ten bytes; where the text ends. */
function writeUint(b: Buffer, n: number, x: number): number {
  if (x < 10) {
    b[n] = 48 + x;
    return n + 1;
  }
  const digits = x < 100 ? 2 : x < 1e3 ? 3 : x < 1e4 ? 4 : x < 1e5 ? 5 : x < 1e6 ? 6 : x < 1e7 ? 7 : x < 1e8 ? 8 : x < 1e9 ? 9 : 10;
  let at = n + digits;
  while (x >= 100) {
    const q = Math.floor(x / 100);
    const pair = (x - q * 100) * 2;
    b[--at] = PAIRS[pair + 1]!;
    b[--at] = PAIRS[pair]!;
    x = q;
  }
  if (x < 10) b[--at] = 48 + x;
  else {
    b[--at] = PAIRS[x * 2 + 1]!;
    b[--at] = PAIRS[x * 2]!;
  }
  return n + digits;
}

/** Writes `x` (0..999,999,999) as nine digits, leading zeros kept: the low part of a wider number. */
function writePadded9(b: Buffer, n: number, x: number): number {
  for (let at = n + 8; at >= n; at--) {
    const q = Math.floor(x / 10);
    b[at] = 48 + (x - q * 10);
    x = q;
  }
  return n + 9;
}

/** The text `write` makes, parsed back: what a checkpoint reader will see (tests, and callers wanting the rows). */
export function writtenValue<T>(write: (out: JsonText) => void): T {
  const out = new JsonText();
  write(out);
  return JSON.parse(out.text()) as T;
}
