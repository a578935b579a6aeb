import { describe, expect, it } from 'vitest';
import { formatRfc3339, parseRfc3339 } from './timestamp.js';

describe('RFC 3339 timestamps', () => {
  it.each([
    ['2026-11-23T10:15:30Z', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2026-11-23T10:15:30.5Z', Date.UTC(2026, 10, 23, 10, 15, 30, 500)],
    ['2026-11-23T12:15:30+02:00', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2026-11-23t10:15:30z', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2026-11-23 10:15:30Z', Date.UTC(2026, 10, 23, 10, 15, 30)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('parses %s', (text, ms) => {
    expect(parseRfc3339(text)).toBe(ms);
  });

  it.each(['2026-11-23', '2026-11-23T10:15:30', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-23T24:00:00Z', 'now', ''])('rejects %j', (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });

  it('formats as UTC with milliseconds', () => {
    expect(formatRfc3339(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02T03:04:05.006Z');
  });
});
