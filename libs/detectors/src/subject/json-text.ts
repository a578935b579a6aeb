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

  /** A number as JSON writes it (null when it is not finite): most are small integers, written digit by digit. */
  num(x: number): void {
    if ((x | 0) !== x) return this.wide(x);
    if (this.n + 11 > this.buf.length) this.room(11);
    const b = this.buf;
    let n = this.n;
    if (x < 0) {
      b[n++] = 45;
      x = -x;
    }
    if (x < 10) {
      b[n] = 48 + x;
      this.n = n + 1;
      return;
    }
    let digits = 2;
    for (let p = 100; p <= x && digits < 10; p *= 10) digits++;
    let at = n + digits;
    this.n = at;
    do {
      b[--at] = 48 + (x % 10);
      x = (x / 10) | 0;
    } while (x > 0);
  }

  /** A number past 32 bits: a safe integer (a time since 1970) digit by digit, anything else as String writes it. */
  private wide(x: number): void {
    if (!Number.isSafeInteger(x)) return this.raw(Number.isFinite(x) ? String(x) : 'null');
    this.room(17);
    const b = this.buf;
    if (x < 0) {
      b[this.n++] = 45;
      x = -x;
    }
    let digits = 10;
    for (let p = 1e10; p <= x; p *= 10) digits++;
    let at = this.n + digits;
    this.n = at;
    do {
      b[--at] = 48 + (x % 10);
      x = Math.floor(x / 10);
    } while (x > 0);
  }

  /** A comma, then a number: the next item of a list of numbers. */
  commaNum(x: number): void {
    this.char(44);
    this.num(x);
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

/** The text `write` makes, parsed back: what a checkpoint reader will see (tests, and callers wanting the rows). */
export function writtenValue<T>(write: (out: JsonText) => void): T {
  const out = new JsonText();
  write(out);
  return JSON.parse(out.text()) as T;
}
