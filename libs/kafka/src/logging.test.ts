import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/telemetry';
import { kafkaLogCreator, loggable } from './logging.js';

describe('the kafkajs log bridge', () => {
  it('logs debug entries that carry protocol buffers (they used to crash the redaction pass, and with it the consumer)', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ service: 't', level: 'debug', destination });
    const log = kafkaLogCreator(logger)(logLevel.DEBUG);
    expect(() =>
      log({ namespace: 'Connection', level: logLevel.DEBUG, label: 'DEBUG', log: { timestamp: 'now', message: 'Response Fetch', payload: { buffer: Buffer.from('secret-bytes'), nested: { data: new Uint8Array(4), password: 'p' } } } }),
    ).not.toThrow();
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(lines[0]).toMatchObject({ msg: 'Response Fetch', payload: { buffer: '<12 bytes>', nested: { data: '<4 bytes>', password: '[redacted]' } } });
        expect(JSON.stringify(lines)).not.toContain('secret-bytes');
        resolve();
      }),
    );
  });

  it('cuts deep nesting and long arrays', () => {
    expect(loggable({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '[…]' } } } });
    expect((loggable(Array.from({ length: 80 }, (_, i) => i)) as unknown[]).length).toBe(50);
  });
});
