import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { saveThreatsDocument } from '@vigil/state';
import { tx } from '../../libs/detectors/src/testing.js';
import { detectorRig, sample, type DetectorRig } from '../support/detector.js';
import { waitFor } from '../support/helpers.js';
import { notifierRig, type NotifierRig } from '../support/notifier.js';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 23, 9, 0, 0);
const NOISY = '203.0.113.50'; // listed, but the operators say it is their own scanner
const CONTROL = '203.0.113.51'; // listed, and nobody objects

describe('a false-positive verdict, end to end through Kafka and Redis', () => {
  let detector: DetectorRig;
  let notifier: NotifierRig;
  let detectorMetrics: () => Promise<string>;
  let notifierMetrics: () => Promise<string>;
  let published: () => Finding[];

  /** Three calls from an address at `at` (event time), keyed as DESIGN.md says. */
  async function callsFrom(ip: string, at: number): Promise<void> {
    const events = [0, 1, 2].map((i) => tx({ id: `v-${ip}-${at}-${i}`, timestamp: at + i * 1000, clientIp: ip, path: `/accounts/${i}`, route: '/accounts/{id}' }));
    await detector.producer.send(detector.topics.transactions, events.map((e) => ({ key: e.clientIp!, value: JSON.stringify({ ...e, timestamp: new Date(e.timestamp).toISOString() }) })));
  }
  const findingsAbout = (ip: string, windowAt: number) => published().filter((f) => f.subject.value === ip && f.windowStart <= windowAt && windowAt < f.windowEnd);

  beforeAll(async () => {
    detector = await detectorRig();
    await saveThreatsDocument(detector.redis, detector.prefix, [
      { kind: 'ip', value: NOISY, reason: 'test' },
      { kind: 'ip', value: CONTROL, reason: 'test' },
    ]);
    const collected = await detector.collect(detector.topics.findings);
    published = () => detector.findingsOf(collected.messages);
    const d = await detector.start();
    detectorMetrics = () => d.metrics.metrics();
    notifier = await notifierRig({ tiers: {} }, { prefix: detector.prefix, findingsTopic: detector.topics.findings });
    const n = await notifier.start();
    notifierMetrics = () => n.metrics.metrics();
  }, 120_000);

  afterAll(async () => {
    await notifier?.close();
    await detector?.close();
  });

  it('stops the detector from emitting that finding for its scope, and removing the suppression brings it back', async () => {
    await callsFrom(NOISY, T);
    await waitFor(() => findingsAbout(NOISY, T).length > 0, 'the known_threat finding about the noisy address');
    const incident = await waitFor(async () => {
      const { incidents } = (await (await notifier.api('/incidents')).json()) as { incidents: { id: string; detector: string; subject: { value: string } }[] };
      return incidents.find((i) => i.subject.value === NOISY);
    }, 'its incident');
    expect(incident.detector).toBe('known_threat');

    const verdict = await notifier.api(`/incidents/${incident.id}/verdict`, { method: 'POST', json: { verdict: 'false_positive', scope: 'subject', by: 'alice', reason: 'our own scanner' } });
    expect(verdict.status).toBe(200);
    const { suppression, incident: after } = (await verdict.json()) as { suppression: { id: string; detector: string; scope: unknown }; incident: { state: string } };
    expect(suppression).toMatchObject({ detector: 'known_threat', scope: { kind: 'subject', subjectKind: 'ip', value: NOISY } });
    expect(after.state).toBe('resolved');
    expect(sample(await notifierMetrics(), 'vigil_verdicts_total', 'verdict="false_positive"')).toBe(1);
    const listed = (await (await notifier.api('/suppressions')).json()) as { suppressions: { id: string }[] };
    expect(listed.suppressions.map((s) => s.id)).toEqual([suppression.id]);
    await waitFor(() => detector.suppressions.size === 1, 'the detector to load the suppression');

    // Ten minutes later (a new window) both listed addresses call again: only the one nobody objected to comes out.
    await callsFrom(NOISY, T + 10 * MIN);
    await callsFrom(CONTROL, T + 10 * MIN);
    await waitFor(() => findingsAbout(CONTROL, T + 10 * MIN).length > 0, 'the control finding');
    await waitFor(async () => sample(await detectorMetrics(), 'vigil_findings_muted_total', 'detector="known_threat"') >= 1, 'the muted count');
    expect(findingsAbout(NOISY, T + 10 * MIN)).toEqual([]);

    // Removing the suppression brings the finding back.
    expect((await notifier.api(`/suppressions/${suppression.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await notifier.api(`/suppressions/${suppression.id}`, { method: 'DELETE' })).status).toBe(404);
    await waitFor(() => detector.suppressions.size === 0, 'the detector to drop the suppression');
    await callsFrom(NOISY, T + 20 * MIN);
    await waitFor(() => findingsAbout(NOISY, T + 20 * MIN).length > 0, 'the finding about the noisy address, back');
  }, 120_000);

  it('records a true-positive verdict as a confirmation the detector loads (what it covers is never learned as usual)', async () => {
    const CONFIRMED = '203.0.113.52';
    await saveThreatsDocument(detector.redis, detector.prefix, [{ kind: 'ip', value: CONFIRMED, reason: 'test' }]);
    await callsFrom(CONFIRMED, T + 30 * MIN);
    const incident = await waitFor(async () => {
      const { incidents } = (await (await notifier.api('/incidents')).json()) as { incidents: { id: string; subject: { value: string } }[] };
      return incidents.find((i) => i.subject.value === CONFIRMED);
    }, 'the incident about the confirmed address');
    const verdict = await notifier.api(`/incidents/${incident.id}/verdict`, { method: 'POST', json: { verdict: 'true_positive', by: 'alice', reason: 'a real scanner' } });
    expect(verdict.status).toBe(200);
    const { confirmation } = (await verdict.json()) as { confirmation: { id: string; detector: string; scope: unknown; createdBy: string } };
    expect(confirmation).toMatchObject({ detector: 'known_threat', scope: { kind: 'subject', subjectKind: 'ip', value: CONFIRMED }, createdBy: 'alice' });
    expect(confirmation.id).toMatch(/^cnf-/);
    await waitFor(() => detector.confirmations.find((c) => c.id === confirmation.id) !== undefined, 'the detector to load the confirmation');
    expect(sample(await notifierMetrics(), 'vigil_verdicts_total', 'verdict="true_positive"')).toBe(1);
  }, 120_000);
});
