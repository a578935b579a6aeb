import { severityRank, type ApiTransaction, type Finding } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@vigil/state';
import { HOUR, MINUTE, T0, background, detect, latest, tx } from './testing.js';

/**
 * Episodes (engine/stages/episodes.ts): windows that slide are one finding while what they find lasts, and one
 * thing a subject does is one alert, however many detectors see it.
 */
const atLeastMedium = (f: Finding) => severityRank(f.severity) >= severityRank('medium');
const AT = T0 + 3 * HOUR;

/** `count` sequential reads of other users' accounts by `principal`, one every `gapMs` from `from`, with a script's user agent. */
function enumeration(principal: string, from: number, count: number, gapMs: number, first = 7000): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) =>
    tx({ id: `en-${principal}-${from}-${i}`, timestamp: from + i * gapMs, path: `/users/${first + i}/account`, principal, clientIp: '203.0.113.50', userAgent: 'python-requests/2.32.3' }),
  );
}

const warm = () => background({ from: T0, to: AT + HOUR, perMinute: 20, users: 150 });

describe('episodes', () => {
  it('makes one thing a subject does one alert: the most severe finding stands, the others of the moment are low and say alongside what', async () => {
    // 150 ids in 75 s: an enumeration (critical: all served), a bot (metronome, automation agent) and a burst (a new subject at 120/min).
    const findings = latest(await detect([...warm(), ...enumeration('mallory', AT, 150, 500)], { batchSize: 100 })).filter((f) => f.subject.value === 'mallory');
    expect(findings.map((f) => f.detector).sort()).toEqual(['bola_enumeration', 'bot', 'burst']);
    expect(findings.filter(atLeastMedium).map((f) => [f.detector, f.severity])).toEqual([['bola_enumeration', 'critical']]);
    for (const f of findings.filter((x) => x.detector !== 'bola_enumeration')) {
      expect(f.evidence).toMatchObject({ alongside: 'bola_enumeration', demotedFrom: 'medium' });
      expect(f.description).toContain("Reported at low: alongside a bola_enumeration finding about the same subject at the same time, at least as severe.");
    }
  });

  it("keeps a subject's business-as-usual past its checkpoint: a nightly job is usual the next night, after a restart", async () => {
    const DAY = 24 * HOUR;
    // The same 150 accounts read at 02:00 each night by one service account (its checkpoint lives 5 hours; its memory days).
    const night = (d: number) =>
      Array.from({ length: 150 }, (_, i) => tx({ id: `sync-${d}-${i}`, timestamp: T0 + d * DAY + 2 * HOUR + i * 400, path: `/users/${40_000 + i}/account`, principal: 'svc-sync', clientIp: '10.9.0.8' }));
    const quiet = (d: number) => background({ from: T0 + d * DAY, to: T0 + d * DAY + 4 * HOUR, perMinute: 10, seed: d + 1 });
    const store = new MemoryStateStore();
    const first = latest(await detect([...quiet(0), ...night(0)], { store, batchSize: 100 })).filter((f) => f.detector === 'bola_enumeration');
    expect(first.map((f) => f.severity)).toEqual(['critical']);
    // A new engine (a restart) over the same store, the next night.
    const next = latest(await detect([...quiet(1), ...night(1)], { store, batchSize: 100 })).filter((f) => f.detector === 'bola_enumeration');
    expect(next.map((f) => [f.severity, f.evidence.usual])).toEqual([['low', '~150 at 02:00 UTC every day, seen 1 time before']]);
    // Without the memory (a new store), it would be news again.
    const forgotten = latest(await detect([...quiet(1), ...night(1)], { batchSize: 100 })).filter((f) => f.detector === 'bola_enumeration');
    expect(forgotten.map((f) => f.severity)).toEqual(['critical']);
  });

  it('extends an episode that pauses for less than a quarter of an hour; a longer pause starts another', async () => {
    const ids = (from: number, first: number, count = 40) => enumeration('mallory', from, count, 1_000, first);
    // The second run is larger: the episode's finding is revised, and says how far it now reaches.
    const pausing = latest(await detect([...warm(), ...ids(AT, 7000), ...ids(AT + 10 * MINUTE, 8000, 60)], { batchSize: 100 })).filter((f) => f.detector === 'bola_enumeration');
    expect(pausing.map((f) => f.windowStart)).toEqual([AT]);
    expect(pausing[0]!.windowEnd).toBeGreaterThan(AT + 10 * MINUTE);
    const apart = latest(await detect([...warm(), ...ids(AT, 7000), ...ids(AT + 40 * MINUTE, 8000)], { batchSize: 100 })).filter((f) => f.detector === 'bola_enumeration');
    expect(apart.map((f) => f.windowStart)).toEqual([AT, AT + 40 * MINUTE]);
  });
});
