import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/** Lines of an NDJSON file (`-` = stdin, `.gz` decompressed), with their line numbers. */
export async function* ndjsonLines(path: string, stdin: Readable = process.stdin): AsyncGenerator<{ line: string; number: number }> {
  let stream: Readable = path === '-' ? stdin : createReadStream(path);
  if (path.endsWith('.gz')) stream = stream.pipe(createGunzip());
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let number = 0;
  for await (const line of rl) {
    number++;
    if (line.trim().length === 0) continue;
    yield { line, number };
  }
}
