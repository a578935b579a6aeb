import { isIP } from 'node:net';
import type { Finding, Incident, IncidentState, Severity, Subject } from '@vigil/contracts';
import { attacksFor } from './attack.js';
import { createBounds, jsonValue, LIMITS, type Bounds } from './bound.js';
import { productOf, type SiemOptions } from './options.js';

/** The OCSF schema version the events conform to (libs/siem/fixtures holds its class 2004). */
export const OCSF_VERSION = '1.7.0';

const CLASS = { category_uid: 2, category_name: 'Findings', class_uid: 2004, class_name: 'Detection Finding' } as const;
const ACTIVITIES = { 1: 'Create', 2: 'Update', 3: 'Close' } as const;
type ActivityId = keyof typeof ACTIVITIES;
const SEVERITIES: Record<Severity, [number, string]> = { info: [1, 'Informational'], low: [2, 'Low'], medium: [3, 'Medium'], high: [4, 'High'], critical: [5, 'Critical'] };
const STATUSES = { 1: 'New', 2: 'In Progress', 3: 'Suppressed', 4: 'Resolved' } as const;
type StatusId = keyof typeof STATUSES;

export interface OcsfEntity {
  uid?: string;
  name?: string;
}
export interface OcsfObservable {
  name: string;
  type_id: number;
  type: string;
  value: string;
}
export interface OcsfAttack {
  tactic: OcsfEntity;
  technique: OcsfEntity;
  sub_technique?: OcsfEntity;
}
export interface OcsfResource {
  name: string;
  type: string;
  role_id: number;
  role: string;
}
export interface OcsfEvidence {
  src_endpoint?: { ip: string };
  user?: { name: string };
  actor?: { app_uid: string };
}
export interface OcsfFindingInfo {
  uid: string;
  title: string;
  desc?: string;
  created_time?: number;
  modified_time?: number;
  first_seen_time: number;
  last_seen_time: number;
  types: string[];
  analytic: { name: string; uid: string; type_id: 1; type: 'Rule' };
  attacks?: OcsfAttack[];
  related_events?: { uid: string }[];
  related_events_count?: number;
}
export interface OcsfMetadata {
  version: string;
  product: { name: string; vendor_name: string; version: string };
  uid: string;
  correlation_uid?: string;
  sequence?: number;
  is_truncated?: boolean;
}

/** An OCSF 1.7.0 Detection Finding (class 2004), as vigil fills it. */
export interface OcsfDetectionFinding {
  activity_id: ActivityId;
  activity_name: string;
  category_uid: 2;
  category_name: 'Findings';
  class_uid: 2004;
  class_name: 'Detection Finding';
  type_uid: number;
  type_name: string;
  severity_id: number;
  severity: string;
  status_id: StatusId;
  status: string;
  status_detail?: string;
  time: number;
  start_time: number;
  end_time: number;
  message: string;
  count?: number;
  confidence_score?: number;
  confidence_id?: number;
  confidence?: string;
  is_alert: boolean;
  metadata: OcsfMetadata;
  finding_info: OcsfFindingInfo;
  resources: OcsfResource[];
  evidences?: OcsfEvidence[];
  observables: OcsfObservable[];
  unmapped: Record<string, unknown>;
}

function classification(activity: ActivityId) {
  return { activity_id: activity, activity_name: ACTIVITIES[activity], ...CLASS, type_uid: CLASS.class_uid * 100 + activity, type_name: `${CLASS.class_name}: ${ACTIVITIES[activity]}` };
}

function severityOf(s: Severity) {
  const [severity_id, severity] = SEVERITIES[s];
  return { severity_id, severity };
}

function statusOf(status: StatusId) {
  return { status_id: status, status: STATUSES[status] };
}

/** Confidence 0..1 as OCSF's score 0..100 and its Low / Medium / High band (below 0.5, below 0.8, above). */
function confidenceOf(c: number) {
  const score = Math.min(100, Math.max(0, Math.round(c * 100)));
  const [confidence_id, confidence] = score < 50 ? [1, 'Low'] : score < 80 ? [2, 'Medium'] : [3, 'High'];
  return { confidence_score: score, confidence_id, confidence };
}

/** Where the subject sits in OCSF, typed where OCSF has a type for it: an evidence artifact and an observable. */
function subjectOf(s: Subject, b: Bounds): { evidences?: OcsfEvidence[]; observables: OcsfObservable[] } {
  const value = b.text(s.value, LIMITS.text);
  const other = (): OcsfObservable => ({ name: `subject.${s.kind}`, type_id: 99, type: 'Other', value });
  if (s.kind === 'ip' && isIP(value.trim()) !== 0) {
    return { evidences: [{ src_endpoint: { ip: value.trim() } }], observables: [{ name: 'subject.ip', type_id: 2, type: 'IP Address', value: value.trim() }] };
  }
  if (s.kind === 'principal') return { evidences: [{ user: { name: value } }], observables: [{ name: 'subject.principal', type_id: 4, type: 'User Name', value }] };
  if (s.kind === 'client') return { evidences: [{ actor: { app_uid: value } }], observables: [other()] };
  return { observables: [other()] };
}

function resourcesOf(api: string, route: string | undefined, b: Bounds): OcsfResource[] {
  const target = { role_id: 1, role: 'Target' };
  const out: OcsfResource[] = [{ name: b.text(api, LIMITS.id), type: 'API', ...target }];
  if (route !== undefined) out.push({ name: b.text(route, LIMITS.text), type: 'API Route', ...target });
  return out;
}

function evidenceObservables(evidence: Finding['evidence'], b: Bounds): OcsfObservable[] {
  return Object.entries(evidence).map(([k, v]) => ({ name: `evidence.${b.text(k, LIMITS.id)}`, type_id: 99, type: 'Other', value: String(jsonValue(v, b)) }));
}

function attacksOf(f: Pick<Finding, 'detector'> & { evidence?: Finding['evidence'] }): OcsfAttack[] | undefined {
  const attacks = attacksFor(f.detector, f.evidence).map((a) => ({
    tactic: { uid: a.tactic.id, name: a.tactic.name },
    technique: { uid: a.technique.id, name: a.technique.name },
    ...(a.subtechnique ? { sub_technique: { uid: a.subtechnique.id, name: a.subtechnique.name } } : {}),
  }));
  return attacks.length > 0 ? attacks : undefined;
}

function metadataOf(o: SiemOptions, uid: string, extra: Partial<OcsfMetadata> = {}): OcsfMetadata {
  const p = productOf(o);
  return { version: OCSF_VERSION, product: { name: p.name, vendor_name: p.vendorName, version: p.version }, uid, ...extra };
}

/** Marks the event truncated when anything was cut, once the whole event is built. */
function finish(event: OcsfDetectionFinding, b: Bounds): OcsfDetectionFinding {
  if (b.truncated) event.metadata.is_truncated = true;
  return event;
}

/** The id of the publication a finding revises or raises (evidence `updates`), if it is one. */
export function revises(f: Finding): string | undefined {
  const first = f.evidence.updates;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

function findingInfo(f: Finding, b: Bounds, first: string | undefined): OcsfFindingInfo {
  const attacks = attacksOf(f);
  return {
    uid: b.text(first ?? f.id, LIMITS.id),
    title: b.text(f.title, LIMITS.title),
    desc: b.text(f.description, LIMITS.description),
    ...(first === undefined ? { created_time: f.detectedAt } : { modified_time: f.detectedAt }),
    first_seen_time: f.windowStart,
    last_seen_time: f.windowEnd,
    types: [f.detector],
    analytic: { name: f.detector, uid: f.detector, type_id: 1, type: 'Rule' },
    ...(attacks ? { attacks } : {}),
    ...(f.eventIds.length > 0 ? { related_events: f.eventIds.map((uid) => ({ uid: b.text(uid, LIMITS.id) })) } : {}),
  };
}

/**
 * A finding as an OCSF Detection Finding: Create for a window's first publication, Update for a
 * revised or raised one, which keeps the first publication's id as the finding's uid (its own id is
 * metadata.uid). OWASP has no OCSF attribute: it goes to unmapped.owasp, with the subject and the
 * evidence as vigil wrote them.
 */
export function findingToOcsf(f: Finding, o: SiemOptions = {}): OcsfDetectionFinding {
  const b = createBounds();
  const first = revises(f);
  const subject = subjectOf(f.subject, b);
  const evidence = Object.fromEntries(Object.entries(f.evidence).map(([k, v]) => [b.text(k, LIMITS.id), jsonValue(v, b)]));
  const event: OcsfDetectionFinding = {
    ...classification(first === undefined ? 1 : 2),
    ...severityOf(f.severity),
    ...statusOf(1),
    time: f.detectedAt,
    start_time: f.windowStart,
    end_time: f.windowEnd,
    message: b.text(f.title, LIMITS.title),
    ...confidenceOf(f.confidence),
    is_alert: true,
    metadata: metadataOf(o, b.text(f.id, LIMITS.id)),
    finding_info: findingInfo(f, b, first),
    resources: resourcesOf(f.api, f.route, b),
    ...(subject.evidences ? { evidences: subject.evidences } : {}),
    observables: [...subject.observables, ...evidenceObservables(f.evidence, b)],
    unmapped: { ...(f.owasp ? { owasp: f.owasp } : {}), subject: { kind: f.subject.kind, value: b.text(f.subject.value, LIMITS.text) }, evidence },
  };
  return finish(event, b);
}

/** An incident's workflow status: silenced is Suppressed whatever its state; otherwise its state. */
function incidentStatus(i: Incident): StatusId {
  if (i.change === 'silenced') return 3;
  const byState: Record<IncidentState, StatusId> = { open: 1, acknowledged: 2, resolved: 4 };
  return byState[i.state];
}

function incidentInfo(i: Incident, b: Bounds): OcsfFindingInfo {
  const attacks = attacksOf(i);
  return {
    uid: b.text(i.id, LIMITS.id),
    title: b.text(i.title, LIMITS.title),
    ...(i.change === 'opened' ? { created_time: i.changedAt } : { modified_time: i.changedAt }),
    first_seen_time: i.firstSeenAt,
    last_seen_time: i.lastSeenAt,
    types: [i.detector],
    analytic: { name: i.detector, uid: i.detector, type_id: 1, type: 'Rule' },
    ...(attacks ? { attacks } : {}),
    ...(i.findingIds.length > 0 ? { related_events: i.findingIds.map((uid) => ({ uid: b.text(uid, LIMITS.id) })) } : {}),
    related_events_count: i.findingCount,
  };
}

/**
 * An incident change as a Detection Finding about the incident (its uid the incident id): opened is
 * Create, resolved is Close, every other change an Update; the status follows the incident's state.
 * It alerts (is_alert) only when the notifier raised it: opened, escalated, reopened.
 */
export function incidentChangeToOcsf(i: Incident, o: SiemOptions = {}): OcsfDetectionFinding {
  const b = createBounds();
  const subject = subjectOf(i.subject, b);
  const activity: ActivityId = i.change === 'opened' ? 1 : i.change === 'resolved' ? 3 : 2;
  const event: OcsfDetectionFinding = {
    ...classification(activity),
    ...severityOf(i.severity),
    ...statusOf(incidentStatus(i)),
    ...(i.reason ? { status_detail: b.text(i.reason, LIMITS.keyword) } : {}),
    time: i.changedAt,
    start_time: i.firstSeenAt,
    end_time: i.lastSeenAt,
    message: b.text(i.title, LIMITS.title),
    count: i.findingCount,
    is_alert: i.change === 'opened' || i.change === 'escalated' || i.change === 'reopened',
    metadata: metadataOf(o, b.text(`${i.id}-v${i.version}`, LIMITS.id + 16), { correlation_uid: b.text(i.groupKey, LIMITS.keyword), sequence: i.version }),
    finding_info: incidentInfo(i, b),
    resources: resourcesOf(i.api, i.route, b),
    ...(subject.evidences ? { evidences: subject.evidences } : {}),
    observables: subject.observables,
    unmapped: incidentUnmapped(i, b),
  };
  return finish(event, b);
}

function incidentUnmapped(i: Incident, b: Bounds): Record<string, unknown> {
  return {
    change: i.change,
    state: i.state,
    tier: i.tier,
    lastFindingId: b.text(i.lastFindingId, LIMITS.id),
    subject: { kind: i.subject.kind, value: b.text(i.subject.value, LIMITS.text) },
    ...(i.acknowledgedBy !== undefined ? { acknowledgedBy: b.text(i.acknowledgedBy, LIMITS.id) } : {}),
  };
}
