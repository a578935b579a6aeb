import { severityRank, type Finding } from '@vigil/contracts';
import type { StateStore } from '@vigil/state';
import { findingId } from '../../finding-id.js';
import { claimFor, higherClaim, revisionOf, toPublish, type Revision } from '../../publication.js';
import type { FindingDraft } from '../../types.js';

/** A finding ready to publish, with the classes it was published at (claims record them). */
export interface Identified {
  finding: Finding;
  revision: Revision;
}

/**
 * Stage 7, identify: each draft gets its deterministic id and the batch's
 * event time; of the drafts of one id in a batch (one episode's windows),
 * the most severe wins, then the largest, then the one judged over the
 * shortest window, then the latest. Then what the
 * store says was published already (and what earlier slices of the batch
 * found) decides what is published: new windows, windows raised above their
 * published severity, or grown past their published magnitude or span class
 * (revised), nothing for the rest (they are counted as duplicates).
 */
export function identify(drafts: readonly FindingDraft[], now: number): Map<string, Identified> {
  const byId = new Map<string, Held>();
  for (const d of drafts) {
    const id = findingId(d);
    const seen = byId.get(id);
    if (seen && !better(d, seen)) continue;
    const { magnitude, usual: _usual, episode: _episode, judgedMs: _judgedMs, aspect: _aspect, ...fields } = d;
    const finding: Finding = { id, ...fields, detectedAt: now, eventIds: d.eventIds.slice(0, 50) };
    if (finding.route === undefined) delete finding.route;
    if (finding.owasp === undefined) delete finding.owasp;
    byId.set(id, { finding, revision: revisionOf(magnitude, d.windowEnd - d.windowStart), magnitude: magnitude ?? 0, judgedMs: d.judgedMs ?? d.windowEnd - d.windowStart });
  }
  return byId;
}

type Held = Identified & { magnitude: number; judgedMs: number };

/**
 * A later draft of the same id replaces the one held when it is more severe, or as severe and larger, or as large
 * in a shorter window (30 ids in 2 minutes says more than the same 30 in half an hour), or as short and later.
 */
function better(d: FindingDraft, held: Held): boolean {
  const rank = severityRank(d.severity) - severityRank(held.finding.severity);
  if (rank !== 0) return rank > 0;
  if ((d.magnitude ?? 0) !== held.magnitude) return (d.magnitude ?? 0) > held.magnitude;
  const judged = d.judgedMs ?? d.windowEnd - d.windowStart;
  if (judged !== held.judgedMs) return judged < held.judgedMs;
  return d.windowEnd >= held.finding.windowEnd;
}

/** The findings to publish of `byId`, given the claims in the store and those of the batch's earlier slices. */
export async function unpublished(store: StateStore, byId: ReadonlyMap<string, Identified>, publishedBefore: ReadonlyMap<string, string> | undefined): Promise<Published[]> {
  if (byId.size === 0) return [];
  const already = await store.claimed([...byId.keys()]);
  const out: Published[] = [];
  for (const { finding, revision } of byId.values()) {
    const before = higherClaim(already.get(finding.id), publishedBefore?.get(finding.id));
    const published = toPublish(finding, revision, before);
    if (published) out.push({ finding: published, claim: claimFor(finding, revision, before) });
  }
  return out;
}

/** A finding to publish and the claim its window records once it is (what was claimed before, and this). */
export interface Published {
  finding: Finding;
  claim: string;
}
