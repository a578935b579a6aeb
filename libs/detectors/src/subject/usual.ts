import { median } from '../stats.js';
import { DAY, HOUR, MINUTE } from '../units.js';

/**
 * A subject's business-as-usual for one detector (and route): the episodes
 * it has shown before, and the magnitude it has learned to expect of them.
 * A new episode that repeats one of its past ones (the same phase of the
 * hour or of the day, from the addresses it used then, with no jump in
 * denials nor in objects new to it) and stays within the learned magnitude
 * is usual: it is still
 * reported, at `low` at most, with what made it usual. Learning is slow on
 * purpose: the learned magnitude may grow by `growthPerDay` a day, so a
 * subject that grows its activity step by step cannot make a large one
 * usual within a day; a `true_positive` verdict stops learning for good, a
 * `false_positive` verdict teaches the episode at once.
 */
export interface PastEpisode {
  start: number;
  magnitude: number;
  /** The source addresses it came from (a few). */
  ips: string[];
  /** Share of its calls denied (401/403/404), when the detector tells one. */
  deniedShare?: number;
  /** Share of the objects it read that were new to the subject, when the detector tells one. */
  newShare?: number;
}

export interface UsualSettings {
  /** Past occurrences of the same pattern that make a new one usual. */
  usualAfter: number;
  /** How far the learned magnitude may grow in a day (×). */
  growthPerDay: number;
  /** How much larger than the learned magnitude an episode may be and still be usual (×). */
  tolerance: number;
  /** Past episodes remembered, and for how long. */
  maxEpisodes: number;
  memoryMs: number;
  /** A rise of the denied share, or of the share of objects new to the subject, beyond what its past episodes showed by this much is a change. */
  shareJump: number;
}

export const defaultUsualSettings: UsualSettings = Object.freeze({ usualAfter: 1, growthPerDay: 2, tolerance: 1.5, maxEpisodes: 24, memoryMs: 3 * DAY, shareJump: 0.3 });

/** What a new episode is, judged against the subject's history. */
export interface UsualVerdict {
  usual: boolean;
  /** Past episodes it repeats (same phase, sources, denials, within the learned magnitude). */
  recurrences: number;
  /** The magnitude learned for it, grown by the time since (undefined before the first). */
  learned: number | undefined;
  /** What the episodes it repeats usually reach (their median), for people to read. */
  typical: number | undefined;
  /** How the repeats are spaced: `hourly` (the same minute of the hour), `daily` (the same time of day). */
  rhythm: 'hourly' | 'daily' | undefined;
  /** Why it is not usual although it repeats (a new address, more denials, too large), or undefined. */
  change: string | undefined;
}

export class UsualHistory {
  episodes: PastEpisode[] = [];
  /** The magnitude learned, at `learnedAt`. */
  learned: number | undefined;
  learnedAt = 0;
  /** What was learned before the latest episode started: its growth while it lasts is capped from there, not from itself. */
  before: { start: number; learned: number | undefined; learnedAt: number } | undefined;
  /** A `true_positive` verdict: never learn this. */
  neverLearn = false;
  /** A `false_positive` verdict: usual without waiting for repeats. */
  taught = false;

  /**
   * The learned magnitude an episode starting at `t` is judged against: what was learned before it began (its own
   * growth does not count), grown by the time since, at most `growthPerDay` a day.
   */
  allowed(t: number, s: UsualSettings): number | undefined {
    const base = this.before?.start === t ? this.before : { learned: this.learned, learnedAt: this.learnedAt };
    if (base.learned === undefined) return undefined;
    return base.learned * s.growthPerDay ** (Math.max(0, t - base.learnedAt) / DAY);
  }

  /** The episode against the past ones it repeats: usual, or why not. Judged again as it grows (a job that becomes a dump stops being usual). */
  judge(e: PastEpisode, s: UsualSettings): UsualVerdict {
    const prior = this.episodes.filter((p) => p.start < e.start - 10 * MINUTE && p.start >= e.start - s.memoryMs);
    const hourly = prior.filter((p) => phaseDistance(p.start, e.start, HOUR) <= 5 * MINUTE);
    const daily = prior.filter((p) => phaseDistance(p.start, e.start, DAY) <= 20 * MINUTE);
    // A repeat a day apart is also at the same minute of the hour: daily, unless more repeats are hourly.
    const same = hourly.length > daily.length ? hourly : daily;
    const rhythm = same.length === 0 ? undefined : same === hourly ? 'hourly' : 'daily';
    // A taught episode is compared with all it has shown, whatever its phase.
    const basis = same.length > 0 ? same : this.taught ? prior : [];
    const learned = this.allowed(e.start, s);
    const change = basis.length > 0 ? changeFrom(e, basis, s) ?? sizeChange(e, learned, s) : sizeChange(e, learned, s);
    const usual = !this.neverLearn && change === undefined && learned !== undefined && (same.length >= s.usualAfter || this.taught);
    const typical = basis.length > 0 ? median(basis.map((p) => p.magnitude)) : learned;
    return { usual, recurrences: same.length, learned, typical, rhythm, change };
  }

  /** Remembers an episode (or its growth, same start) and learns its magnitude, slowly. */
  remember(e: PastEpisode, s: UsualSettings): void {
    const existing = this.episodes.find((p) => p.start === e.start);
    if (existing) {
      existing.magnitude = Math.max(existing.magnitude, e.magnitude);
      for (const ip of e.ips) if (!existing.ips.includes(ip) && existing.ips.length < 4) existing.ips.push(ip);
    } else {
      this.episodes.push({ ...e, ips: e.ips.slice(0, 4) });
      this.episodes = this.episodes.filter((p) => p.start >= e.start - s.memoryMs).slice(-s.maxEpisodes);
    }
    if (this.neverLearn) return;
    if (this.before?.start !== e.start) this.before = { start: e.start, learned: this.learned, learnedAt: this.learnedAt };
    const magnitude = Math.max(e.magnitude, existing?.magnitude ?? 0);
    const base = this.before;
    // Capped from what was learned before this episode began: its own growth is not growth of the usual, and a first episode is learned whole.
    const allowed = base.learned === undefined ? magnitude : base.learned * s.growthPerDay ** (Math.max(0, e.start - base.learnedAt) / DAY);
    this.learned = Math.max(base.learned ?? 0, Math.min(magnitude, allowed));
    this.learnedAt = e.start;
  }

  /** A `false_positive` verdict: the episode is usual from now on. */
  teach(e: PastEpisode): void {
    this.learned = Math.max(this.learned ?? 0, e.magnitude);
    this.learnedAt = e.start;
    this.taught = true;
  }

  toRow(): unknown[] {
    const before = this.before ? [this.before.start, this.before.learned ?? null, this.before.learnedAt] : null;
    return [this.episodes.map((p) => [p.start, p.magnitude, p.ips, p.deniedShare ?? null, p.newShare ?? null]), this.learned ?? null, this.learnedAt, this.neverLearn ? 1 : 0, this.taught ? 1 : 0, before];
  }

  static fromRow(row: unknown[]): UsualHistory {
    const [episodes, learned, learnedAt, neverLearn, taught, before] = row as [[number, number, string[], number | null, (number | null)?][], number | null, number, number, number, [number, number | null, number] | null | undefined];
    const h = new UsualHistory();
    h.episodes = (episodes ?? []).map(([start, magnitude, ips, denied, fresh]) => ({
      start,
      magnitude,
      ips,
      ...(denied === null ? {} : { deniedShare: denied }),
      ...(fresh === null || fresh === undefined ? {} : { newShare: fresh }),
    }));
    h.learned = learned ?? undefined;
    h.learnedAt = learnedAt ?? 0;
    h.neverLearn = neverLearn === 1;
    h.taught = taught === 1;
    if (before) h.before = { start: before[0], learned: before[1] ?? undefined, learnedAt: before[2] };
    return h;
  }
}

/** How the episode departs from the past ones it repeats: a new source address, more denials, objects it never read. */
function changeFrom(e: PastEpisode, basis: readonly PastEpisode[], s: UsualSettings): string | undefined {
  const known = new Set(basis.flatMap((p) => p.ips));
  const fresh = e.ips.filter((ip) => !known.has(ip));
  if (fresh.length > 0) return `from an address it never used for this before (${fresh.slice(0, 3).join(', ')})`;
  if (e.deniedShare !== undefined && e.deniedShare > Math.max(...basis.map((p) => p.deniedShare ?? 0)) + s.shareJump) return `with ${Math.round(e.deniedShare * 100)}% of its calls denied, more than before`;
  // A job that reads new objects each time (the last hour's orders) keeps doing so; one that re-read its own and now reads others' changed.
  if (e.newShare !== undefined && e.newShare > Math.max(...basis.map((p) => p.newShare ?? 0)) + s.shareJump) return `reading objects it never read before (${Math.round(e.newShare * 100)}% of them)`;
  return undefined;
}

/** An episode larger than `tolerance` times what was learned. */
function sizeChange(e: PastEpisode, learned: number | undefined, s: UsualSettings): string | undefined {
  return learned !== undefined && e.magnitude > s.tolerance * learned ? `${(e.magnitude / learned).toFixed(1)}x the ${Math.round(learned)} it usually reaches` : undefined;
}

/** How far apart two times are in their phase of a period (the minute of the hour, the time of day). */
function phaseDistance(a: number, b: number, period: number): number {
  const d = Math.abs((a % period) - (b % period));
  return Math.min(d, period - d);
}
