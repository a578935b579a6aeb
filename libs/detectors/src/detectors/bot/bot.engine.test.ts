import { describe, expect, it } from 'vitest';
import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { HOUR, MINUTE, T0, background, detect, latest, only, rng, tx } from '../../testing.js';
import { bot } from './index.js';

const detectors = [bot];
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0';
const PYTHON = 'python-requests/2.32.3';

interface Client {
  /** Gap before call i (ms). */
  gap: (i: number, r: () => number) => number;
  count: number;
  userAgent: string;
  path: (i: number) => string;
}

/** Calls of one principal from T0 + 20 min (a 5-minute window boundary). */
function client(c: Client, principal = 'client-x', seed = 5): ApiTransaction[] {
  const r = rng(seed);
  let t = T0 + 20 * MINUTE;
  return Array.from({ length: c.count }, (_, i) => {
    if (i > 0) t += Math.round(c.gap(i, r));
    return tx({ id: `c-${principal}-${i}`, timestamp: t, path: c.path(i), principal, clientIp: '192.0.2.77', userAgent: c.userAgent });
  });
}

const bg = () => background({ from: T0, to: T0 + 30 * MINUTE, perMinute: 20 });
const jitter = (ms: number, spread: number) => (_: number, r: () => number) => ms + (r() - 0.5) * 2 * spread;
const oneRoute = () => '/prices';
const manyRoutes = (i: number) => `/catalog/section-${i % 20}`;

describe('bot', () => {
  it('flags metronome-regular calls every 2 s from python-requests', async () => {
    const events = client({ count: 150, gap: jitter(2_000, 40), userAgent: PYTHON, path: oneRoute });
    const findings = latest(only(await detect([...bg(), ...events], { detectors }), 'bot'));
    expect(findings).toHaveLength(1); // one episode, from its first call to its last
    const f = findings[0]!;
    expect(f.subject).toEqual({ kind: 'principal', value: 'client-x' });
    expect(f.severity).toBe('medium');
    expect(f.owasp).toBe('API6:2023');
    expect(f.windowStart).toBe(T0 + 20 * MINUTE);
    expect(f.windowEnd).toBe(T0 + 25 * MINUTE);
    // Revised as it grew: its latest publication counts the whole five minutes.
    expect(f.evidence.requests).toBe(150);
    expect(Number(f.evidence.gapCv)).toBeLessThan(0.05);
    expect(Math.abs(Number(f.evidence.meanGapMs) - 2_000)).toBeLessThan(50);
    expect(f.evidence.automationAgentShare).toBe(1);
    expect(f.evidence.userAgents).toBe(PYTHON);
    expect(f.title).toContain('client-x');
    expect(() => findingSchema.parse(f)).not.toThrow(); // a valid Finding v1
  });

  it.each([
    {
      name: 'a human with irregular think times',
      c: { count: 45, gap: (_: number, r: () => number) => 1_000 + r() * 12_000, userAgent: FIREFOX, path: (i: number) => `/page-${i % 6}` },
      expected: undefined,
    },
    { name: 'a browser polling one route every 30 s', c: { count: 30, gap: jitter(30_000, 200), userAgent: FIREFOX, path: oneRoute }, expected: undefined },
    { name: 'curl, irregular, on one route', c: { count: 60, gap: (_: number, r: () => number) => 500 + r() * 8_000, userAgent: 'curl/8.5.0', path: oneRoute }, expected: undefined },
    { name: 'a browser UA that never pauses (regular, 400 ms)', c: { count: 200, gap: jitter(400, 20), userAgent: FIREFOX, path: oneRoute }, expected: 'medium' },
    { name: 'a regular sweep of 20 routes from a browser UA', c: { count: 60, gap: jitter(4_000, 100), userAgent: FIREFOX, path: manyRoutes }, expected: 'medium' },
    {
      name: 'an irregular crawler: automation UA and breadth only',
      c: { count: 60, gap: (_: number, r: () => number) => 500 + r() * 6_000, userAgent: 'Scrapy/2.11 (+https://scrapy.org)', path: manyRoutes },
      expected: 'low',
    },
    { name: 'too few calls to judge', c: { count: 20, gap: jitter(2_000, 10), userAgent: PYTHON, path: oneRoute }, expected: undefined },
  ])('$name → $expected', async ({ c, expected }) => {
    const findings = latest(only(await detect([...bg(), ...client(c)], { detectors }), 'bot'));
    if (expected === undefined) expect(findings).toEqual([]);
    else {
      expect(findings.map((f) => [f.subject.value, f.severity])).toEqual([['client-x', expected]]);
    }
  });

  it('gives a sustained bot one finding, extended while it lasts, whatever the batching', async () => {
    // 12 minutes every 2 s, from :20.
    const events = client({ count: 360, gap: jitter(2_000, 30), userAgent: PYTHON, path: oneRoute });
    for (const batchSize of [40, 5_000]) {
      const findings = latest(only(await detect([...bg(), ...events], { detectors, batchSize }), 'bot'));
      expect(findings.map((f) => [f.windowStart - T0, f.windowEnd - T0])).toEqual([[20 * MINUTE, 32 * MINUTE]]);
    }
  });

  it('respects the severity override', async () => {
    const events = client({ count: 150, gap: jitter(2_000, 40), userAgent: PYTHON, path: oneRoute });
    const findings = only(await detect(events, { detectors, config: { bot: { severity: 'high' } } }), 'bot');
    expect(findings.map((f) => f.severity)).toEqual(['high']);
  });

  it('stays quiet on hours of ordinary traffic', async () => {
    const findings = await detect(background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 20, users: 150 }), { detectors });
    expect(only(findings, 'bot')).toEqual([]);
  });
});
