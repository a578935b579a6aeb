import { createHash } from 'node:crypto';
import { severityRank, tiers, type Finding, type Incident, type IncidentChange, type Severity, type Subject, type Tier } from '@vigil/contracts';
import type { EscalationConfig, Matcher } from './config.js';

/**
 * Incidents as pure state transitions: a finding, an ack, a resolve or the
 * passing of time goes in with `now`; the next state, the Incident v1 change
 * to publish and the notifications to send come out. No I/O, no clock.
 */

export interface IncidentState {
  id: string;
  groupKey: string;
  version: number;
  state: Incident['state'];
  tier: Tier;
  detector: Finding['detector'];
  severity: Severity;
  api: string;
  route?: string;
  subject: Subject;
  title: string;
  findingCount: number;
  findingIds: string[];
  lastFindingId: string;
  /** Event times of the recent findings (bounded), for "N findings within W". */
  recent: number[];
  firstSeenAt: number;
  lastSeenAt: number;
  /** Wall-clock time the last finding arrived: quiet periods are measured on it, not on event time. */
  lastReceivedAt?: number;
  changedAt: number;
  /** Notifications are muted until then (a silence); the incident still records its findings. */
  silencedUntil?: number;
  acknowledgedBy?: string;
  /** When the incident last reached notify (for the ack timeout) and when its channels were last told. */
  notifiedAt?: number;
  lastNotifiedAt?: number;
  /** A notify held by quiet hours, to send once they end. */
  held?: boolean;
}

export interface Notification {
  tier: Tier;
  kind: 'trigger' | 'repeat' | 'acknowledge' | 'resolve';
  reason: string;
}

export interface Transition {
  state: IncidentState;
  /** The Incident v1 record to publish, or undefined when nothing changed that is worth publishing. */
  change?: Incident;
  notifications: Notification[];
}

const tierRank = (t: Tier) => tiers.indexOf(t);
const maxTier = (a: Tier, b: Tier): Tier => (tierRank(a) >= tierRank(b) ? a : b);
const maxSeverity = (a: Severity, b: Severity): Severity => (severityRank(a) >= severityRank(b) ? a : b);

export function groupKeyOf(f: Finding, config: EscalationConfig): string {
  return config.groupBy
    .map((field) => {
      switch (field) {
        case 'detector':
          return f.detector;
        case 'api':
          return f.api;
        case 'route':
          return f.route ?? '';
        case 'subject':
          return `${f.subject.kind}:${f.subject.value}`;
      }
    })
    .join('|');
}

/** Deterministic from the group and the finding that opened it: a replay opens the same incident, a later reopening a new one. */
export function incidentId(groupKey: string, openingFindingId: string): string {
  return `inc-${createHash('sha256').update(`${groupKey}\u0000${openingFindingId}`).digest('base64url').slice(0, 20)}`;
}

/** Whether a matcher selects a finding (or an incident: it has the same fields). */
export function matches(m: Matcher, f: Pick<Finding, 'detector' | 'severity' | 'api' | 'route' | 'subject'>): boolean {
  if (m.detector && !m.detector.includes(f.detector)) return false;
  if (m.severity && !m.severity.includes(f.severity)) return false;
  if (m.api && !m.api.includes(f.api)) return false;
  if (m.subjectKind && !m.subjectKind.includes(f.subject.kind)) return false;
  if (m.route) {
    const route = f.route ?? '';
    if (!m.route.some((r) => (r.endsWith('*') ? route.startsWith(r.slice(0, -1)) : route === r))) return false;
  }
  return true;
}

/** True when `now` falls in the configured quiet hours (notify is held then, wake up never is). */
export function inQuietHours(config: EscalationConfig, now: number): boolean {
  const q = config.quietHours;
  if (!q) return false;
  const local = new Date(now + q.utcOffsetMinutes * 60_000);
  if (q.days && !q.days.includes(local.getUTCDay())) return false;
  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
  const [fh, fm] = q.from.split(':').map(Number) as [number, number];
  const [th, tm] = q.to.split(':').map(Number) as [number, number];
  const from = fh * 60 + fm;
  const to = th * 60 + tm;
  return from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}

/** The tier a finding asks for on its own and with its incident's history, and why. */
export function tierFor(f: Finding, recentCount: number, config: EscalationConfig): { tier: Tier; reason: string } {
  const rule = config.rules.find((r) => matches(r.match, f));
  if (rule && rule.tier === 'log') return { tier: 'log', reason: `rule ${rule.name ?? '(unnamed)'} keeps it at log` };
  let tier: Tier = rule?.tier ?? 'log';
  let reason = rule ? `rule ${rule.name ?? '(unnamed)'}` : 'first doubt';
  if (tierRank(tier) < tierRank('notify')) {
    if (severityRank(f.severity) >= severityRank(config.notify.minSeverity)) {
      tier = 'notify';
      reason = `severity ${f.severity}`;
    } else if (recentCount >= config.notify.findings) {
      tier = 'notify';
      reason = `${recentCount} findings within ${Math.round(config.notify.withinMs / 60_000)} min`;
    } else if (sustained(f, config)) {
      tier = 'notify';
      reason = `sustained for ${Math.round((f.windowEnd - f.windowStart) / 60_000)} min`;
    }
  }
  const confirmedEnumeration = f.detector === 'bola_enumeration' && f.severity === 'critical';
  if (config.wakeUp.severities.includes(f.severity) || config.wakeUp.detectors.includes(f.detector) || confirmedEnumeration) {
    tier = 'wake_up';
    reason = confirmedEnumeration ? 'confirmed enumeration with successful reads' : config.wakeUp.detectors.includes(f.detector) ? `${f.detector} is a known breach` : `severity ${f.severity}`;
  }
  return { tier, reason };
}

/** A finding whose window (an episode, extended while it lasts) has lasted notify.sustainedMs, and that its subject does not usually show. */
function sustained(f: Finding, config: EscalationConfig): boolean {
  return config.notify.sustainedMs > 0 && f.windowEnd - f.windowStart >= config.notify.sustainedMs && f.evidence.usual === undefined;
}

/**
 * True when `f` is of a window the incident holds already: the detector published the window again, raised or revised
 * (evidence `updates: <id of the window's first finding>`, its own id `<first>-…`). It is the same finding, grown: not a
 * repetition. Findings are keyed by id, so a window's publications can sit on different partitions and arrive in any
 * order: a first publication that comes after one of its updates is the same window too.
 */
export function updatesFindingOf(s: Pick<IncidentState, 'findingIds'>, f: Finding): boolean {
  const first = f.evidence.updates;
  if (typeof first === 'string' && s.findingIds.some((id) => id === first || id.startsWith(`${first}-`))) return true;
  return s.findingIds.some((id) => id.startsWith(`${f.id}-`));
}

/** The Incident v1 record of a state: what api.incidents carries and channels render. */
export function incidentRecord(s: IncidentState, change: IncidentChange, reason: string | undefined, now: number): Incident {
  const inc: Incident = {
    id: s.id,
    version: s.version,
    change,
    state: s.state,
    tier: s.tier,
    groupKey: s.groupKey,
    detector: s.detector,
    severity: s.severity,
    api: s.api,
    subject: s.subject,
    title: s.title,
    findingCount: s.findingCount,
    lastFindingId: s.lastFindingId,
    findingIds: s.findingIds.slice(-50),
    firstSeenAt: s.firstSeenAt,
    lastSeenAt: s.lastSeenAt,
    changedAt: now,
  };
  if (s.route !== undefined) inc.route = s.route;
  if (reason) inc.reason = reason.slice(0, 1000);
  if (s.acknowledgedBy) inc.acknowledgedBy = s.acknowledgedBy;
  return inc;
}

function notifyOrHold(s: IncidentState, tier: Tier, reason: string, config: EscalationConfig, now: number, out: Notification[]): void {
  if (tier === 'log') return;
  if (tier === 'notify' && inQuietHours(config, now)) {
    s.held = true;
    return;
  }
  s.held = false;
  s.lastNotifiedAt = now;
  out.push({ tier, kind: 'trigger', reason });
}

/** A finding arrives (`now` is its event time). A finding id already in the incident changes nothing. */
export function applyFinding(current: IncidentState | undefined, f: Finding, config: EscalationConfig, now: number): Transition {
  const notifications: Notification[] = [];
  const open = current && current.state !== 'resolved' ? current : undefined;
  if (open && open.findingIds.includes(f.id)) return { state: open, notifications };

  if (!open) {
    const groupKey = groupKeyOf(f, config);
    const { tier, reason } = tierFor(f, 1, config);
    const s: IncidentState = {
      id: incidentId(groupKey, f.id),
      groupKey,
      version: 1,
      state: 'open',
      tier,
      detector: f.detector,
      severity: f.severity,
      api: f.api,
      subject: f.subject,
      title: f.title,
      findingCount: 1,
      findingIds: [f.id],
      lastFindingId: f.id,
      recent: [f.detectedAt],
      firstSeenAt: f.detectedAt,
      lastSeenAt: f.detectedAt,
      lastReceivedAt: now,
      changedAt: now,
    };
    if (f.route !== undefined) s.route = f.route;
    if (tier !== 'log') s.notifiedAt = now;
    notifyOrHold(s, tier, reason, config, now, notifications);
    return { state: s, change: incidentRecord(s, 'opened', reason, now), notifications };
  }

  const update = updatesFindingOf(open, f);
  const recent = update ? open.recent : [...open.recent, f.detectedAt];
  const s: IncidentState = { ...open, findingIds: [...open.findingIds, f.id].slice(-200), recent: recent.filter((t) => t > f.detectedAt - config.notify.withinMs).slice(-100) };
  if (!update) s.findingCount++;
  s.lastFindingId = f.id;
  s.lastSeenAt = Math.max(s.lastSeenAt, f.detectedAt);
  s.lastReceivedAt = now;
  s.severity = maxSeverity(s.severity, f.severity);
  s.version++;
  s.changedAt = now;
  const { tier, reason } = tierFor(f, s.recent.length, config);
  const next = s.state === 'acknowledged' && tier !== 'wake_up' ? s.tier : maxTier(s.tier, tier);
  if (tierRank(next) > tierRank(s.tier)) {
    s.tier = next;
    if (next === 'notify') s.notifiedAt = now;
    notifyOrHold(s, next, reason, config, now, notifications);
    return { state: s, change: incidentRecord(s, 'escalated', reason, now), notifications };
  }
  return { state: s, change: incidentRecord(s, 'updated', undefined, now), notifications };
}

/** Time passes: held notifications after quiet hours, the ack timeout, repeats, and resolving after a quiet period. */
export function tick(s: IncidentState, config: EscalationConfig, now: number): Transition {
  const notifications: Notification[] = [];
  if (s.state === 'resolved') return { state: s, notifications };
  // A notify held by quiet hours is sent when they end, before anything else happens to the incident.
  if (s.held && s.state === 'open') {
    if (inQuietHours(config, now)) return { state: s, notifications };
    const r: IncidentState = { ...s, held: false, lastNotifiedAt: now, notifiedAt: now };
    notifications.push({ tier: s.tier, kind: 'trigger', reason: 'held by quiet hours' });
    return { state: r, notifications };
  }
  if (now - (s.lastReceivedAt ?? s.lastSeenAt) >= config.resolveAfterMs) {
    const r: IncidentState = { ...s, state: 'resolved', version: s.version + 1, changedAt: now };
    const reason = `no new finding for ${Math.round(config.resolveAfterMs / 60_000)} min`;
    if (s.tier !== 'log' && s.lastNotifiedAt !== undefined) notifications.push({ tier: s.tier, kind: 'resolve', reason });
    return { state: r, change: incidentRecord(r, 'resolved', reason, now), notifications };
  }
  if (s.state === 'acknowledged') return { state: s, notifications };
  if (s.tier === 'notify' && config.wakeUp.ackTimeoutMs > 0 && s.notifiedAt !== undefined && now - s.notifiedAt >= config.wakeUp.ackTimeoutMs) {
    const reason = `unacknowledged for ${Math.round(config.wakeUp.ackTimeoutMs / 60_000)} min`;
    const r: IncidentState = { ...s, tier: 'wake_up', version: s.version + 1, changedAt: now, lastNotifiedAt: now, held: false };
    notifications.push({ tier: 'wake_up', kind: 'trigger', reason });
    return { state: r, change: incidentRecord(r, 'escalated', reason, now), notifications };
  }
  if (s.tier !== 'log' && !s.held && config.repeatIntervalMs > 0 && s.lastNotifiedAt !== undefined && now - s.lastNotifiedAt >= config.repeatIntervalMs) {
    const r: IncidentState = { ...s, lastNotifiedAt: now };
    notifications.push({ tier: s.tier, kind: 'repeat', reason: `still open after ${Math.round((now - s.firstSeenAt) / 60_000)} min` });
    return { state: r, notifications };
  }
  return { state: s, notifications };
}

/** Someone acknowledged the incident: escalation and repeats stop. */
export function acknowledge(s: IncidentState, by: string, now: number): Transition {
  if (s.state !== 'open') return { state: s, notifications: [] };
  const r: IncidentState = { ...s, state: 'acknowledged', acknowledgedBy: by.slice(0, 256), version: s.version + 1, changedAt: now, held: false };
  const notifications: Notification[] = s.tier !== 'log' && s.lastNotifiedAt !== undefined ? [{ tier: s.tier, kind: 'acknowledge', reason: `acknowledged by ${r.acknowledgedBy}` }] : [];
  return { state: r, change: incidentRecord(r, 'acknowledged', `acknowledged by ${r.acknowledgedBy}`, now), notifications };
}

/** Someone resolved the incident by hand. */
export function resolve(s: IncidentState, by: string, now: number): Transition {
  if (s.state === 'resolved') return { state: s, notifications: [] };
  const r: IncidentState = { ...s, state: 'resolved', version: s.version + 1, changedAt: now };
  const notifications: Notification[] = s.tier !== 'log' && s.lastNotifiedAt !== undefined ? [{ tier: s.tier, kind: 'resolve', reason: `resolved by ${by.slice(0, 256)}` }] : [];
  return { state: r, change: incidentRecord(r, 'resolved', `resolved by ${by.slice(0, 256)}`, now), notifications };
}


/** Mutes the incident's notifications until `until` (wall clock); escalation state goes on. */
export function silence(s: IncidentState, until: number, by: string, now: number): Transition {
  if (s.state === 'resolved') return { state: s, notifications: [] };
  const reason = `silenced by ${by.slice(0, 256)} until ${new Date(until).toISOString()}`;
  const r: IncidentState = { ...s, silencedUntil: until, version: s.version + 1, changedAt: now };
  return { state: r, change: incidentRecord(r, 'silenced', reason, now), notifications: [] };
}
