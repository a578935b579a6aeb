import { findingContract, validate, type Finding, type Incident } from '@vigil/contracts';
import type { ReceivedMessage } from '@vigil/kafka';
import { metricValue, sample } from './detector.js';
import type { FaultRig } from './fault-rig.js';
import { feed, type FaultTraffic } from './fault-traffic.js';
import { uniqueName, waitFor } from './helpers.js';
import type { Received } from './receivers.js';
import type { VigilProcess } from './vigil-process.js';

/** What a fault run did, for the assertions and the report. */
export interface FaultOutcome {
  produced: number;
  consumed: number;
  rejected: number;
  dlq: { messages: number; keys: Map<string, number> };
  findings: { messages: number; distinct: Map<string, Finding>; copies: Map<string, number> };
  notifier: { newIncidents: number; updated: number; replays: number; invalid: number; suppressed: number; sent: number; dead: number };
  incidentChanges: { messages: number; distinct: number };
  notifications: Received[];
  batchFailures: number;
}

const byKey = (messages: readonly ReceivedMessage[]) => {
  const keys = new Map<string, number>();
  for (const m of messages) keys.set(m.key?.toString() ?? '', (keys.get(m.key?.toString() ?? '') ?? 0) + 1);
  return keys;
};

/** Reads back the topics and the services' metrics once the rig drained. */
export async function faultOutcome(rig: FaultRig): Promise<FaultOutcome> {
  const [input, dlq, findings, incidents, d, n] = await Promise.all([
    rig.admin.lag(uniqueName('it-fault-probe'), rig.topics.transactions),
    rig.readTopic(rig.topics.dlq),
    rig.readTopic(rig.topics.findings),
    rig.readTopic(rig.topics.incidents),
    rig.detector.metrics(),
    rig.notifier.metrics(),
  ]);
  const distinct = new Map<string, Finding>();
  for (const m of findings) {
    const f = validate(findingContract, JSON.parse(m.value!.toString()));
    distinct.set(f.id, f);
  }
  const copies = byKey(findings);
  const changes = new Set(incidents.map((m) => {
    const i = JSON.parse(m.value!.toString()) as Incident;
    return `${i.id}@${i.version}`;
  }));
  const outcome = (o: string) => sample(n, 'vigil_notifier_findings_total', `outcome="${o}"`);
  const logs = rig.detector.logs();
  return {
    produced: input.reduce((a, p) => a + Number(p.high), 0),
    consumed: metricValue(d, 'vigil_events_consumed_total'),
    rejected: sample(d, 'vigil_events_rejected_total', 'reason='),
    dlq: { messages: dlq.length, keys: byKey(dlq) },
    findings: { messages: findings.length, distinct, copies },
    notifier: {
      newIncidents: outcome('new_incident'),
      updated: outcome('updated'),
      replays: outcome('replay'),
      invalid: outcome('invalid'),
      suppressed: outcome('suppressed'),
      sent: sample(n, 'vigil_notifications_sent_total', 'channel="hook"'),
      dead: metricValue(n, 'vigil_outbox_dead'),
    },
    incidentChanges: { messages: incidents.length, distinct: changes.size },
    notifications: [...rig.sink.received],
    batchFailures: logs.filter((l) => l.msg === 'batch failed; it will be fetched again').length,
  };
}

/** Seconds from `from` until the detector's consumed counter first moved past its value at `from`. */
export function resumedAfter(timeline: readonly { at: number; consumed: number }[], from: number): number | undefined {
  const before = [...timeline].reverse().find((s) => s.at <= from)?.consumed ?? 0;
  const moved = timeline.find((s) => s.at > from && s.consumed > before);
  return moved ? (moved.at - from) / 1000 : undefined;
}

/** Seconds from `from` until the service's Kafka consumer joined its group again (after it gave up and restarted), if it did. */
export function rejoinedAfter(p: VigilProcess, from: number): number | undefined {
  const joined = p.logs().find((l) => l.msg === 'Consumer has joined the group' && Date.parse(String(l.time)) > from);
  return joined ? (Date.parse(String(joined.time)) - from) / 1000 : undefined;
}

/**
 * Plays a fault over a stream: traffic is fed (50 messages every 100 ms);
 * once `fault.when()` holds, `fault.stop()` takes the dependency away,
 * `outageMs` later `fault.start()` brings it back, and the feed goes on
 * until every message is in. Then it waits for the services to drain, reads
 * back what they left, and stops them (SIGTERM).
 */
export async function playFault(
  rig: FaultRig,
  traffic: FaultTraffic,
  fault: { when: () => boolean; what: string; stop(): Promise<void>; start(): Promise<void>; outageMs: number },
) {
  const started = Date.now();
  const stream = feed(rig.producer, rig.topics.transactions, traffic.messages, { chunk: 50, everyMs: 100 });
  try {
    await waitFor(fault.when, fault.what, 60_000, 20);
    const downAt = Date.now();
    const consumedAtStop = rig.timeline.at(-1)?.consumed ?? 0;
    await fault.stop();
    const sentAtStop = stream.sent();
    await new Promise((r) => setTimeout(r, fault.outageMs));
    await fault.start();
    const upAt = Date.now();
    const sentDuringOutage = stream.sent() - sentAtStop;
    await stream.done;
    const fedAt = Date.now();
    await rig.drained(90_000);
    const drainedAt = Date.now();
    const outcome = await faultOutcome(rig);
    const exits = await rig.stopServices();
    const lastNotification = Math.max(...outcome.notifications.map((n) => n.at));
    const timings = {
      sentBeforeFault: sentAtStop,
      consumedBeforeFault: consumedAtStop,
      sentDuringOutage,
      feedRetries: stream.failures(),
      outageS: (upAt - downAt) / 1000,
      detectorResumedS: resumedAfter(rig.timeline, upAt),
      detectorRejoinedS: rejoinedAfter(rig.detector, upAt),
      notifierRejoinedS: rejoinedAfter(rig.notifier, upAt),
      feedDoneS: (fedAt - upAt) / 1000,
      drainedS: (drainedAt - upAt) / 1000,
      lastNotificationS: (lastNotification - upAt) / 1000,
      runS: (Date.now() - started) / 1000,
    };
    return { outcome, exits, timings };
  } finally {
    stream.cancel();
  }
}
