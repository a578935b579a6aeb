import { severityRank, type Severity } from '@vigil/contracts';
import { BoundedMap } from '../../lru.js';
import { EPISODE_GAP_MS, type OpenEpisode, type SubjectState } from '../../subject-state.js';
import { boundedId } from '../../subject/trail.js';
import { defaultUsualSettings, UsualHistory, type UsualVerdict } from '../../subject/usual.js';
import type { FindingDraft } from '../../types.js';
import { MINUTE } from '../../units.js';
import type { BatchRecord } from '../batch.js';

/** What a verdict on an incident says about its subject's episodes: never learn them, or learn them at once. */
export type Verdict = 'true_positive' | 'false_positive';
export type VerdictLookup = (d: Pick<FindingDraft, 'detector' | 'api' | 'subject' | 'route'>) => Verdict | undefined;

/** Windows that fire within this of an episode's end extend it. */
const JOIN_GAP_MS = 15 * MINUTE;

/** Episodes of findings not about a subject that acts (routes, apis), held by this process. */
export class SharedEpisodes {
  readonly byKey = new BoundedMap<string, OpenEpisode>(10_000);
  /** Their business-as-usual (an api's spike at :00 every hour), held by this process. */
  readonly usual = new BoundedMap<string, UsualHistory>(10_000);

  usualOf(key: string): UsualHistory {
    let h = this.usual.get(key);
    if (!h) this.usual.set(key, (h = new UsualHistory()));
    return h;
  }
}

/**
 * Stage 6b, episodes and business-as-usual. A detector that judges windows
 * that slide gives its drafts an `episode` span: while one thing it finds lasts,
 * its windows overlap, and they are one episode: one finding, whose window
 * starts where the episode started (its first call in the first window that
 * fired; its id with it) and ends where its latest window's activity ends. A finding about a
 * subject's own behaviour (`usual` in the draft) is then judged against
 * the subject's history (subject/usual.ts): an episode that repeats one the
 * subject has shown before is reported at `low` at most, with what made it
 * usual in its evidence; the subject learns it, slowly.
 */
export function settleEpisodes(drafts: readonly FindingDraft[], batch: BatchRecord, shared: SharedEpisodes, verdictOf: VerdictLookup | undefined): SettledDrafts {
  // Most batches settle no episode (no draft has one): their actors' states need no index then.
  const states = drafts.some((d) => d.episode) ? actorStates(batch) : new Map<string, SubjectState>();
  const changed = new Map<string, SubjectState>();
  // The most severe first: what a subject's other findings of the moment are judged alongside.
  const order = drafts.map((_, i) => i).sort((a, b) => severityRank(drafts[b]!.severity) - severityRank(drafts[a]!.severity) || a - b);
  const settled = new Array<FindingDraft>(drafts.length);
  for (const i of order) settled[i] = settle(drafts[i]!, states, changed, shared, verdictOf);
  return { drafts: settled, changed };
}

/** The drafts as their episodes settle them, and the subjects whose episodes or business-as-usual changed (their checkpoints are to be written). */
export interface SettledDrafts {
  drafts: FindingDraft[];
  /** By subject id (`api\u0000kind:value`). */
  changed: Map<string, SubjectState>;
}

function settle(d: FindingDraft, states: ReadonlyMap<string, SubjectState>, changed: Map<string, SubjectState>, shared: SharedEpisodes, verdictOf: VerdictLookup | undefined): FindingDraft {
  if (!d.episode) return d;
  const key = boundedId(d.aspect === undefined ? `${d.detector}|${d.route ?? ''}` : `${d.detector}|${d.route ?? ''}|${d.aspect}`);
  const id = `${d.api}\u0000${d.subject.kind}:${d.subject.value}`;
  const state = states.get(id);
  if (state) changed.set(id, state);
  const sharedKey = `${d.api}\u0000${d.subject.kind}:${d.subject.value}\u0000${key}`;
  const open = state ? state.episodes.get(key) : shared.byKey.get(sharedKey);
  const magnitude = d.magnitude ?? 0;
  const span = d.episode;
  const episode: OpenEpisode = open && span.from <= open.lastEnd + joinGap(d) ? open : { start: span.from, lastEnd: span.to, magnitude };
  episode.lastEnd = Math.max(episode.lastEnd, span.to);
  episode.magnitude = Math.max(episode.magnitude, magnitude);
  if (state) state.setEpisode(key, episode);
  else shared.byKey.set(sharedKey, episode);
  let out: FindingDraft = { ...d, windowStart: episode.start, windowEnd: episode.lastEnd, judgedMs: d.windowEnd - d.windowStart };
  if (d.usual) out = judgeUsual(out, state ? state.usualOf(key) : shared.usualOf(sharedKey), episode, verdictOf?.(d));
  if (state) out = alongside(out, key, state);
  if (!episode.severity || severityRank(out.severity) > severityRank(episode.severity)) episode.severity = out.severity;
  return out;
}

/**
 * One thing a subject does, one alert: a finding at medium or above about a subject that another detector found
 * at the same time (an overlapping episode) is low when that episode is usual for it (its job, seen by another
 * detector; unless this finding departs from its own usual), or was reported at least as severe (the same
 * behaviour, another view of it). It says which.
 */
function alongside(d: FindingDraft, key: string, state: SubjectState): FindingDraft {
  if (severityRank(d.severity) < severityRank('medium')) return d;
  for (const [other, e] of state.episodes) {
    const detector = other.slice(0, other.indexOf('|'));
    if (other === key || detector === d.detector || e.lastEnd < d.windowStart - JOIN_GAP_MS || e.start > d.windowEnd) continue;
    if (e.verdict?.usual && d.evidence.changeFromUsual === undefined) return demoted(d, { usual: `alongside the ${detector} episode that is usual for this subject` });
    if (e.severity && severityRank(e.severity) >= severityRank(d.severity)) return demoted(d, { alongside: detector });
  }
  return d;
}

function demoted(d: FindingDraft, why: Record<string, string>): FindingDraft {
  const reason = why.usual ?? `alongside a ${why.alongside} finding about the same subject at the same time, at least as severe`;
  return { ...d, severity: 'low', evidence: { ...d.evidence, ...why, demotedFrom: d.severity }, description: `${d.description} Reported at low: ${reason}.`.slice(0, 4000) };
}

/**
 * How far apart two windows of one episode may be: a quarter of an hour (something that dips under a threshold
 * and comes back is the same thing, not a new one), or a slow horizon's window (an hour) when longer.
 */
function joinGap(d: FindingDraft): number {
  return Math.min(EPISODE_GAP_MS, Math.max(JOIN_GAP_MS, d.windowEnd - d.windowStart));
}

/** The states of the batch's actors by api and subject. */
function actorStates(batch: BatchRecord): Map<string, SubjectState> {
  const states = new Map<string, SubjectState>();
  for (const a of batch.distinct) states.set(`${a.identity.api}\u0000${a.identity.key}`, a.state!);
  return states;
}

/** The episode against its subject's history: usual ones are demoted to `low` and say why; every one is remembered. */
function judgeUsual(d: FindingDraft, history: UsualHistory, episode: OpenEpisode, verdict: Verdict | undefined): FindingDraft {
  if (verdict === 'true_positive') history.neverLearn = true;
  const { ips, ...traits } = d.usual!;
  const past = { start: episode.start, magnitude: episode.magnitude, ips: ips.slice(-4), ...traits };
  // Judged again as it grows (a job that turns into a dump stops being usual); once it departed, it stays news.
  const judged = history.judge(past, defaultUsualSettings);
  episode.verdict = episode.verdict && !episode.verdict.usual ? episode.verdict : judged;
  history.remember(past, defaultUsualSettings);
  if (verdict === 'false_positive') history.teach(past);
  const v = episode.verdict;
  const evidence = { ...d.evidence, recurrences: v.recurrences, ...(v.change ? { changeFromUsual: v.change } : {}) };
  if (!v.usual) return { ...d, evidence };
  const severity: Severity = severityRank(d.severity) > severityRank('low') ? 'low' : d.severity;
  const text = usualText(v, episode);
  return { ...d, severity, evidence: { ...evidence, usual: text, demotedFrom: d.severity }, description: `${d.description} Usual for this subject: ${text}.`.slice(0, 4000) };
}

/** "~150 at :00 every hour, seen 6 times before". */
function usualText(v: UsualVerdict, episode: OpenEpisode): string {
  const at = new Date(episode.start);
  const phase = v.rhythm === 'daily' ? `at ${at.toISOString().slice(11, 16)} UTC every day` : v.rhythm === 'hourly' ? `at :${String(at.getUTCMinutes()).padStart(2, '0')} every hour` : 'as taught by a false-positive verdict';
  return `~${Math.round(v.typical ?? episode.magnitude)} ${phase}, seen ${v.recurrences} time${v.recurrences === 1 ? '' : 's'} before`;
}

