import { defaultDetectorsConfig } from '@vigil/detectors';

/**
 * Key families that have no TTL by design: written by people, not traffic
 * (the known-threats document, suppressions), or indexes with a cap (the
 * notifier's recent incidents, its open incidents).
 */
export const UNEXPIRING: ReadonlySet<string> = new Set(['threats', 'suppressions', 'notifier:recent', 'notifier:open']);

/**
 * Families whose keys the detector caps in entries, with the cap the soak's detector runs with (its
 * defaults): subject checkpoints, a hash per api and hour written through put-capped.lua.
 */
export const ENTRY_CAPPED: Readonly<Record<string, number>> = { sc: defaultDetectorsConfig.maxSubjectsPerApiHour };

/** The family of a soak key: `prefix:{tag}:kind:…` → kind (claims, notifier and outbox keys by their tag). */
export function familyOf(key: string, prefix: string): string {
  const rest = key.slice(prefix.length + 1);
  const m = /^\{([^}]*)\}(?::([^:]*))?/.exec(rest);
  if (!m) return 'other';
  const tag = m[1]!;
  if (tag.startsWith('claims-')) return 'claims';
  if (tag === 'threats' || tag === 'suppressions') return tag;
  if (/^(notifier|outbox)/.test(tag)) return `${tag}:${m[2] ?? ''}`;
  return m[2] ?? 'other';
}
