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
    this.room(1);
    this.buf[this.n++] = code;
  }

  /** A number as JSON writes it (null when it is not finite). */
  num(x: number): void {
    if ((x | 0) !== x) return this.raw(Number.isFinite(x) ? String(x) : 'null');
    this.room(11);
    const b = this.buf;
    if (x < 0) {
      b[this.n++] = 45;
      x = -x;
    }
    let digits = 1;
    for (let p = 10; p <= x && digits < 10; p *= 10) digits++;
    let at = this.n + digits;
    this.n = at;
    do {
      b[--at] = 48 + (x % 10);
      x = (x / 10) | 0;
    } while (x > 0);
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
    let first = true;
    map.forEach((v, k) => {
      if (!first) this.char(44);
      first = false;
      this.char(91);
      if (typeof k === 'string') this.str(k);
      else this.num(k);
      this.char(44);
      this.num(v);
      this.char(93);
    });
    this.char(93);
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
