/**
 * What the engine knows of one subject (a principal, IP or client on one
 * api). Events are keyed by client, so the partition that owns a subject
 * sees all of its events: this state lives in the process that holds the
 * partition, and is checkpointed to the state store (`toCheckpoint`), to be
 * read back (`fromCheckpoint`) after a restart, a rebalance or an eviction.
 *
 * It holds the subject's recent calls in 10-second slots (subject/slots.ts)
 * and what it touched lately (routes, principals tried, object ids per
 * route: subject/recency.ts, subject/trail.ts), so that windows of any
 * length are judged wherever they fall (engine/hops.ts); its hour counts
 * (its usual rate); the episodes detectors found about it and its
 * business-as-usual (subject/usual.ts).
 *
 * Entries are kept relative to the subject's own latest event, not the
 * watermark: other partitions may carry the watermark far past this
 * subject's time (a backlog, a partition taken over from a dead replica),
 * and its windows must still hold all their calls.
 *
 * A state also says which events it holds: per partition, the offset up to
 * which it has counted them (`fences`, checkpointed with it). A replay from
 * an older commit skips the events a subject holds already instead of
 * counting them twice.
 */
import type { Severity } from '@vigil/contracts';
import { JsonText } from './subject/json-text.js';
import { RecencyMap } from './subject/recency.js';
import { RecentKeys } from './subject/recent-keys.js';
import { BLOCK_MS, SLOT_MS, SlotSeries } from './subject/slots.js';
import { ObjectTrail, TRAIL_OUTCOMES_MS } from './subject/trail.js';
import { UsualHistory, type UsualVerdict } from './subject/usual.js';
import { HOUR, MINUTE } from './units.js';

/** The short subject windows (5 minutes) judged from 10-second slots, and slack for late events. */
export const RECENT_MS = 6 * MINUTE;
/** The long subject windows (an hour) judged from 5-minute blocks and the recent sets, and slack. */
export const LONG_MS = 65 * MINUTE;
/** Routes with object ids tracked per subject; past it, the least recently used route's trail is dropped. */
export const MAX_TRAILS = 8;
/** Routes remembered per subject (distinct routes, a bot's breadth). */
const MAX_ROUTES = 64;
/** Principals remembered per address on login routes (credential stuffing). */
const MAX_LOGIN_PRINCIPALS = 256;
/** Source addresses remembered per subject (a principal's usual addresses). */
const MAX_IPS = 8;
/** Keys of usual history and open episodes per subject (a detector, and a route for bola_enumeration). */
const MAX_KEYS = 12;
/** An episode no finding extended for this long is over. */
export const EPISODE_GAP_MS = HOUR;

export interface HourCounts {
  expiresAt: number;
  n: number;
  bs: number;
}

/** A finding's episode about this subject: its start (the first window that crossed) and the end of its latest window. */
export interface OpenEpisode {
  start: number;
  lastEnd: number;
  /** The largest magnitude it reached (usual history remembers it). */
  magnitude: number;
  /** How it was judged against the subject's history when it started: its history learns it since, so it is kept. */
  verdict?: UsualVerdict;
  /** The highest severity it was reported at (a subject's other findings of the moment are judged alongside it). */
  severity?: Severity;
}

/** At most this many partitions' offsets per subject (a subject's calls come from one partition, or from a few: an IP's logins). */
export const MAX_FENCES = 64;

/** Checkpoints are written one at a time into this one buffer. */
const checkpointText = new JsonText();

/** What a subject without episodes, usual histories or login principals reads (most have none: a Map apiece was ~200 bytes of heap). */
const NONE: ReadonlyMap<never, never> = new Map<never, never>();
const NO_PRINCIPALS = new RecencyMap(0);

export class SubjectState {
  /** Event time of the subject's latest call. */
  lastSeen: number | undefined;
  hours = new Map<number, HourCounts>();
  /** The hour `hour` gave last, and its counts (most calls fall in the hour of the call before; `prune` forgets it). */
  private lastHour = NaN;
  private lastHourCounts: HourCounts | undefined;
  slots = new SlotSeries(SLOT_MS, RECENT_MS);
  /** The same counters in 5-minute blocks, for the hour. */
  blocks = new SlotSeries(BLOCK_MS, LONG_MS);
  routes = new RecentKeys(MAX_ROUTES);
  /** Principals it tried on login routes (an address's), made at the first: most subjects never log in for others. */
  private loginPrincipalMap: RecencyMap | undefined;
  ips = new RecentKeys(MAX_IPS);
  /**
   * Object ids per route key (routes whose template has an id), the route used least recently first: a few (at most
   * MAX_TRAILS), so two short lists rather than a Map, reordered at almost every call of a subject that reads two routes.
   */
  private readonly trailKeys: string[] = [];
  private readonly trailList: ObjectTrail[] = [];
  /** Subject windows judged up to this time (their end), by horizon (engine/hops.ts). */
  readonly judgedUpTo = new Map<string, number>();
  /** Open episodes by key (`detector|route`), made at the first (`episodes` reads them). */
  private episodeMap: Map<string, OpenEpisode> | undefined;
  /** Business-as-usual by key (`detector|route`), made at the first: kept apart from the checkpoint, in the subject's memory (toMemory). */
  private usualMap: Map<string, UsualHistory> | undefined;
  /** Changes to `usual` so far, and up to which one its memory was written (not checkpointed). */
  memoryVersion = 0;
  memoryWritten = 0;
  /** The day bucket its memory was last written to or read from (not checkpointed): a move deletes the old copy. */
  memoryDay: number | undefined;
  /** The previous clock hour's counts, as first read during `hour` (kept for the hour; not checkpointed). */
  baseline: { hour: number; n: number; bytes: number } | undefined;
  /** The hour bucket its checkpoint was last written to or read from (not checkpointed): a move deletes the old copy. */
  checkpointHour: number | undefined;
  /** The engine's count of batches when one last changed it (not checkpointed): a checkpoint taken before that holds an older state. */
  changedAt = 0;
  /** Per partition (batch source key), the highest offset whose events this state has counted. */
  readonly fences = new Map<string, number>();

  /** Notes that this state holds the source's events up to `offset` (a new source past `MAX_FENCES` replaces the oldest). */
  fence(source: string, offset: number): void {
    if (!this.fences.has(source) && this.fences.size >= MAX_FENCES) this.fences.delete(this.fences.keys().next().value as string);
    this.fences.set(source, offset);
  }

  /** The hour's counts, kept `ttlMs` past `now`. */
  hour(h: number, now: number, ttlMs: number): HourCounts {
    let v = h === this.lastHour ? this.lastHourCounts : this.hours.get(h);
    if (!v) this.hours.set(h, (v = { expiresAt: now + ttlMs, n: 0, bs: 0 }));
    else if (v.expiresAt < now + ttlMs) v.expiresAt = now + ttlMs;
    this.lastHour = h;
    this.lastHourCounts = v;
    return v;
  }

  /** The trail of object ids on a route, started when new (the least recently used route's is dropped past MAX_TRAILS). */
  trail(routeKey: string): ObjectTrail {
    const keys = this.trailKeys;
    const list = this.trailList;
    const last = keys.length - 1;
    // Most calls are on the route of the call before: already the most recently used.
    if (last >= 0 && keys[last] === routeKey) return list[last]!;
    const at = keys.lastIndexOf(routeKey);
    if (at >= 0) {
      // Moved to the end in place.
      const t = list[at]!;
      for (let i = at; i < last; i++) {
        keys[i] = keys[i + 1]!;
        list[i] = list[i + 1]!;
      }
      keys[last] = routeKey;
      list[last] = t;
      return t;
    }
    if (keys.length >= MAX_TRAILS) {
      keys.shift();
      list.shift();
    }
    const t = new ObjectTrail();
    keys.push(routeKey);
    list.push(t);
    return t;
  }

  /** How many routes it keeps a trail for. */
  get trailCount(): number {
    return this.trailList.length;
  }

  /** The trail on a route when it has one (the order is left as it is). */
  trailOn(routeKey: string): ObjectTrail | undefined {
    const at = this.trailKeys.indexOf(routeKey);
    return at < 0 ? undefined : this.trailList[at];
  }

  /** Open episodes by key (`detector|route`). */
  get episodes(): ReadonlyMap<string, OpenEpisode> {
    return this.episodeMap ?? NONE;
  }

  /** Business-as-usual by key (`detector|route`). */
  get usual(): ReadonlyMap<string, UsualHistory> {
    return this.usualMap ?? NONE;
  }

  /** Principals it tried on login routes, with when it last tried each. */
  get loginPrincipals(): Pick<RecencyMap, 'get' | 'keys' | 'countIn' | 'keysIn' | 'size' | 'writeFlat' | 'toFlat'> {
    return this.loginPrincipalMap ?? NO_PRINCIPALS;
  }

  /** Notes a principal it tried on a login route at `t`. */
  touchLoginPrincipal(principal: string, t: number): void {
    (this.loginPrincipalMap ??= new RecencyMap(MAX_LOGIN_PRINCIPALS)).touch(principal, t);
  }

  /** Notes an episode under its key (past MAX_KEYS keys, the one set longest ago is forgotten). */
  setEpisode(key: string, episode: OpenEpisode): void {
    const episodes = (this.episodeMap ??= new Map());
    if (!episodes.has(key) && episodes.size >= MAX_KEYS) episodes.delete(episodes.keys().next().value!);
    episodes.set(key, episode);
  }

  /** The usual history of a key, started when new (asked for to be judged and to learn: its memory is to be written). */
  usualOf(key: string): UsualHistory {
    this.memoryVersion++;
    const usual = (this.usualMap ??= new Map());
    let h = usual.get(key);
    if (!h) {
      if (usual.size >= MAX_KEYS) usual.delete(usual.keys().next().value!);
      usual.set(key, (h = new UsualHistory()));
    }
    return h;
  }

  /** Forgets what no window reaches any more, relative to the subject's own latest call (and hours by `now`). */
  prune(now: number): void {
    const at = this.lastSeen ?? now;
    this.slots.prune(at - RECENT_MS);
    this.blocks.prune(at - LONG_MS);
    this.routes.prune(at - LONG_MS);
    this.loginPrincipalMap?.prune(at - LONG_MS);
    // A window reads the hour it starts in and the one before (subject-views.ts usualRate): older rows serve nothing.
    const oldestHour = Math.floor(at / HOUR) - 2;
    for (const [h, v] of this.hours) if (v.expiresAt <= now || h < oldestHour) this.hours.delete(h);
    this.lastHour = NaN;
    for (let i = 0; i < this.trailList.length; ) {
      const trail = this.trailList[i]!;
      trail.prune(at, at - TRAIL_OUTCOMES_MS);
      if (!trail.empty) i++;
      else {
        this.trailKeys.splice(i, 1);
        this.trailList.splice(i, 1);
      }
    }
    if (this.episodeMap) for (const [key, e] of this.episodeMap) if (e.lastEnd < at - EPISODE_GAP_MS) this.episodeMap.delete(key);
  }

  /** The state as JSON text, after pruning what is no longer needed. */
  toCheckpoint(now: number): string {
    this.prune(now);
    const base = this.lastSeen ?? now;
    const out = checkpointText.start();
    out.raw('{"v":2,"l":');
    out.numOrNull(this.lastSeen);
    out.raw(',"f":');
    out.entries(this.fences);
    out.raw(',"h":[');
    let first = true;
    this.hours.forEach((v, h) => {
      if (!first) out.char(44);
      first = false;
      out.char(91);
      out.num(h);
      out.commaNum(v.expiresAt);
      out.commaNum(v.n);
      out.commaNum(v.bs);
      out.char(93);
    });
    // Times and slots as offsets from the latest call: shorter numbers, quicker to write and read.
    out.raw('],"o":');
    out.num(base);
    out.raw(',"s":');
    this.slots.writeFlat(out, base);
    out.raw(',"b":');
    this.blocks.writeFlat(out, base);
    out.raw(',"r":');
    this.routes.writeFlat(out, base);
    out.raw(',"p":');
    this.loginPrincipals.writeFlat(out, base);
    out.raw(',"i":');
    this.ips.writeFlat(out, base);
    out.raw(',"t":[');
    for (let i = 0; i < this.trailList.length; i++) {
      if (i > 0) out.char(44);
      out.char(91);
      out.str(this.trailKeys[i]!);
      out.char(44);
      this.trailList[i]!.writeRow(out, base);
      out.char(93);
    }
    out.raw('],"j":');
    out.entries(this.judgedUpTo);
    out.raw(',"e":');
    if (this.episodes.size === 0) out.raw('[]');
    else out.json([...this.episodes].map(([key, e]) => [key, e.start, e.lastEnd, e.magnitude, e.verdict ? verdictRow(e.verdict) : null, e.severity ?? null]));
    out.char(125);
    return out.text();
  }

  /** What it learned of its business-as-usual, as JSON text: it outlives the checkpoint (storage/keys.ts subjectMemory). */
  toMemory(): string {
    return JSON.stringify({ v: 1, u: [...this.usual].map(([key, h]) => [key, h.toRow()]) });
  }

  /** Reads back its memory (the histories it does not hold already). */
  readMemory(text: string): void {
    const m = JSON.parse(text) as { u?: [string, unknown[]][] };
    for (const [key, row] of m.u ?? []) if (!this.usual.has(key)) (this.usualMap ??= new Map()).set(key, UsualHistory.fromRow(row));
  }

  /** Reads a checkpoint back; one written by an older version (5-minute windows) keeps its hours and fences only. */
  static fromCheckpoint(text: string): SubjectState {
    const c = JSON.parse(text) as Record<string, unknown>;
    const s = new SubjectState();
    s.lastSeen = (c.l as number | null) ?? undefined;
    for (const [source, offset] of (c.f as [string, number][] | undefined) ?? []) s.fences.set(source, offset);
    for (const [h, expiresAt, n, bs] of (c.h as [number, number, number, number][] | undefined) ?? []) s.hours.set(h, { expiresAt, n, bs });
    if (c.v !== 2) return s;
    const base = (c.o as number | undefined) ?? 0;
    s.blocks = SlotSeries.fromFlat(c.b as number[] | undefined, BLOCK_MS, base, LONG_MS);
    s.slots = SlotSeries.fromFlat(c.s as number[] | undefined, SLOT_MS, base, RECENT_MS);
    s.routes = RecentKeys.fromFlat(MAX_ROUTES, c.r as string[] | undefined, base);
    if ((c.p as unknown[] | undefined)?.length) s.loginPrincipalMap = RecencyMap.fromFlat(MAX_LOGIN_PRINCIPALS, c.p as string[], base);
    s.ips = RecentKeys.fromFlat(MAX_IPS, c.i as string[] | undefined, base);
    for (const [key, row] of (c.t as [string, unknown[]][] | undefined) ?? []) {
      s.trailKeys.push(key);
      s.trailList.push(ObjectTrail.fromRow(row, base));
    }
    for (const [horizon, t] of (c.j as [string, number][] | undefined) ?? []) s.judgedUpTo.set(horizon, t);
    for (const [key, start, lastEnd, magnitude, verdict, severity] of (c.e as [string, number, number, number, unknown[] | null | undefined, Severity | null | undefined][] | undefined) ?? []) {
      (s.episodeMap ??= new Map()).set(key, { start, lastEnd, magnitude, ...(verdict ? { verdict: verdictOf(verdict) } : {}), ...(severity ? { severity } : {}) });
    }
    // Checkpoints written before the memory was kept apart held the histories themselves.
    for (const [key, row] of (c.u as [string, unknown[]][] | undefined) ?? []) (s.usualMap ??= new Map()).set(key, UsualHistory.fromRow(row));
    return s;
  }
}

function verdictRow(v: UsualVerdict): unknown[] {
  return [v.usual ? 1 : 0, v.recurrences, v.learned ?? null, v.rhythm ?? null, v.change ?? null, v.typical ?? null];
}

function verdictOf(row: unknown[]): UsualVerdict {
  const [usual, recurrences, learned, rhythm, change, typical] = row as [number, number, number | null, UsualVerdict['rhythm'] | null, string | null, (number | null)?];
  return { usual: usual === 1, recurrences, learned: learned ?? undefined, typical: typical ?? undefined, rhythm: rhythm ?? undefined, change: change ?? undefined };
}
