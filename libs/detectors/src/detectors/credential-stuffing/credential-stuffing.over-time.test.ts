import type { ApiTransaction } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { MINUTE, T0, background, detect, latest, only, tx } from '../../testing.js';
import { credentialStuffing } from './index.js';

/** credential_stuffing over time: from one IP, wherever it falls relative to the clock, and slowly. */
const detectors = [credentialStuffing];

/** `count` failed logins from `ip`, `gapMs` apart from `from`, each naming another principal. */
function failures(ip: string, from: number, count: number, gapMs: number): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) => tx({ id: `f-${ip}-${from}-${i}`, timestamp: from + i * gapMs, method: 'POST', path: '/login', status: 401, clientIp: ip, principal: `victim-${i}` }));
}

describe('credential_stuffing over time', () => {
  it('finds 25 failures against 25 usernames in 60 s from one IP wherever they fall in the 5-minute clock (every 15-second offset)', async () => {
    const misses: number[] = [];
    for (let offset = 0; offset < 5 * MINUTE; offset += 15_000) {
      const start = T0 + 10 * MINUTE + offset;
      const events = [...background({ from: T0, to: T0 + 20 * MINUTE, perMinute: 20 }), ...failures('198.51.100.66', start, 25, 2_400)];
      const found = latest(only(await detect(events, { detectors, batchSize: [30, 300][offset % 2] }), 'credential_stuffing')).filter((f) => f.subject.value === '198.51.100.66');
      if (found.length !== 1 || found[0]!.severity !== 'high') misses.push(offset);
    }
    expect(misses).toEqual([]);
  });

  it('finds slow stuffing: one failed login every 90 s from one IP, each against another username, within the hour', async () => {
    const start = T0 + 20 * MINUTE;
    const events = [...background({ from: T0, to: start + 80 * MINUTE, perMinute: 20 }), ...failures('203.0.113.90', start, 45, 90_000)];
    const found = only(await detect(events, { detectors, batchSize: 200 }), 'credential_stuffing').filter((f) => f.subject.value === '203.0.113.90');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.evidence.windowMinutes).toBe(60);
    expect(found[0]!.detectedAt - start).toBeLessThanOrEqual(60 * MINUTE);
  });
});
