import { isIP } from 'node:net';
import type { DetectorName, Finding, Incident, Severity, Subject } from '@vigil/contracts';
import { attacksFor, type AttackMapping } from './attack.js';
import { createBounds, jsonValue, LIMITS, type Bounds } from './bound.js';
import { revises } from './ocsf.js';
import { productOf, type SiemOptions } from './options.js';

/** The ECS version the documents conform to (the field reference of the npm package @elastic/ecs 9.4.0). */
export const ECS_VERSION = '9.4.0';

/** An ECS document: ECS fields nested as Elasticsearch reads them, vigil's own under `vigil`. */
export type EcsDocument = { '@timestamp': string; ecs: { version: string }; message: string; vigil: Record<string, unknown> } & Record<string, unknown>;

/** ECS event.severity: vigil's severity as a number that grows with it, the same as OCSF's severity_id. */
const SEVERITY: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
/** ECS event.risk_score 0..100: Elastic Security's defaults for low … critical, and below low for info. */
const RISK_SCORE: Record<Severity, number> = { info: 10, low: 21, medium: 47, high: 73, critical: 99 };
/** Detectors whose findings are about an attacker or a weakness (intrusion_detection), not only about operations. */
const SECURITY = new Set<DetectorName>(['bola_enumeration', 'bot', 'credential_stuffing', 'burst', 'known_threat', 'unauthenticated_access', 'large_response', 'response_size', 'shadow_endpoint', 'zombie_endpoint']);
const AUTHENTICATION = new Set<DetectorName>(['credential_stuffing', 'unauthenticated_access']);

const iso = (ms: number) => new Date(ms).toISOString();

/** event.category and event.type: every finding is about web (HTTP API) traffic; security, authentication and threat-indicator ones say so too. */
function categorization(detector: DetectorName, attacks: readonly AttackMapping[]) {
  const category = ['web'];
  if (SECURITY.has(detector) || attacks.length > 0) category.push('intrusion_detection');
  if (AUTHENTICATION.has(detector)) category.push('authentication');
  const type = ['info'];
  if (detector === 'known_threat') {
    category.push('threat');
    type.push('indicator');
  }
  return { category, type };
}

function threatOf(attacks: readonly AttackMapping[]): Record<string, unknown> {
  if (attacks.length === 0) return {};
  const subs = attacks.flatMap((a) => (a.subtechnique ? [a.subtechnique] : []));
  const technique = {
    id: attacks.map((a) => a.technique.id),
    name: attacks.map((a) => a.technique.name),
    ...(subs.length > 0 ? { subtechnique: { id: subs.map((s) => s.id), name: subs.map((s) => s.name) } } : {}),
  };
  return { threat: { framework: 'MITRE ATT&CK', tactic: { id: attacks.map((a) => a.tactic.id), name: attacks.map((a) => a.tactic.name) }, technique } };
}

/** The subject in ECS fields where ECS has one (an address that is not an IP goes to source.address); a client stays in vigil.subject only. */
function subjectFields(s: Subject, b: Bounds): Record<string, unknown> {
  const value = b.text(s.value, LIMITS.keyword);
  if (s.kind === 'ip') return isIP(value.trim()) !== 0 ? { source: { ip: value.trim() }, related: { ip: [value.trim()] } } : { source: { address: value } };
  if (s.kind === 'principal') return { user: { name: value }, related: { user: [value] } };
  return {};
}

function placeFields(api: string, route: string | undefined, b: Bounds): Record<string, unknown> {
  return { service: { name: b.text(api, LIMITS.keyword) }, ...(route !== undefined ? { url: { path: b.text(route, LIMITS.text) } } : {}) };
}

function observerOf(o: SiemOptions) {
  const p = productOf(o);
  return { observer: { product: p.name, vendor: p.vendorName, version: p.version } };
}

/** Evidence keys as field names: a dot would make Elasticsearch nest (and clash), so it becomes an underscore. */
function evidenceFields(evidence: Finding['evidence'], b: Bounds): Record<string, number | string> {
  return Object.fromEntries(Object.entries(evidence).map(([k, v]) => [b.text(k.replaceAll('.', '_'), LIMITS.id) || '_', jsonValue(v, b)]));
}

function finish(doc: EcsDocument, b: Bounds): EcsDocument {
  if (b.truncated) doc.tags = ['truncated'];
  return doc;
}

/** The `event` fields a finding's and an incident's documents share: an alert of vigil's, categorised and scored. */
function alertEvent(detector: DetectorName, severity: Severity, attacks: readonly AttackMapping[]) {
  return { kind: 'alert', ...categorization(detector, attacks), severity: SEVERITY[severity], risk_score: RISK_SCORE[severity], module: 'vigil' };
}

function findingEvent(f: Finding, attacks: readonly AttackMapping[], b: Bounds) {
  return {
    ...alertEvent(f.detector, f.severity, attacks),
    id: b.text(f.id, LIMITS.keyword),
    action: revises(f) === undefined ? 'finding-created' : 'finding-updated',
    dataset: 'vigil.findings',
    start: iso(f.windowStart),
    end: iso(f.windowEnd),
  };
}

/** A finding as an ECS alert document; rule.category holds its OWASP id, vigil.* what ECS has no field for. */
export function findingToEcs(f: Finding, o: SiemOptions = {}): EcsDocument {
  const b = createBounds();
  const attacks = attacksFor(f.detector, f.evidence);
  const doc: EcsDocument = {
    '@timestamp': iso(f.detectedAt),
    ecs: { version: ECS_VERSION },
    message: b.text(f.title, LIMITS.title),
    event: findingEvent(f, attacks, b),
    rule: { name: f.detector, ruleset: 'vigil', ...(f.owasp ? { category: b.text(f.owasp, LIMITS.keyword) } : {}) },
    ...threatOf(attacks),
    ...placeFields(f.api, f.route, b),
    ...subjectFields(f.subject, b),
    ...observerOf(o),
    vigil: {
      finding: { id: b.text(f.id, LIMITS.id), severity: f.severity, confidence: f.confidence, description: b.text(f.description, LIMITS.description), eventIds: f.eventIds.map((id) => b.text(id, LIMITS.id)) },
      subject: { kind: f.subject.kind, value: b.text(f.subject.value, LIMITS.text) },
      evidence: evidenceFields(f.evidence, b),
    },
  };
  return finish(doc, b);
}

function incidentEvent(i: Incident, attacks: readonly AttackMapping[], b: Bounds) {
  return {
    ...alertEvent(i.detector, i.severity, attacks),
    id: b.text(`${i.id}-v${i.version}`, LIMITS.keyword),
    action: `incident-${i.change}`,
    dataset: 'vigil.incidents',
    start: iso(i.firstSeenAt),
    end: iso(i.lastSeenAt),
    sequence: i.version,
    ...(i.reason ? { reason: b.text(i.reason, LIMITS.keyword) } : {}),
  };
}

function incidentFields(i: Incident, b: Bounds): Record<string, unknown> {
  return {
    id: b.text(i.id, LIMITS.id),
    version: i.version,
    change: i.change,
    state: i.state,
    tier: i.tier,
    severity: i.severity,
    groupKey: b.text(i.groupKey, LIMITS.keyword),
    findingCount: i.findingCount,
    lastFindingId: b.text(i.lastFindingId, LIMITS.id),
    findingIds: i.findingIds.map((id) => b.text(id, LIMITS.id)),
    ...(i.acknowledgedBy !== undefined ? { acknowledgedBy: b.text(i.acknowledgedBy, LIMITS.id) } : {}),
  };
}

/** An incident change as an ECS alert document: event.action `incident-<change>`, event.sequence its version. */
export function incidentChangeToEcs(i: Incident, o: SiemOptions = {}): EcsDocument {
  const b = createBounds();
  const attacks = attacksFor(i.detector);
  const doc: EcsDocument = {
    '@timestamp': iso(i.changedAt),
    ecs: { version: ECS_VERSION },
    message: b.text(i.title, LIMITS.title),
    event: incidentEvent(i, attacks, b),
    rule: { name: i.detector, ruleset: 'vigil' },
    ...threatOf(attacks),
    ...placeFields(i.api, i.route, b),
    ...subjectFields(i.subject, b),
    ...observerOf(o),
    vigil: { incident: incidentFields(i, b), subject: { kind: i.subject.kind, value: b.text(i.subject.value, LIMITS.text) } },
  };
  return finish(doc, b);
}
