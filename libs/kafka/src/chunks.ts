import type { OutgoingMessage } from './types.js';

/**
 * The most bytes of keys, values and headers one produce request carries: under the broker's default
 * `message.max.bytes` (1 MB), which bounds a partition's record batch, and kafkajs puts all of a request's
 * messages for one partition into one batch. Bounding the whole request bounds every batch in it.
 */
export const MAX_REQUEST_BYTES = 900 * 1024;

/** Per message, what the record format adds to its key, value and headers (offsets, lengths, attributes). */
const RECORD_OVERHEAD_BYTES = 32;

function sizeOf(v: string | Buffer | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** The bytes a message adds to a produce request (approximately, from above). */
export function messageBytes(m: OutgoingMessage): number {
  let n = RECORD_OVERHEAD_BYTES + sizeOf(m.key) + sizeOf(m.value);
  if (m.headers) for (const k in m.headers) n += Buffer.byteLength(k) + sizeOf(m.headers[k]);
  return n;
}

/**
 * `messages` cut, in order, into runs of at most `maxBytes` each (a message larger than that goes alone:
 * the broker decides). One send of many messages to a topic with few partitions would otherwise be refused
 * whole ("a message larger than the max message size the server will accept").
 */
export function requestChunks(messages: readonly OutgoingMessage[], maxBytes = MAX_REQUEST_BYTES): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let chunk: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const n = messageBytes(m);
    if (chunk.length > 0 && bytes + n > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += n;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
