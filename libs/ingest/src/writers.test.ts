import { describe, expect, it } from 'vitest';
import type { ApiTransaction } from '@vigil/contracts';
import { simulate } from '@vigil/simulator';
import { parseLines } from './ingest.js';
import { formats } from './formats/index.js';
import { lineWriter } from './writers.js';

/** What a format can give back of an event: the fields its source carries, as that source writes them. */
function carried(format: string, e: ApiTransaction): Partial<ApiTransaction> {
  const lacks = new Set<string>(formats[format as keyof typeof formats].lacks);
  const keep: Partial<ApiTransaction> = { method: e.method, path: e.path, status: e.status };
  for (const k of ['principal', 'clientIp', 'userAgent', 'requestBytes', 'responseBytes', 'contentType'] as const) {
    if (!lacks.has(k) && e[k] !== undefined) (keep as Record<string, unknown>)[k] = e[k];
  }
  return keep;
}

describe('writers: simulated traffic in each format, read back by its parser', () => {
  const { events } = simulate({ scenario: 'bola-sequential', hours: 1, seed: 3 });
  const sample = events.filter((_, i) => i % 7 === 0).slice(0, 400);

  it.each(['combined', 'nginx-json', 'envoy', 'alb', 'kong', 'vigil'])('%s', (format) => {
    const write = lineWriter(format);
    const { events: back, tally } = parseLines(sample.map(write), { format, api: format === 'vigil' ? undefined : 'x' });
    expect(tally.rejections).toEqual([]);
    expect(back).toHaveLength(sample.length);
    back.forEach((b, i) => {
      const e = sample[i]!;
      expect(b).toMatchObject(carried(format, e));
      // Combined logs hold the second; NGINX's msec and Envoy's duration the millisecond.
      expect(Math.abs(b.timestamp - e.timestamp)).toBeLessThan(format === 'combined' ? 1000 : 2);
      if (format !== 'combined') expect(Math.abs(b.latencyMs - e.latencyMs)).toBeLessThanOrEqual(1);
    });
    if (format === 'vigil') expect(back).toEqual(sample);
  });

  it('combined holds the principal, the client and the user agent the simulator gave', () => {
    const write = lineWriter('combined');
    const withPrincipal = sample.find((e) => e.principal && e.userAgent)!;
    expect(write(withPrincipal)).toMatch(new RegExp(`^${withPrincipal.clientIp!.replace(/\./g, '\\.')} - ${withPrincipal.principal} \\[`));
    expect(() => lineWriter('xml')).toThrow(/unknown --format "xml": one of vigil, combined, nginx-json, envoy, alb, kong/);
  });
});
