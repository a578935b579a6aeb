import { expect } from 'vitest';
import type { Finding, Incident } from '@vigil/contracts';
import { matches } from '@vigil/simulator';
import type { FaultOutcome } from './fault-run.js';
import type { FaultTraffic } from './fault-traffic.js';
import { byWindow } from './topics.js';

const groupKey = (f: Pick<Finding, 'detector' | 'api' | 'subject'>) => `${f.detector}|${f.api}|${f.subject.kind}:${f.subject.value}`;
const named = (f: Finding) => `${f.detector} ${f.subject.kind}:${f.subject.value} ${new Date(f.windowStart).toISOString()}${f.evidence.raisedFrom !== undefined ? ` ${f.evidence.raisedFrom}->${f.severity}` : ''}`;
const bodyOf = (r: FaultOutcome['notifications'][number]) => r.body as { kind: string; incident: Incident };

/** What a fault run did, in figures (for the log and docs/reliability.md). */
export function faultFigures(o: FaultOutcome, t: FaultTraffic, reference: readonly Finding[]) {
  const onTopic = [...o.findings.distinct.values()];
  // Compared window by window: which windows are published again raised depends on where the batches fall.
  const topicWindows = byWindow(onTopic);
  const referenceWindows = byWindow(reference);
  // Every finding of the reference is required: subject-scoped ones depend only on the subject's own events, which reach
  // the detector in order whatever the partitioning and batching; api minutes close at the window clock, each against its
  // own hour; route windows are judged as a backlog batch passes them (consumer.sliceMs), as live batches would.
  const attacks = t.labels.filter((l) => reference.some((f) => matches(f, l)));
  const keys = o.notifications.map((r) => String(r.headers['x-vigil-key']));
  return {
    produced: o.produced,
    events: t.events.length,
    malformed: t.malformed.length,
    consumed: o.consumed,
    handledTwice: o.consumed - o.produced,
    deadLettered: o.dlq.keys.size,
    deadLetterDuplicates: o.dlq.messages - o.dlq.keys.size,
    rejectedMetric: o.rejected,
    detectorBatchFailures: o.batchFailures,
    referenceFindings: reference.length,
    referenceRequired: referenceWindows.size,
    referenceRequiredApiLevel: [...referenceWindows.values()].filter((f) => f.subject.kind === 'api').length,
    referenceRequiredRouteLevel: [...referenceWindows.values()].filter((f) => f.subject.kind === 'route').length,
    referenceRequiredMissing: [...referenceWindows.keys()].filter((w) => !topicWindows.has(w)).map((w) => named(referenceWindows.get(w)!)),
    referenceRaised: reference.filter((f) => f.evidence.raisedFrom !== undefined).map(named),
    findingsOnTopic: o.findings.messages,
    distinctFindings: o.findings.distinct.size,
    raisedOnTopic: onTopic.filter((f) => f.evidence.raisedFrom !== undefined).map(named),
    findingsNotInReference: [...topicWindows.keys()].filter((w) => !referenceWindows.has(w)).map((w) => named(topicWindows.get(w)!)),
    duplicateFindingsOnTopic: o.findings.messages - o.findings.distinct.size,
    duplicated: [...o.findings.copies].filter(([, n]) => n > 1).map(([id, n]) => `${named(o.findings.distinct.get(id)!)} x${n}`),
    notifier: o.notifier,
    incidentChanges: o.incidentChanges,
    notifications: o.notifications.length,
    notificationsTwice: keys.length - new Set(keys).size,
    labels: t.labels.length,
    attacksCaughtByReference: attacks.length,
    attacksCaughtOnTopic: attacks.filter((l) => onTopic.some((f) => matches(f, l))).length,
  };
}

/**
 * The three promises a fault must not break, asserted on what a run left
 * behind.
 *
 * 1. Every input message is accounted for: each was produced once, the
 *    detector's group committed past every one of them (checked by
 *    `drained`: a batch's offsets are committed only once it succeeded),
 *    `consumed` (every message of every batch that succeeded) is at least
 *    `produced` (it exceeds it by the messages handled twice), and the
 *    dead-letter topic holds exactly the malformed messages: the valid
 *    events were processed, the others dead-lettered, nothing skipped.
 *    (vigil_events_rejected_total is only reported: it counts a malformed
 *    message again each time a failed batch is fetched again.)
 * 2. No finding is lost: every window the fault-free reference found
 *    (subject-, api- and route-scoped) is on the findings topic, so every
 *    attack the reference caught is caught.
 * 3. Replays are absorbed and notifications are exact: the notifier applied
 *    each distinct finding once and counted every other read as a replay,
 *    published every incident change, and the webhook got one notification
 *    per incident and tier it reached, none twice, none dead.
 */
export function expectNothingLost(o: FaultOutcome, t: FaultTraffic, reference: readonly Finding[]): void {
  const f = faultFigures(o, t, reference);
  // 1. Input.
  expect(o.produced, 'messages on the input topic').toBe(t.messages.length);
  expect(o.consumed, 'messages the detector handled (replays counted again)').toBeGreaterThanOrEqual(o.produced);
  expect([...o.dlq.keys.keys()].sort(), 'dead-lettered keys').toEqual([...t.malformed].sort());

  // 2. Findings.
  expect(f.referenceRequired).toBeGreaterThanOrEqual(5);
  expect(f.referenceRequiredApiLevel, 'api-level findings among those required').toBeGreaterThanOrEqual(1);
  expect(f.referenceRequiredRouteLevel, 'route-level findings among those required').toBeGreaterThanOrEqual(1);
  expect(f.referenceRequiredMissing, 'reference findings missing from the topic').toEqual([]);
  expect(f.attacksCaughtByReference, 'attacks the reference caught').toBeGreaterThanOrEqual(5);
  expect(f.attacksCaughtOnTopic, 'attacks caught').toBe(f.attacksCaughtByReference);

  // 3. Notifier.
  const groups = new Set([...o.findings.distinct.values()].map(groupKey));
  expect(o.notifier.invalid + o.notifier.suppressed).toBe(0);
  expect(o.notifier.newIncidents + o.notifier.updated, 'distinct findings applied once each').toBe(o.findings.distinct.size);
  expect(o.notifier.newIncidents).toBe(groups.size);
  expect(o.notifier.replays, 'replays absorbed (at least the duplicates on the topic)').toBeGreaterThanOrEqual(f.duplicateFindingsOnTopic);
  expect(o.incidentChanges.distinct, 'incident changes published').toBe(o.notifier.newIncidents + o.notifier.updated);
  expect(f.notificationsTwice, 'notifications received twice').toBe(0);
  const notified = o.notifications.map((r) => bodyOf(r).incident);
  expect([...new Set(notified.map((i) => i.groupKey))].sort(), 'every incident notified').toEqual([...groups].sort());
  // One notification per incident and tier: a second only when a raised finding escalated the incident (notify, then wake up).
  const tiersNotified = notified.map((i) => `${i.groupKey} ${i.tier}`).sort();
  expect(tiersNotified, 'one notification per incident and tier').toEqual([...new Set(tiersNotified)]);
  expect(o.notifications.every((r) => bodyOf(r).kind === 'trigger')).toBe(true);
  expect(o.notifier.sent).toBe(o.notifications.length);
  expect(o.notifier.dead).toBe(0);
}
