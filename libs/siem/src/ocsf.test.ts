import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectorNames, incidentChanges, incidentSchema, type Finding } from '@vigil/contracts';
import { findingToOcsf, incidentChangeToOcsf, OCSF_VERSION, revises } from './ocsf.js';
import { ocsfProblems, ocsfSchema } from './ocsf-schema.fixture.js';
import { everyIncidentChange, sampleFindings, sampleIncident } from './samples.fixture.js';

const findings = sampleFindings();
const byDetector = (d: Finding['detector']) => findings.find((f) => f.detector === d && revises(f) === undefined)!;
const ownVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('the OCSF fixture', () => {
  it('is OCSF 1.7.0 class 2004, Findings, with the Detection Finding activities', () => {
    expect(ocsfSchema.version).toBe(OCSF_VERSION);
    expect(ocsfSchema.class).toMatchObject({ uid: 2004, category_uid: 2, caption: 'Detection Finding', category_name: 'Findings' });
    expect(ocsfSchema.objects.detection_finding!.attributes.activity_id!.enum).toMatchObject({ 1: 'Create', 2: 'Update', 3: 'Close' });
  });

  it('finds what is wrong: unknown attributes, missing required ones, wrong types, enums and siblings', () => {
    const good = findingToOcsf(byDetector('burst'));
    expect(ocsfProblems(good)).toEqual([]);
    expect(ocsfProblems({ ...good, owasp: 'API4:2023' })).toEqual(['owasp: not an attribute of detection_finding']);
    const { metadata: _, ...noMetadata } = good;
    expect(ocsfProblems(noMetadata)).toContain('metadata: required by detection_finding');
    expect(ocsfProblems({ ...good, time: '2026-11-18T13:00:00Z' })).toEqual(['time: "2026-11-18T13:00:00Z" is not a timestamp_t']);
    expect(ocsfProblems({ ...good, severity_id: 7 })[0]).toMatch(/^severity_id: 7 is not one of/);
    expect(ocsfProblems({ ...good, severity: 'Severe' })).toEqual([`severity_id: severity is "Severe", not "${good.severity}"`]);
    expect(ocsfProblems({ ...good, type_uid: 200402, type_name: 'Detection Finding: Update' })).toEqual(['type_uid: not class_uid * 100 + activity_id']);
    expect(ocsfProblems({ ...good, evidences: [{ src_endpoint: { ip: 'not-an-ip' } }] })).toEqual(['evidences[0].src_endpoint.ip: "not-an-ip" does not match ip_t']);
    expect(ocsfProblems({ ...good, finding_info: { ...good.finding_info, analytic: { type_id: 1, type: 'Rule' } } })).toEqual(['finding_info.analytic: analytic needs one of name, uid']);
  });
});

describe('findingToOcsf', () => {
  it('has a finding of every detector, and each maps to a valid Detection Finding', () => {
    expect(new Set(findings.map((f) => f.detector))).toEqual(new Set(detectorNames));
    for (const f of findings) expect([f.id, ocsfProblems(findingToOcsf(f))]).toEqual([f.id, []]);
  });

  it('maps a first publication as Create: class, severity, status, times, confidence, product', () => {
    const f = byDetector('credential_stuffing');
    const e = findingToOcsf(f, { productVersion: '9.9.9', vendorName: 'Example Corp' });
    expect(e).toMatchObject({ class_uid: 2004, category_uid: 2, activity_id: 1, activity_name: 'Create', type_uid: 200401, status_id: 1, status: 'New', time: f.detectedAt, start_time: f.windowStart, end_time: f.windowEnd, message: f.title, is_alert: true });
    expect([e.severity_id, e.severity]).toEqual([4, 'High']);
    expect([e.confidence_score, e.confidence_id]).toEqual([Math.round(f.confidence * 100), f.confidence >= 0.8 ? 3 : f.confidence >= 0.5 ? 2 : 1]);
    expect(e.metadata).toEqual({ version: '1.7.0', product: { name: 'vigil', vendor_name: 'Example Corp', version: '9.9.9' }, uid: f.id });
    expect(e.finding_info).toMatchObject({ uid: f.id, title: f.title, desc: f.description, created_time: f.detectedAt, first_seen_time: f.windowStart, last_seen_time: f.windowEnd, types: ['credential_stuffing'], analytic: { name: 'credential_stuffing', type_id: 1, type: 'Rule' } });
    expect(findingToOcsf(f).metadata.product).toEqual({ name: 'vigil', vendor_name: 'vigil', version: ownVersion });
  });

  it('maps each severity to its severity_id', () => {
    const ids = (['info', 'low', 'medium', 'high', 'critical'] as const).map((severity) => findingToOcsf({ ...byDetector('burst'), severity }).severity_id);
    expect(ids).toEqual([1, 2, 3, 4, 5]);
  });

  it('maps a revised or raised publication as an Update of the first one (its uid), under its own metadata.uid', () => {
    const updates = findings.filter((f) => revises(f) !== undefined);
    expect(updates.map((f) => (f.evidence.raisedFrom !== undefined ? 'raised' : 'revised')).sort()).toEqual(['raised', 'revised']);
    for (const f of updates) {
      const e = findingToOcsf(f);
      expect(e).toMatchObject({ activity_id: 2, activity_name: 'Update', type_uid: 200402, metadata: { uid: f.id }, finding_info: { uid: f.evidence.updates, modified_time: f.detectedAt } });
      expect(e.finding_info.created_time).toBeUndefined();
    }
  });

  it('puts the subject in an evidence artifact and a typed observable, the api and route in resources, the evidence in observables', () => {
    const ip = findingToOcsf(byDetector('known_threat'));
    expect(ip.evidences).toEqual([{ src_endpoint: { ip: '185.220.101.7' } }]);
    expect(ip.observables[0]).toEqual({ name: 'subject.ip', type_id: 2, type: 'IP Address', value: '185.220.101.7' });
    expect(ip.observables).toContainEqual({ name: 'evidence.requests', type_id: 99, type: 'Other', value: '1' });
    const principal = findingToOcsf(byDetector('bola_enumeration'));
    expect(principal.evidences).toEqual([{ user: { name: 'trudy' } }]);
    expect(principal.observables[0]).toEqual({ name: 'subject.principal', type_id: 4, type: 'User Name', value: 'trudy' });
    expect(principal.resources).toEqual([{ name: 'accounts', type: 'API', role_id: 1, role: 'Target' }, { name: '/users/{id}/account', type: 'API Route', role_id: 1, role: 'Target' }]);
    const client = findingToOcsf(findings.find((f) => f.subject.kind === 'client')!);
    expect(client.evidences).toEqual([{ actor: { app_uid: 'partner-sync' } }]);
    const route = findingToOcsf(byDetector('new_endpoint'));
    expect([route.evidences, route.observables[0]]).toEqual([undefined, { name: 'subject.route', type_id: 99, type: 'Other', value: 'GET /admin/orders/export' }]);
    expect(findingToOcsf(byDetector('rate_limit_exhaustion')).observables[0]).toMatchObject({ name: 'subject.api', type_id: 99 });
  });

  it('keeps OWASP, the subject and the typed evidence under unmapped', () => {
    const f = byDetector('bola_enumeration');
    expect(findingToOcsf(f).unmapped).toEqual({ owasp: 'API1:2023', subject: f.subject, evidence: f.evidence });
    expect(findingToOcsf(byDetector('error_rate')).unmapped.owasp).toBeUndefined();
  });

  it('names the ATT&CK technique of the table, and none where nothing applies', () => {
    const attacks = (f: Finding) => findingToOcsf(f).finding_info.attacks;
    expect(attacks(byDetector('credential_stuffing'))).toEqual([{ tactic: { uid: 'TA0006', name: 'Credential Access' }, technique: { uid: 'T1110', name: 'Brute Force' }, sub_technique: { uid: 'T1110.004', name: 'Credential Stuffing' } }]);
    expect(attacks(byDetector('bola_enumeration'))?.map((a) => a.technique.uid)).toEqual(['T1213']);
    expect(attacks(byDetector('volume_anomaly'))?.map((a) => a.sub_technique?.uid)).toEqual(['T1499.002']);
    expect(attacks({ ...byDetector('volume_anomaly'), evidence: { ...byDetector('volume_anomaly').evidence, change: 'drop' } })).toBeUndefined();
    expect(attacks(byDetector('known_threat'))).toBeUndefined();
    expect(attacks(findings.find((f) => f.evidence.matchKind === 'key_id')!)?.map((a) => a.sub_technique?.uid)).toEqual(['T1550.001']);
    for (const d of ['error_rate', 'latency_degradation', 'schema_drift', 'new_endpoint', 'bot'] as const) expect(attacks(byDetector(d))).toBeUndefined();
  });

  it('lists the sampled events as related events', () => {
    const f = byDetector('burst');
    expect(findingToOcsf(f).finding_info.related_events).toEqual(f.eventIds.map((uid) => ({ uid })));
  });
});

describe('incidentChangeToOcsf', () => {
  it('maps a change of every kind to a valid Detection Finding about the incident', () => {
    for (const i of everyIncidentChange()) {
      expect(incidentSchema.safeParse(i).success).toBe(true);
      expect([i.change, ocsfProblems(incidentChangeToOcsf(i))]).toEqual([i.change, []]);
    }
  });

  it('opened creates, resolved closes, the rest update; the status follows the state; only what the notifier raised alerts', () => {
    const rows = everyIncidentChange().map((i) => {
      const e = incidentChangeToOcsf(i);
      return [i.change, e.activity_name, e.status, e.is_alert];
    });
    expect(rows).toEqual([
      ['opened', 'Create', 'New', true],
      ['updated', 'Update', 'New', false],
      ['escalated', 'Update', 'New', true],
      ['acknowledged', 'Update', 'In Progress', false],
      ['resolved', 'Close', 'Resolved', false],
      ['reopened', 'Update', 'New', true],
      ['silenced', 'Update', 'Suppressed', false],
    ]);
    expect(incidentChanges).toHaveLength(rows.length);
  });

  it('names the incident, its findings, its grouping and its version', () => {
    const i = sampleIncident({ change: 'escalated' });
    const e = incidentChangeToOcsf(i);
    expect(e.finding_info).toMatchObject({ uid: i.id, modified_time: i.changedAt, first_seen_time: i.firstSeenAt, last_seen_time: i.lastSeenAt, related_events_count: 3, related_events: i.findingIds.map((uid) => ({ uid })) });
    expect(e.metadata).toMatchObject({ uid: `${i.id}-v${i.version}`, correlation_uid: i.groupKey, sequence: i.version });
    expect([e.status_detail, e.count, e.time]).toEqual([i.reason, 3, i.changedAt]);
    expect(e.unmapped).toEqual({ change: 'escalated', state: 'open', tier: 'wake_up', lastFindingId: i.lastFindingId, subject: i.subject });
    expect(incidentChangeToOcsf(sampleIncident({ change: 'acknowledged' })).unmapped.acknowledgedBy).toBe('alice@example.com');
  });
});
