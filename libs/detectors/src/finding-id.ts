import { createHash } from 'node:crypto';
import type { FindingDraft } from './types.js';

/**
 * An address's findings are anchored on the clock bucket of this length that holds their start. On login routes
 * the acting subject is the address while its calls name many principals, and the topic is keyed by principal:
 * its calls come from many partitions, and which of its windows crosses first depends on the order in which they
 * are delivered (and on which replica holds which partition). Its episodes are an hour apart at least, so a bucket
 * holds one of them, and it gets the same id whichever replica or restart saw it first.
 */
export const ADDRESS_ANCHOR_MS = 5 * 60_000;

/**
 * Deterministic finding ids: the same detector, subject, place and window
 * always give the same id, so replays and restarts do not duplicate findings
 * and a sustained anomaly yields one finding per window.
 */
export function findingId(d: Pick<FindingDraft, 'detector' | 'subject' | 'api' | 'route' | 'windowStart'>): string {
  const anchor = d.subject.kind === 'ip' ? Math.floor(d.windowStart / ADDRESS_ANCHOR_MS) * ADDRESS_ANCHOR_MS : d.windowStart;
  const h = createHash('sha256')
    .update([d.detector, d.subject.kind, d.subject.value, d.api, d.route ?? '', String(anchor)].join('\u0000'))
    .digest('base64url')
    .slice(0, 22);
  return `${d.detector}-${h}`;
}
