import { severities, severityRank, type Finding, type Severity } from '@vigil/contracts';
import type { FindingClaim } from '@vigil/state';
import { clip } from './detectors/common.js';
import { findingId } from './finding-id.js';

/**
 * A window's finding is published once under its id. If the same window
 * later judges worse (an enumeration whose reads turn out to have been
 * served: high, then critical), it is published once more, under the id
 * `<id>-<severity>`, so that the notifier — which drops a finding id it has
 * seen — takes it and escalates the incident. Claims record, per window,
 * the highest severity published; replays of either batch publish nothing.
 */

/** The severity a claim recorded; a claim written before claims recorded one (`'1'`) counts as the highest, so nothing is raised over it. */
function recorded(value: string): Severity {
  return (severities as readonly string[]).includes(value) ? (value as Severity) : 'critical';
}

/** The higher of two recorded severities (either may be absent). */
export function higherClaim(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return severityRank(recorded(a)) >= severityRank(recorded(b)) ? a : b;
}

/** What to publish of `f`, whose window already published `before` (undefined: not published): `f`, `f` raised, or nothing. */
export function toPublish(f: Finding, before: string | undefined): Finding | undefined {
  if (before === undefined) return f;
  const from = recorded(before);
  if (severityRank(f.severity) <= severityRank(from)) return undefined;
  return {
    ...f,
    id: `${f.id}-${f.severity}`,
    evidence: { ...f.evidence, raisedFrom: from },
    description: clip(`${f.description} Raised from ${from}, the severity first published for this window.`, 4000),
  };
}

/** Per window (the id of its first publication), the highest severity among `findings`. */
export function claimsOf(findings: readonly Finding[]): FindingClaim[] {
  const top = new Map<string, Severity>();
  for (const f of findings) {
    const id = findingId(f);
    const seen = top.get(id);
    if (seen === undefined || severityRank(f.severity) > severityRank(seen)) top.set(id, f.severity);
  }
  return [...top].map(([id, severity]) => ({ id, severity }));
}
