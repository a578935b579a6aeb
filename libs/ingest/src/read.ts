import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { LineRef } from './types.js';

export interface InputLine {
  line: string;
  ref: LineRef;
  /** The input it came from, as given (`-` for stdin). */
  input: string;
}

/** What names an input in event ids: its path as given (at most its last 200 characters), `stdin` for `-`. */
export function sourceName(input: string): string {
  const name = input === '-' ? 'stdin' : input;
  return name.length <= 200 ? name : name.slice(-200);
}

/**
 * The non-empty lines of each input in turn (`-` = stdin, `.gz` decompressed), numbered from 1 in each;
 * an event's id is `<input>:<line number>`. Bytes that are not UTF-8 become U+FFFD.
 */
export async function* inputLines(inputs: readonly string[], stdin: Readable = process.stdin): AsyncGenerator<InputLine> {
  for (const input of inputs) {
    let stream: Readable = input === '-' ? stdin : createReadStream(input);
    if (input.endsWith('.gz')) stream = stream.pipe(createGunzip());
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    const name = sourceName(input);
    let number = 0;
    for await (const line of rl) {
      number++;
      if (line.trim().length === 0) continue;
      yield { line, ref: { number, id: `${name}:${number}` }, input };
    }
  }
}
