import { createHash } from 'node:crypto';
import type { FindingDraft } from './types.js';

/**
 * Deterministic finding ids: the same detector, subject, place and window
 * always give the same id, so replays and restarts do not duplicate findings
 * and a sustained anomaly yields one finding per window.
 */
export function findingId(d: Pick<FindingDraft, 'detector' | 'subject' | 'api' | 'route' | 'windowStart'>): string {
  const h = createHash('sha256')
    .update([d.detector, d.subject.kind, d.subject.value, d.api, d.route ?? '', String(d.windowStart)].join('\u0000'))
    .digest('base64url')
    .slice(0, 22);
  return `${d.detector}-${h}`;
}
