import { z } from 'zod';
import type { Severity } from '@vigil/contracts';
import { clamp, round } from '../../stats.js';
import { iso } from '../../units.js';
import { defineDetector, type FindingDraft, type SubjectWindow } from '../../types.js';
import { OWASP, clip, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.bot` config section. */
export const botConfig = z
  .object({
    minRequests: positiveInt.default(30),
    /** Coefficient of variation of inter-arrival gaps below which a client is metronome-regular. */
    maxGapCv: ratio.max(1).default(0.15),
    /** Think time: mean gap below which calls are machine-fast. */
    maxMeanGapMs: z.number().min(0).default(1_000),
    minDistinctRoutes: positiveInt.default(15),
    /** Without regular timing, an automation user agent must carry at least this share of the calls. */
    minAutomationShare: ratio.max(1).default(0.5),
    /** Over an hour (slow scraping): the calls that make a subject worth judging; the other traits as in 5 minutes. */
    longMinRequests: positiveInt.default(120),
    severity: severityOverride,
  })
  .strict()
  .default({});

/**
 * Machine-like clients, over the subject's windows that slide with its calls:
 * 5 minutes (at least minRequests calls) and an hour (at least
 * longMinRequests: a slow scraper).
 *
 * Fires when the subject made enough calls and either
 *  - its inter-arrival gaps are metronome-regular (cv <= maxGapCv) and one more
 *    machine trait speaks: an automation user agent, no think time
 *    (mean gap <= maxMeanGapMs), or breadth (distinct routes >= minDistinctRoutes)
 *    → medium;
 *  - or, irregular, an automation user agent carries at least minAutomationShare
 *    of its calls and it touched at least minDistinctRoutes routes (a crawler)
 *    → low: only the user agent and breadth speak.
 */
export const bot = defineDetector({
  name: 'bot',
  configSchema: botConfig,
  detect(ctx, cfg) {
    const out: FindingDraft[] = [];
    for (const s of ctx.subjects) {
      const minRequests = s.horizon === 'short' ? cfg.minRequests : cfg.longMinRequests;
      if (s.n < minRequests) continue;
      const v = verdict(s, cfg, minRequests);
      if (v) out.push(draft(s, cfg, v, ctx.now));
    }
    return out;
  },
});

type BotConfig = z.output<typeof botConfig>;

interface Verdict {
  regular: boolean;
  fast: boolean;
  broad: boolean;
  automationShare: number;
}

function verdict(s: SubjectWindow, cfg: BotConfig, minRequests: number): Verdict | undefined {
  // A coefficient of variation means something only over enough measured gaps (gaps over a minute are not measured).
  const measured = s.gaps.n >= Math.max(2, Math.ceil(minRequests / 2));
  const regular = measured && s.gaps.cv !== undefined && s.gaps.cv <= cfg.maxGapCv;
  const fast = measured && s.gaps.meanMs <= cfg.maxMeanGapMs;
  const broad = s.distinctRoutes >= cfg.minDistinctRoutes;
  const automationShare = s.n > 0 ? Math.min(1, s.automationAgentN / s.n) : 0;
  const v = { regular, fast, broad, automationShare };
  if (regular && (s.automationAgentN > 0 || fast || broad)) return v;
  if (broad && automationShare >= cfg.minAutomationShare) return v;
  return undefined;
}

function draft(s: SubjectWindow, cfg: BotConfig, v: Verdict, now: number): FindingDraft {
  const computed: Severity = v.regular ? 'medium' : 'low';
  const regularity = v.regular && s.gaps.cv !== undefined ? 1 - s.gaps.cv / Math.max(1e-9, cfg.maxGapCv) : 0;
  const score = clamp(0.35 * regularity + 0.3 * v.automationShare + 0.15 * (v.fast ? 1 : 0) + 0.2 * (v.broad ? 1 : 0), 0, 1);
  const confidence = round(0.5 + 0.49 * score);

  const who = clip(s.subject.value, 60);
  const span = s.horizon === 'short' ? '5 min' : '1 hour';
  const meanS = s.gaps.meanMs / 1000;
  const traits: string[] = [];
  if (v.regular) traits.push(`metronome-regular gaps (cv ${round(s.gaps.cv ?? 0, 2)}, mean ${fmtSeconds(meanS)})`);
  else traits.push(`irregular gaps (cv ${s.gaps.cv === undefined ? 'n/a' : round(s.gaps.cv, 2)})`);
  if (s.automationAgentN > 0) traits.push(`automation user agent on ${Math.round(v.automationShare * 100)}% of calls`);
  if (v.fast) traits.push('no think time');
  if (v.broad) traits.push(`${s.distinctRoutes} distinct routes`);

  const evidence: Record<string, number | string> = {
    requests: s.n,
    gapsMeasured: s.gaps.n,
    meanGapMs: Math.round(s.gaps.meanMs),
    distinctRoutes: s.distinctRoutes,
    automationAgentShare: round(v.automationShare),
    minRequests: s.horizon === 'short' ? cfg.minRequests : cfg.longMinRequests,
    windowMinutes: (s.windowEnd - s.windowStart) / 60_000,
    maxGapCv: cfg.maxGapCv,
    userAgents: s.userAgents.join(' | ').slice(0, 1024),
    samplePaths: sample(s.samplePaths, 10).join(', ').slice(0, 1024),
  };
  if (s.gaps.cv !== undefined) evidence.gapCv = round(s.gaps.cv);

  return {
    detector: 'bot',
    severity: severityOr(cfg.severity, computed),
    confidence,
    api: s.api,
    subject: s.subject,
    windowStart: s.windowStart,
    windowEnd: s.windowEnd,
    title: clip(`${who} behaves like a bot: ${s.n} calls in ${span}, ${traits[0]}`, 200),
    description:
      `${s.subject.kind} ${who} made ${s.n} calls to ${s.api} in the ${span === '5 min' ? '5-minute' : 'hour-long'} window from ${iso(s.windowStart)} (counted up to ${iso(Math.min(now, s.windowEnd))}) ` +
      `with ${traits.join(', ')}. People pause irregularly between calls and stay on a few routes; scripts keep time and sweep. ` +
      `User agents: ${s.userAgents.length ? clip(s.userAgents.join(', '), 300) : 'none'}. ` +
      `Check whether ${who} is a known integration; if not, consider rate limits or bot protection on the flows it drives.`,
    evidence,
    owasp: OWASP.BUSINESS_FLOWS,
    eventIds: sample(s.sampleEventIds),
    episode: s.active,
    magnitude: s.n,
    usual: { ips: s.ips },
  };
}


function fmtSeconds(s: number): string {
  return s >= 10 ? `${Math.round(s)} s` : `${round(s, 2)} s`;
}

