import type { Finding } from '@vigil/contracts';
import type { StateStore } from '@vigil/state';
import { findingId } from '../../finding-id.js';
import { higherClaim, toPublish } from '../../publication.js';
import type { FindingDraft } from '../../types.js';

/**
 * Stage 7, identify: each draft gets its deterministic id (the first of an id
 * in a batch wins) and the batch's event time; then what the store says was
 * published already (and what earlier slices of the batch found) decides
 * what is published: new windows, windows raised above their published
 * severity, nothing for the rest (they are counted as duplicates).
 */
export function identify(drafts: readonly FindingDraft[], now: number): Map<string, Finding> {
  const byId = new Map<string, Finding>();
  for (const d of drafts) {
    const id = findingId(d);
    if (byId.has(id)) continue;
    const finding: Finding = { id, ...d, detectedAt: now, eventIds: d.eventIds.slice(0, 50) };
    if (finding.route === undefined) delete finding.route;
    if (finding.owasp === undefined) delete finding.owasp;
    byId.set(id, finding);
  }
  return byId;
}

/** The findings to publish of `byId`, given the claims in the store and those of the batch's earlier slices. */
export async function unpublished(store: StateStore, byId: ReadonlyMap<string, Finding>, publishedBefore: ReadonlyMap<string, string> | undefined): Promise<Finding[]> {
  if (byId.size === 0) return [];
  const already = await store.claimed([...byId.keys()]);
  const findings: Finding[] = [];
  for (const f of byId.values()) {
    const out = toPublish(f, higherClaim(already.get(f.id), publishedBefore?.get(f.id)));
    if (out) findings.push(out);
  }
  return findings;
}
