import { describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { clip } from './bound.js';
import { findingToEcs, incidentChangeToEcs } from './ecs.js';
import { ecsProblems } from './ecs-schema.fixture.js';
import { findingToOcsf, incidentChangeToOcsf } from './ocsf.js';
import { ocsfProblems } from './ocsf-schema.fixture.js';
import { sampleFindings, sampleIncident } from './samples.fixture.js';

/** What an attacker controls reaches a finding through paths, principals and user agents. */
const SCRIPT_PATH = '/users/<script>alert("x")</script>/\r\n{"injected":true}\u2028\u0000';
const HUGE_AGENT = `Mozilla/5.0 ${'A'.repeat(10 * 1024)}`;
const base = sampleFindings().find((f) => f.detector === 'credential_stuffing')!;
const hostile: Finding = {
  ...base,
  route: SCRIPT_PATH,
  subject: { kind: 'principal', value: `eve\n"}, {"admin": true` },
  title: `Login flood on ${SCRIPT_PATH}`,
  evidence: { ...base.evidence, userAgents: HUGE_AGENT, 'a.b': 1, samplePaths: SCRIPT_PATH, score: Number.POSITIVE_INFINITY },
};

/** Serialised as tail prints it: one line (U+2028 is JSON text, not a line break), and it reads back as the same value. */
function oneLine(value: unknown): unknown {
  const line = JSON.stringify(value);
  expect(line).not.toMatch(/[\n\r]/);
  return JSON.parse(line);
}

describe('attacker-controlled text', () => {
  it('is carried as data in OCSF: one JSON line, the path verbatim, the event still valid and marked truncated', () => {
    const e = findingToOcsf(hostile);
    expect(ocsfProblems(e)).toEqual([]);
    expect(oneLine(e)).toEqual(e);
    expect(e.resources[1]!.name).toBe(SCRIPT_PATH);
    expect(e.finding_info.title).toBe(`Login flood on ${SCRIPT_PATH}`);
    expect((e.unmapped.evidence as Record<string, unknown>).userAgents).toHaveLength(1024);
    expect((e.unmapped.evidence as Record<string, unknown>).score).toBe('Infinity');
    expect(e.metadata.is_truncated).toBe(true);
    expect(findingToOcsf(base).metadata.is_truncated).toBeUndefined();
  });

  it('is carried as data in ECS: one JSON line, keyword fields within ignore_above, dotted keys flattened', () => {
    const doc = findingToEcs(hostile);
    expect(ecsProblems(doc)).toEqual([]);
    expect(oneLine(doc)).toEqual(doc);
    expect(doc.url).toEqual({ path: SCRIPT_PATH });
    expect(doc.user).toEqual({ name: `eve\n"}, {"admin": true` });
    const evidence = (doc.vigil as { evidence: Record<string, unknown> }).evidence;
    expect([evidence.userAgents, evidence.a_b, evidence['a.b']]).toEqual([HUGE_AGENT.slice(0, 1024), 1, undefined]);
    expect(doc.tags).toEqual(['truncated']);
  });

  it('never puts what is not an IP in an IP field', () => {
    const f: Finding = { ...base, subject: { kind: 'ip', value: '<img src=x onerror=alert(1)>' } };
    expect(findingToOcsf(f).evidences).toBeUndefined();
    expect(findingToOcsf(f).observables[0]).toMatchObject({ name: 'subject.ip', type_id: 99 });
    expect(findingToEcs(f).source).toEqual({ address: '<img src=x onerror=alert(1)>' });
    expect([ocsfProblems(findingToOcsf(f)), ecsProblems(findingToEcs(f))]).toEqual([[], []]);
  });

  it('bounds a 10 KB subject where a schema has a limit, in incident changes too', () => {
    const i = sampleIncident({ change: 'opened', subject: { kind: 'principal', value: HUGE_AGENT }, route: SCRIPT_PATH, reason: 'x'.repeat(5000) });
    const [ocsf, ecs] = [incidentChangeToOcsf(i), incidentChangeToEcs(i)];
    expect([ocsfProblems(ocsf), ecsProblems(ecs)]).toEqual([[], []]);
    expect([oneLine(ocsf), oneLine(ecs)]).toEqual([ocsf, ecs]);
    expect((ecs.user as { name: string }).name.length).toBe(1024);
    expect((ecs.vigil as { subject: { value: string } }).subject.value.length).toBe(8192);
    expect(ocsf.metadata.is_truncated).toBe(true);
  });

  it('never cuts a character in half', () => {
    expect(clip('ab😀', 3)).toBe('ab');
    expect(clip('ab😀', 4)).toBe('ab😀');
    expect(clip('abc', 0)).toBe('');
  });
});
