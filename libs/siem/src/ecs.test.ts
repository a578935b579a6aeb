import { describe, expect, it } from 'vitest';
import { detectorNames, type Finding } from '@vigil/contracts';
import { ECS_VERSION, findingToEcs, incidentChangeToEcs } from './ecs.js';
import { ecsProblems, ecsReferenceVersion, leaves } from './ecs-schema.fixture.js';
import { revises } from './ocsf.js';
import { everyIncidentChange, sampleFindings, sampleIncident } from './samples.fixture.js';

const findings = sampleFindings();
const byDetector = (d: Finding['detector']) => findings.find((f) => f.detector === d && revises(f) === undefined)!;
const at = (doc: object, field: string) => new Map(leaves(doc as Record<string, unknown>)).get(field);

describe('the ECS field reference', () => {
  it('is the version the documents claim', () => {
    expect(ecsReferenceVersion).toBe(ECS_VERSION);
  });

  it('finds what is wrong: unknown fields, wrong types, values ECS does not allow, types no category expects', () => {
    const good = findingToEcs(byDetector('burst'));
    expect(ecsProblems(good)).toEqual([]);
    expect(ecsProblems({ ...good, finding: { id: 'x' } })).toEqual(['finding.id: not an ECS field']);
    expect(ecsProblems({ ...good, source: { ip: 'not-an-ip' } })).toEqual(['source.ip: "not-an-ip" is not a ip']);
    expect(ecsProblems({ ...good, event: { ...(good.event as object), kind: 'finding' } })).toEqual(['event.kind: "finding" is not an allowed value']);
    expect(ecsProblems({ ...good, event: { ...(good.event as object), type: ['indicator'] } })[0]).toMatch(/^event.type: "indicator" is not expected by event.category/);
    expect(ecsProblems({ ...good, event: { ...(good.event as object), severity: 'high' } })).toEqual(['event.severity: "high" is not a long']);
    expect(ecsProblems({ ...good, rule: { name: ['a'] } })).toEqual(['rule.name: an array, which ECS does not make it']);
    expect(ecsProblems({ ...good, user: { name: 'u'.repeat(1025) } })).toEqual(['user.name: longer than ignore_above 1024']);
    const { ecs: _, ...noVersion } = good;
    expect(ecsProblems(noVersion)).toEqual(['ecs.version: required']);
  });
});

describe('findingToEcs', () => {
  it('maps a finding of every detector to a valid ECS document', () => {
    expect(new Set(findings.map((f) => f.detector))).toEqual(new Set(detectorNames));
    for (const f of findings) expect([f.id, ecsProblems(findingToEcs(f))]).toEqual([f.id, []]);
  });

  it('maps the finding to ECS alert fields', () => {
    const f = byDetector('bola_enumeration');
    const doc = findingToEcs(f, { productVersion: '9.9.9' });
    expect(doc['@timestamp']).toBe(new Date(f.detectedAt).toISOString());
    expect(doc.event).toEqual({
      kind: 'alert',
      category: ['web', 'intrusion_detection'],
      type: ['info'],
      severity: 5,
      risk_score: 99,
      id: f.id,
      action: 'finding-created',
      module: 'vigil',
      dataset: 'vigil.findings',
      start: new Date(f.windowStart).toISOString(),
      end: new Date(f.windowEnd).toISOString(),
    });
    expect(doc).toMatchObject({ message: f.title, rule: { name: 'bola_enumeration', ruleset: 'vigil', category: 'API1:2023' }, service: { name: 'accounts' }, url: { path: '/users/{id}/account' }, user: { name: 'trudy' }, related: { user: ['trudy'] }, observer: { product: 'vigil', vendor: 'vigil', version: '9.9.9' } });
    expect(doc.threat).toEqual({ framework: 'MITRE ATT&CK', tactic: { id: ['TA0009'], name: ['Collection'] }, technique: { id: ['T1213'], name: ['Data from Information Repositories'] } });
    expect(doc.vigil).toEqual({ finding: { id: f.id, severity: 'critical', confidence: f.confidence, description: f.description, eventIds: f.eventIds }, subject: f.subject, evidence: f.evidence });
  });

  it('categorises by detector: authentication, threat indicators, operations', () => {
    const categorised = (f: Finding) => [at(findingToEcs(f), 'event.category'), at(findingToEcs(f), 'event.type')];
    expect(categorised(byDetector('credential_stuffing'))).toEqual([['web', 'intrusion_detection', 'authentication'], ['info']]);
    expect(categorised(byDetector('known_threat'))).toEqual([['web', 'intrusion_detection', 'threat'], ['info', 'indicator']]);
    expect(categorised(byDetector('latency_degradation'))).toEqual([['web'], ['info']]);
    expect(at(findingToEcs(byDetector('credential_stuffing')), 'threat.technique.subtechnique.id')).toEqual(['T1110.004']);
  });

  it('puts an IP subject in source.ip, and an update says so in event.action', () => {
    const doc = findingToEcs(byDetector('known_threat'));
    expect([at(doc, 'source.ip'), at(doc, 'related.ip')]).toEqual(['185.220.101.7', ['185.220.101.7']]);
    const update = findings.find((f) => revises(f) !== undefined)!;
    expect(at(findingToEcs(update), 'event.action')).toBe('finding-updated');
  });
});

describe('incidentChangeToEcs', () => {
  it('maps a change of every kind to a valid ECS document', () => {
    for (const i of everyIncidentChange()) expect([i.change, ecsProblems(incidentChangeToEcs(i))]).toEqual([i.change, []]);
  });

  it('names the change in event.action, its version in event.sequence, the incident under vigil.incident', () => {
    const i = sampleIncident({ change: 'escalated' });
    const doc = incidentChangeToEcs(i);
    expect(doc.event).toMatchObject({ kind: 'alert', action: 'incident-escalated', dataset: 'vigil.incidents', id: `${i.id}-v${i.version}`, sequence: i.version, reason: i.reason, severity: 5 });
    expect(doc['@timestamp']).toBe(new Date(i.changedAt).toISOString());
    expect(doc.vigil).toMatchObject({ incident: { id: i.id, change: 'escalated', tier: 'wake_up', groupKey: i.groupKey, findingCount: 3, findingIds: i.findingIds }, subject: i.subject });
    expect(everyIncidentChange().map((c) => at(incidentChangeToEcs(c), 'event.action'))).toEqual(['incident-opened', 'incident-updated', 'incident-escalated', 'incident-acknowledged', 'incident-resolved', 'incident-reopened', 'incident-silenced']);
  });
});
