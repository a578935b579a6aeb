import { describe, expect, it } from 'vitest';
import { findingContract, toWireJson, type Incident } from '@vigil/contracts';
import { findingToEcs, findingToOcsf, incidentChangeToOcsf } from '@vigil/siem';
import { sampleFinding } from '../../../../libs/contracts/src/samples.fixture.js';
import { runCli } from '../program.js';
import { findingLine, formatLine, incidentLine, tailFormats } from './tail.js';

const finding = sampleFinding({ route: '/users/{id}', subject: { kind: 'ip', value: '198.51.100.7' }, title: 'burst of 600 calls\nfrom one IP', owasp: 'API4:2023' });
const incident: Incident = {
  id: 'inc-1', version: 2, change: 'escalated', state: 'open', tier: 'wake_up', groupKey: 'burst|accounts', detector: 'burst', severity: 'critical', api: 'accounts',
  subject: { kind: 'ip', value: '198.51.100.7' }, title: 'burst', findingCount: 2, lastFindingId: finding.id, findingIds: [finding.id], firstSeenAt: 1, lastSeenAt: 2, changedAt: 3,
};

describe('vigil tail formatLine', () => {
  it('prints text and wire JSON as before', () => {
    expect(formatLine('findings', finding, 'text')).toBe(findingLine(finding));
    expect(formatLine('incidents', incident, 'text')).toBe(incidentLine(incident));
    expect(JSON.parse(formatLine('findings', finding, 'json'))).toEqual(JSON.parse(JSON.stringify(toWireJson(findingContract, finding))));
  });

  it('prints one JSON line in OCSF or ECS, naming vigil at the version given', () => {
    const ocsf = formatLine('findings', finding, 'ocsf', { productVersion: '1.2.3' });
    expect(ocsf).not.toContain('\n');
    expect(JSON.parse(ocsf)).toEqual(findingToOcsf(finding, { productVersion: '1.2.3' }));
    expect(JSON.parse(ocsf)).toMatchObject({ class_uid: 2004, metadata: { product: { name: 'vigil', version: '1.2.3' } } });
    expect(JSON.parse(formatLine('findings', finding, 'ecs'))).toEqual(findingToEcs(finding));
    expect(JSON.parse(formatLine('incidents', incident, 'ocsf'))).toEqual(incidentChangeToOcsf(incident));
    expect(JSON.parse(formatLine('incidents', incident, 'ecs'))).toMatchObject({ event: { action: 'incident-escalated', dataset: 'vigil.incidents' } });
  });

  it('offers the four formats, and refuses --json with another --format before connecting to anything', async () => {
    expect(tailFormats).toEqual(['text', 'json', 'ocsf', 'ecs']);
    let err = '';
    const run = (...argv: string[]) => runCli(argv, { out: () => undefined, err: (t) => (err += t), env: {} }, '0.0.0-test');
    expect(await run('tail', '--format', 'cef')).toBe(2);
    expect(err).toContain("argument 'cef' is invalid. Allowed choices are text, json, ocsf, ecs.");
    expect(await run('tail', '--json', '--format', 'ocsf')).toBe(2);
    expect(err).toContain('--json and --format ocsf ask for different output');
  });
});
