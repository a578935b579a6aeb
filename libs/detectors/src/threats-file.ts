import { checkThreatEntry, type ThreatEntry } from './threats.js';

/**
 * Known-threats files (YAML or JSON, parsed by the caller), in either form:
 *
 *   entries: [{ kind: ip | cidr | user_agent | key_id, value, reason? }]
 *
 * or the shorthand
 *
 *   ips: [203.0.113.7, { value: 198.51.100.9, reason: scanner }]
 *   cidrs: [192.0.2.0/24]
 *   userAgents: ['sqlmap', 'masscan']     # case-insensitive patterns
 *   keyIds: [key_live_leaked_1]
 *
 * Returns the entries, or throws listing every bad one by its position.
 */
export class ThreatsFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid known-threats file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ThreatsFileError';
  }
}

const shorthand = { ips: 'ip', cidrs: 'cidr', userAgents: 'user_agent', keyIds: 'key_id' } as const;
const kinds = new Set(['ip', 'cidr', 'user_agent', 'key_id']);

export function parseThreatsDocument(doc: unknown): ThreatEntry[] {
  const problems: string[] = [];
  const entries: ThreatEntry[] = [];
  if (typeof doc !== 'object' || doc === null) throw new ThreatsFileError(['the file must hold a mapping (entries:, ips:, cidrs:, userAgents:, keyIds:) or a list of entries']);
  const push = (where: string, kind: string, raw: unknown) => {
    const item = typeof raw === 'string' ? { value: raw } : (raw as { value?: unknown; reason?: unknown; kind?: unknown });
    if (typeof item !== 'object' || item === null || typeof item.value !== 'string') {
      problems.push(`${where}: expected a string or { value, reason }`);
      return;
    }
    if (!kinds.has(kind)) {
      problems.push(`${where}.kind: expected one of ip, cidr, user_agent, key_id`);
      return;
    }
    const entry: ThreatEntry = { kind: kind as ThreatEntry['kind'], value: item.value.trim() };
    if (typeof item.reason === 'string') entry.reason = item.reason.slice(0, 200);
    const problem = checkThreatEntry(entry);
    if (problem) problems.push(`${where}: ${problem}`);
    else entries.push(entry);
  };
  const list = Array.isArray(doc) ? doc : (doc as Record<string, unknown>).entries;
  if (list !== undefined) {
    if (!Array.isArray(list)) problems.push('entries: expected a list');
    else list.forEach((raw, i) => push(`entries[${i}]`, String((raw as { kind?: unknown })?.kind ?? ''), raw));
  }
  if (!Array.isArray(doc)) {
    for (const [field, kind] of Object.entries(shorthand)) {
      const values = (doc as Record<string, unknown>)[field];
      if (values === undefined) continue;
      if (!Array.isArray(values)) problems.push(`${field}: expected a list`);
      else values.forEach((raw, i) => push(`${field}[${i}]`, kind, raw));
    }
    for (const key of Object.keys(doc)) if (key !== 'entries' && !(key in shorthand)) problems.push(`${key}: unknown key (expected entries, ips, cidrs, userAgents or keyIds)`);
  }
  if (problems.length > 0) throw new ThreatsFileError(problems);
  return entries;
}
