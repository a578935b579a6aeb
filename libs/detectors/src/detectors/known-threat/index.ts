import { z } from 'zod';
import type { Severity, Subject } from '@vigil/contracts';
import type { ThreatMatch } from '../../threats.js';
import { defineDetector, type EnrichedEvent, type FindingDraft } from '../../types.js';
import { OWASP, alignedWindow, clip, formatMinutes, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.known_threat` config section. */
export const knownThreatConfig = z
  .object({
    windowMs: z.number().int().min(1000).default(600_000),
    severity: severityOverride,
  })
  .strict()
  .default({});

/** How strong a match is: listed addresses and leaked keys are a known breach, agent patterns a strong hint. */
const STRENGTH: Record<ThreatMatch['kind'], { rank: number; severity: Severity; confidence: number }> = {
  ip: { rank: 3, severity: 'critical', confidence: 0.95 },
  key_id: { rank: 3, severity: 'critical', confidence: 0.95 },
  cidr: { rank: 2, severity: 'critical', confidence: 0.9 },
  user_agent: { rank: 1, severity: 'high', confidence: 0.7 },
};

const KIND_LABEL: Record<Subject['kind'], string> = { ip: 'IP', principal: 'principal', client: 'client', route: 'route', api: 'api' };

interface Group {
  api: string;
  subject: Subject;
  windowStart: number;
  windowEnd: number;
  match: ThreatMatch;
  kinds: Set<string>;
  requests: number;
  ok: number;
  firstAt: number;
  lastAt: number;
  eventIds: string[];
  paths: Set<string>;
  routes: Set<string>;
  ips: Set<string>;
}

/** Who the finding is about: the address for address matches, the key's holder for key matches. */
function subjectOf(e: EnrichedEvent, m: ThreatMatch): Subject {
  switch (m.kind) {
    case 'ip':
    case 'cidr':
      return { kind: 'ip', value: e.clientIp! };
    case 'key_id':
      return m.value === e.principal ? { kind: 'principal', value: m.value } : { kind: 'client', value: m.value };
    case 'user_agent':
      if (e.clientIp) return { kind: 'ip', value: e.clientIp };
      if (e.principal) return { kind: 'principal', value: e.principal };
      if (e.clientId) return { kind: 'client', value: e.clientId };
      return { kind: 'api', value: e.api };
  }
}


/**
 * known_threat: events matching the known-threats store (listed IPs and CIDR
 * blocks, user-agent patterns, leaked key ids as principal or client id).
 * One finding per matched subject, api and aligned window (config windowMs),
 * however many events match in it.
 */
export const knownThreat = defineDetector({
  name: 'known_threat',
  configSchema: knownThreatConfig,
  detect(ctx, cfg) {
    if (ctx.threats.size === 0) return [];
    const groups = new Map<string, Group>();
    for (const e of ctx.events) {
      const m = ctx.threats.match(e);
      if (!m) continue;
      const subject = subjectOf(e, m);
      const { windowStart, windowEnd } = alignedWindow(e.timestamp, cfg.windowMs);
      const key = [e.api, subject.kind, subject.value, windowStart].join('\u0000');
      let g = groups.get(key);
      if (!g) {
        g = { api: e.api, subject, windowStart, windowEnd, match: m, kinds: new Set(), requests: 0, ok: 0, firstAt: e.timestamp, lastAt: e.timestamp, eventIds: [], paths: new Set(), routes: new Set(), ips: new Set() };
        groups.set(key, g);
      } else if (STRENGTH[m.kind].rank > STRENGTH[g.match.kind].rank) g.match = m;
      g.kinds.add(m.kind);
      g.requests++;
      if (e.status >= 200 && e.status < 300) g.ok++;
      g.firstAt = Math.min(g.firstAt, e.timestamp);
      g.lastAt = Math.max(g.lastAt, e.timestamp);
      if (g.eventIds.length < 20) g.eventIds.push(e.id);
      if (g.paths.size < 10) g.paths.add(clip(e.path, 200));
      if (g.routes.size < 50) g.routes.add(e.route);
      if (e.clientIp && g.ips.size < 10) g.ips.add(e.clientIp);
    }

    const out: FindingDraft[] = [];
    for (const g of groups.values()) {
      const m = g.match;
      const strength = STRENGTH[m.kind];
      const who = g.subject.kind === 'api' ? 'a caller' : `${KIND_LABEL[g.subject.kind]} ${g.subject.value}`;
      const listed =
        m.kind === 'key_id' ? `the leaked key id ${m.value}` : m.kind === 'cidr' ? `the listed block ${m.value}` : m.kind === 'ip' ? 'the listed address' : `the listed user-agent pattern /${m.value}/`;
      const span = formatMinutes(g.windowEnd - g.windowStart);
      const title = clip(`Known threat: ${clip(who, 80)} (${clip(m.reason, 40)}) made ${g.requests} ${g.requests === 1 ? 'call' : 'calls'} to ${g.api}`, 200);
      const advice =
        m.kind === 'key_id'
          ? 'Revoke or rotate the key now, then review everything it did since it leaked.'
          : m.kind === 'user_agent'
            ? 'Check what the client did and block it at the edge if it is not a tool of ours.'
            : 'Block the address at the edge and review what it read or changed.';
      const description =
        `${who[0]!.toUpperCase()}${who.slice(1)} matched ${listed} in the known-threats store (${m.reason}) ` +
        `and made ${g.requests} ${g.requests === 1 ? 'call' : 'calls'} to ${g.api} in this batch (${g.ok} answered 2xx) ` +
        `${g.firstAt === g.lastAt ? `at ${new Date(g.firstAt).toISOString()}` : `between ${new Date(g.firstAt).toISOString()} and ${new Date(g.lastAt).toISOString()}`}, across ${g.routes.size} ${g.routes.size === 1 ? 'route' : 'routes'}. ` +
        `${advice} Further calls from it in the same ${span} window are not reported again.`;

      const evidence: Record<string, number | string> = {
        matchKind: m.kind,
        matchedValue: clip(m.value, 1024),
        reason: clip(m.reason, 1024),
        requests: g.requests,
        okResponses: g.ok,
        distinctRoutes: g.routes.size,
        samplePaths: clip([...g.paths].join(', '), 1024),
      };
      if (g.kinds.size > 1) evidence.matchKinds = [...g.kinds].sort().join(', ');
      if (g.ips.size > 0 && g.subject.kind !== 'ip') evidence.sourceIps = [...g.ips].join(', ');

      out.push({
        detector: 'known_threat',
        severity: severityOr(cfg.severity, strength.severity),
        confidence: strength.confidence,
        api: g.api,
        subject: g.subject,
        windowStart: g.windowStart,
        windowEnd: g.windowEnd,
        title,
        description: clip(description, 4000),
        evidence,
        ...(m.kind === 'key_id' ? { owasp: OWASP.BROKEN_AUTH } : {}),
        eventIds: sample(g.eventIds, 20),
      });
    }
    return out;
  },
});
