import { describe, expect, it } from 'vitest';
import { messageBytes, requestChunks } from './chunks.js';

describe('requestChunks', () => {
  it('cuts a send into requests of at most the bound, in order, every message once', () => {
    const messages = Array.from({ length: 2500 }, (_, i) => ({ key: `k-${i}`, value: 'x'.repeat(400) }));
    const chunks = requestChunks(messages, 100_000);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.reduce((n, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(100_000);
    expect(chunks.flat()).toEqual(messages);
  });

  it('counts keys, values and headers in bytes (not characters), and sends an oversized message alone', () => {
    expect(messageBytes({ key: 'é', value: Buffer.alloc(10), headers: { h: 'ü' } })).toBe(32 + 2 + 10 + 1 + 2);
    const big = { key: null, value: Buffer.alloc(5000) };
    const small = { value: 'a' };
    expect(requestChunks([small, big, small], 1000).map((c) => c.length)).toEqual([1, 1, 1]);
    expect(requestChunks([], 1000)).toEqual([]);
  });
});
