import { severities, severityRank, type Finding, type Severity } from '@vigil/contracts';
import type { FindingClaim } from '@vigil/state';
import { clip } from './detectors/common.js';
import { findingId } from './finding-id.js';
import { MINUTE } from './units.js';

/**
 * A window's finding is published once under its id. If the same window
 * later judges worse (an enumeration whose reads turn out to have been
 * served: high, then critical), it is published once more, under the id
 * `<id>-<severity>`, so that the notifier — which drops a finding id it has
 * seen — takes it and escalates the incident. If what it measures grows
 * (its magnitude: distinct ids, calls) by a quarter, or the episode it
 * reports goes on for another quarter of an hour, it is published once
 * more, revised, under `<id>-r<k>`, so that its evidence is never a stale
 * undercount and the notifier sees an episode that goes on (its incident
 * stays open while it does). Both carry `updates: <id>` in
 * their evidence. Claims record, per window, the highest severity published
 * and the highest classes (`critical|19|3`); replays of any batch publish
 * nothing.
 */

/** Magnitude classes grow by a quarter: a finding is revised when it crosses into a higher one. */
const MAGNITUDE_STEP = 1.25;
/** Span classes: a quarter of an hour each, shorter than the notifier's default quiet period before an incident resolves. */
const SPAN_STEP_MS = 15 * MINUTE;

/** How far a finding has grown: the classes of its magnitude and of its window's span. */
export interface Revision {
  magnitude: number;
  span: number;
}

export const NO_REVISION: Revision = Object.freeze({ magnitude: 0, span: 0 });

/** A finding's revision classes (0 for no magnitude, and for spans under a quarter of an hour). */
export function revisionOf(magnitude: number | undefined, spanMs: number): Revision {
  const m = magnitude === undefined || magnitude < 1 ? 0 : Math.floor(Math.log(magnitude) / Math.log(MAGNITUDE_STEP));
  return { magnitude: m, span: Math.max(0, Math.floor(spanMs / SPAN_STEP_MS)) };
}

interface Claim extends Revision {
  severity: Severity;
  /** False for a claim written before claims recorded classes: nothing is revised over it. */
  classes: boolean;
}

/** What a claim recorded; a claim written before claims recorded a severity (`'1'`) counts as the highest, so nothing is raised over it. */
function recorded(value: string): Claim {
  const [severity, magnitude, span] = value.split('|') as [string, string | undefined, string | undefined];
  return {
    severity: (severities as readonly string[]).includes(severity) ? (severity as Severity) : 'critical',
    magnitude: Number(magnitude ?? 0) || 0,
    span: Number(span ?? 0) || 0,
    classes: magnitude !== undefined,
  };
}

function format(c: Omit<Claim, 'classes'>): string {
  return `${c.severity}|${c.magnitude}|${c.span}`;
}

const higher = (a: Severity, b: Severity): Severity => (severityRank(a) >= severityRank(b) ? a : b);

/** The union of two claims (either may be absent): the higher severity and the higher classes. */
export function higherClaim(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const x = recorded(a);
  const y = recorded(b);
  if (!x.classes && !y.classes) return higher(x.severity, y.severity);
  return format({ severity: higher(x.severity, y.severity), magnitude: Math.max(x.magnitude, y.magnitude), span: Math.max(x.span, y.span) });
}

/** What to publish of `f` (grown to `revision`), whose window already published `before` (undefined: not published): `f`, `f` raised or revised, or nothing. */
export function toPublish(f: Finding, revision: Revision, before: string | undefined): Finding | undefined {
  if (before === undefined) return f;
  const from = recorded(before);
  if (severityRank(f.severity) > severityRank(from.severity)) {
    return {
      ...f,
      id: `${f.id}-${f.severity}`,
      evidence: { ...f.evidence, raisedFrom: from.severity, updates: f.id },
      description: clip(`${f.description} Raised from ${from.severity}, the severity first published for this window.`, 4000),
    };
  }
  if (!from.classes || (revision.magnitude <= from.magnitude && revision.span <= from.span)) return undefined;
  // Each class only grows, so their sum names each revision of a window once.
  const k = Math.max(revision.magnitude, from.magnitude) + Math.max(revision.span, from.span);
  return {
    ...f,
    id: `${f.id}-r${k}`,
    evidence: { ...f.evidence, revised: 1, updates: f.id },
    description: clip(`${f.description} Revised: what it counts grew, or it lasted longer, since it was first published.`, 4000),
  };
}

/** The claim a publication of `f` at `revision` makes, over what was claimed `before` (replaced in the store, so it keeps the higher of each). */
export function claimFor(f: Pick<Finding, 'severity'>, revision: Revision, before: string | undefined): string {
  return higherClaim(before, format({ severity: f.severity, ...revision }))!;
}

/** Per window (the id of its first publication), the union of the claims of `findings` (by default their severity). */
export function claimsOf(findings: readonly Finding[], claimOf: (f: Finding) => string | undefined = () => undefined): FindingClaim[] {
  const top = new Map<string, string>();
  for (const f of findings) {
    const id = findingId(f);
    top.set(id, higherClaim(top.get(id), claimOf(f) ?? format({ severity: f.severity, ...NO_REVISION }))!);
  }
  return [...top].map(([id, severity]) => ({ id, severity }));
}
