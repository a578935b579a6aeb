import type { DetectorsConfig } from '../../config.js';
import type { AnyDetector, DetectContext, FindingDraft } from '../../types.js';

/**
 * Stage 6, detect: every enabled detector over the context, in the order of
 * detectors/index.ts, each with its own config section and the view it
 * derives for itself. Pure: findings drafts out, nothing written.
 */
export function detect(detectors: readonly AnyDetector[], config: DetectorsConfig, ctx: DetectContext): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  for (const detector of detectors) {
    const own = (config as Record<string, unknown>)[detector.name];
    drafts.push(...detector.detect(ctx, own, detector.view?.(ctx, own)));
  }
  return drafts;
}
