import type { ApiTransaction, Direction, Finding, Subject } from '@vigil/contracts';
import { defaultDetectorsConfig, type DetectorsConfig } from './config.js';
import { allDetectors } from './detectors/index.js';
import { createEnricher } from './enrich.js';
import { findingId } from './finding-id.js';
import { BoundedMap } from './lru.js';
import { emptyShard, type KeyParts, type ShardOps, type ShardResult, type StateStore } from '@vigil/state';
import { LATENCY_BINS, SIZE_BINS, latencyBin, sizeBin } from './stats.js';
import { emptyThreats, type ThreatMatcher } from './threats.js';
import type {
  ApiWindow,
  DetectContext,
  Detector,
  EnrichedEvent,
  LoginWindow,
  RouteStats,
  RouteWindow,
  SubjectRouteWindow,
  SubjectWindow,
} from './types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const WINDOW_5M = 300_000;
const DAY = 24 * HOUR;
/** How long a published finding id is remembered (replays within it emit nothing new). */
export const CLAIM_TTL_MS = 7 * DAY;

export interface EngineOptions {
  config?: DetectorsConfig;
  store: StateStore;
  detectors?: readonly Detector[];
  /** Loads the known-threats matcher; called at start and whenever the store's threats version changes. */
  loadThreats?: () => Promise<ThreatMatcher>;
  /** Entries kept in each in-process cache (baselines, last-seen times). */
  cacheLimit?: number;
}

export interface BatchOutcome {
  /** Findings not published before (by id), ready to publish. */
  findings: Finding[];
  /** Findings suppressed because their id was already published. */
  duplicates: number;
  events: number;
}

type Handle = { shard: number; index: number };

interface HashAcc {
  key: KeyParts;
  ttlMs: number;
  fields: Map<string, number>;
}

/** Packed counter vectors (libs/state VectorAddOp): fixed layouts, one GET and one SET per key in Redis. */
const SW_LAYOUT = ['n', 'e4', 'af', 'ua', 'bs', 'gn', 'gs', 'gq', 'm0', 'm1', 'm2', 'm3', 'm4'] as const;
const SH_LAYOUT = ['n', 'bs'] as const;
const SRH_LAYOUT = ['n', 'ok', 'dn'] as const;
type Layout = readonly string[];
const positions = (layout: Layout): Record<string, number> => Object.fromEntries(layout.map((f, i) => [f, i]));
const SW_POS = positions(SW_LAYOUT);
/** Field names made once, not per event. */
const LATENCY_FIELDS = Array.from({ length: LATENCY_BINS }, (_, i) => `l${i}`);
const SIZE_FIELDS = Array.from({ length: SIZE_BINS }, (_, i) => `b${i}`);
const MINUTE_FIELDS = ['m0', 'm1', 'm2', 'm3', 'm4'] as const;
const SH_POS = positions(SH_LAYOUT);
const SRH_POS = positions(SRH_LAYOUT);

interface VecAcc {
  key: KeyParts;
  ttlMs: number;
  layout: Layout;
  pos: Record<string, number>;
  deltas: number[];
  index: number;
}

function named(layout: Layout, values: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < layout.length; i++) if (values[i]) out[layout[i]!] = values[i]!;
  return out;
}

interface ShardBuilder {
  index: number;
  vectors: Map<string, VecAcc>;
  vectorReads: Map<string, number>;
  ops: ShardOps;
  hashes: Map<string, HashAcc>; // counters per key, flattened into ops.incr before the apply
  min: Map<string, number>;
  sets: Map<string, { index: number; members: Set<string> }>;
  first: Map<string, number>;
  reads: Map<string, number>;
}

const keyOf = (parts: KeyParts) => parts.join('\u0000');

/**
 * Turns batches of events into findings. It owns the order of work: enrich,
 * one batched state update (plus the reads it needs), build the detection
 * context, run every detector, give each finding its deterministic id, drop
 * ids already published. The same engine runs online (Kafka) and offline
 * (backtest); only the store differs.
 */
export class DetectionEngine {
  readonly config: DetectorsConfig;
  private readonly store: StateStore;
  private readonly detectors: readonly Detector[];
  private readonly enrich: (e: ApiTransaction) => EnrichedEvent;
  private readonly loadThreats: (() => Promise<ThreatMatcher>) | undefined;
  private threats: ThreatMatcher = emptyThreats;
  private threatsVersion: string | undefined;
  private watermark = 0;
  private lastClosedMinute: number | undefined;
  private readonly lastSeen: BoundedMap<string, number>;
  private readonly routeBaselines: BoundedMap<string, { hour: number; stats: RouteWindow['baseline'] }>;
  private readonly apiBaselines: BoundedMap<string, { hour: number; expected: number | undefined; spread: number | undefined; kind: ApiWindow['baselineKind'] }>;
  private readonly subjectBaselines: BoundedMap<string, { hour: number; n: number; bytes: number }>;
  private readonly knownApis: BoundedMap<string, { api: string; direction: Direction }>;

  constructor(options: EngineOptions) {
    this.config = options.config ?? defaultDetectorsConfig;
    this.store = options.store;
    const enabled = this.config.enabled;
    this.detectors = (options.detectors ?? allDetectors).filter((d) => enabled[d.name] !== false);
    this.enrich = createEnricher(this.config.credential_stuffing.loginRoutePattern);
    this.loadThreats = options.loadThreats;
    const limit = options.cacheLimit ?? 100_000;
    this.lastSeen = new BoundedMap(limit);
    this.routeBaselines = new BoundedMap(Math.min(limit, 20_000));
    this.apiBaselines = new BoundedMap(2_000);
    this.subjectBaselines = new BoundedMap(limit);
    this.knownApis = new BoundedMap(1_000);
  }

  get eventTime(): number {
    return this.watermark;
  }

  /** Processes one batch; the findings it returns are not yet marked published (see markPublished). */
  async process(batch: readonly ApiTransaction[]): Promise<BatchOutcome> {
    if (batch.length === 0) return { findings: [], duplicates: 0, events: 0 };
    await this.refreshThreats();
    const events = batch.map(this.enrich).sort((a, b) => a.timestamp - b.timestamp);
    const latest = events[events.length - 1]!.timestamp;
    this.watermark = Math.max(this.watermark, latest);
    const now = this.watermark;
    const cfg = this.config;

    const shards = new Map<string, ShardBuilder>();
    const shard = (tag: string): ShardBuilder => {
      let s = shards.get(tag);
      if (!s) {
        s = { index: shards.size, ops: emptyShard(tag), vectors: new Map(), vectorReads: new Map(), hashes: new Map(), min: new Map(), sets: new Map(), first: new Map(), reads: new Map() };
        shards.set(tag, s);
      }
      return s;
    };
    /** The counters of one hash key in this batch: one lookup per event and key, not per field. */
    const hash = (tag: string, key: KeyParts, ttlMs: number): Map<string, number> => {
      const s = shard(tag);
      const id = keyOf(key);
      let acc = s.hashes.get(id);
      if (!acc) {
        acc = { key, ttlMs, fields: new Map() };
        s.hashes.set(id, acc);
      }
      return acc.fields;
    };
    const add = (fields: Map<string, number>, field: string, by: number) => {
      fields.set(field, (fields.get(field) ?? 0) + by);
    };
    const vec = (tag: string, key: KeyParts, layout: Layout, pos: Record<string, number>, ttlMs: number): VecAcc => {
      const s = shard(tag);
      const id = keyOf(key);
      let acc = s.vectors.get(id);
      if (!acc) {
        acc = { key, ttlMs, layout, pos, deltas: new Array<number>(layout.length).fill(0), index: -1 };
        s.vectors.set(id, acc);
      }
      return acc;
    };
    const addv = (acc: VecAcc, field: string, by: number) => {
      acc.deltas[acc.pos[field]!]! += by;
    };
    /** Asks for a key once per batch in one of a shard's read lists; the handle finds its value in the results. */
    const enlist = (s: ShardBuilder, seen: Map<string, number>, list: KeyParts[], key: KeyParts): Handle => {
      const id = keyOf(key);
      let i = seen.get(id);
      if (i === undefined) {
        i = list.length;
        seen.set(id, i);
        list.push(key);
      }
      return { shard: s.index, index: i };
    };
    const vread = (tag: string, key: KeyParts): Handle => {
      const s = shard(tag);
      return enlist(s, s.vectorReads, s.ops.vectorReads, key);
    };
    const min = (tag: string, key: KeyParts, field: string, value: number, ttlMs: number) => {
      const s = shard(tag);
      const id = `${keyOf(key)}\u0001${field}`;
      const i = s.min.get(id);
      if (i === undefined) {
        s.min.set(id, s.ops.min.length);
        s.ops.min.push({ key, field, value, ttlMs });
      } else s.ops.min[i]!.value = Math.min(s.ops.min[i]!.value, value);
    };
    const setAdd = (tag: string, key: KeyParts, member: string, cap: number, ttlMs: number): Handle => {
      const s = shard(tag);
      const id = keyOf(key);
      let entry = s.sets.get(id);
      if (!entry) {
        entry = { index: s.ops.setAdd.length, members: new Set() };
        s.sets.set(id, entry);
        s.ops.setAdd.push({ key, members: [], cap, ttlMs });
      }
      if (!entry.members.has(member) && entry.members.size < cap) {
        entry.members.add(member);
        (s.ops.setAdd[entry.index]!.members as string[]).push(member);
      }
      return { shard: s.index, index: entry.index };
    };
    const firstSeen = (tag: string, key: KeyParts, field: string, value: number, cap: number, ttlMs: number): Handle | undefined => {
      const s = shard(tag);
      const id = `${keyOf(key)}\u0001${field}`;
      if (s.first.has(id)) return undefined;
      s.first.set(id, s.ops.firstSeen.length);
      s.ops.firstSeen.push({ key, field, value, cap, ttlMs });
      return { shard: s.index, index: s.ops.firstSeen.length - 1 };
    };
    const read = (tag: string, key: KeyParts): Handle => {
      const s = shard(tag);
      return enlist(s, s.reads, s.ops.reads, key);
    };

    const mNow = Math.floor(now / MINUTE);
    const hNow = Math.floor(now / HOUR);
    const bolaMs = cfg.bola_enumeration.windowMs;
    const routeHourTtl = (cfg.baselineHours + 2) * HOUR;

    interface RouteAcc { api: string; direction: Direction; route: string; rk: string; eventIds: string[]; newSigs: { sig: string; handle: Handle; eventId: string; timestamp: number }[] }
    interface SubjectAcc { api: string; subject: Subject; sk: string; w5: number; userAgents: Set<string>; eventIds: string[]; paths: Set<string> }
    interface SubjectRouteAcc { api: string; subject: Subject; sk: string; rk: string; route: string; direction: Direction; wb: number; ids: string[]; eventIds: string[]; card: Handle }
    interface LoginAcc { api: string; route: string; rk: string; w5: number; eventIds: string[]; ips: Handle; principals: Handle }
    const routes = new Map<string, RouteAcc>();
    const subjects = new Map<string, SubjectAcc>();
    const subjectRoutes = new Map<string, SubjectRouteAcc>();
    const logins = new Map<string, LoginAcc>();
    const routeSetHandles = new Map<string, Handle>();
    const loginPrincipalHandles = new Map<string, Handle>();

    for (const e of events) {
      const tag = e.api;
      const dir = e.direction === 'inbound' ? 'i' : 'o';
      const rk = `${dir}${e.route}`;
      const m = Math.floor(e.timestamp / MINUTE);
      const h = Math.floor(e.timestamp / HOUR);
      const w5 = Math.floor(e.timestamp / WINDOW_5M);
      const is4 = e.status >= 400 && e.status < 500;
      const is5 = e.status >= 500;
      const authFail = e.status === 401 || e.status === 403;
      const lat = Math.round(e.latencyMs * 1000);
      const lbin = LATENCY_FIELDS[latencyBin(e.latencyMs)]!;

      // Route: minute and hour buckets.
      const rm = hash(tag, ['rm', rk, m], 3 * HOUR);
      for (const b of [rm, hash(tag, ['rh', rk, h], routeHourTtl)]) {
        add(b, 'n', 1);
        if (is4) add(b, 'e4', 1);
        if (is5) add(b, 'e5', 1);
        if (e.status === 429) add(b, 'e429', 1);
        if (authFail) add(b, 'af', 1);
        add(b, 'ls', lat);
        add(b, lbin, 1);
        if (e.responseBytes !== undefined) {
          add(b, 'bn', 1);
          add(b, 'bs', e.responseBytes);
          add(b, SIZE_FIELDS[sizeBin(e.responseBytes)]!, 1);
        }
      }
      if (e.rateLimitLimit !== undefined && e.rateLimitRemaining !== undefined && e.rateLimitLimit > 0) {
        add(rm, 'rln', 1);
        min(tag, ['rm', rk, m], 'rlp', Math.floor((Math.min(e.rateLimitRemaining, e.rateLimitLimit) / e.rateLimitLimit) * 10_000), 3 * HOUR);
      }
      add(hash(tag, ['am', dir, m], 3 * HOUR), 'n', 1);
      add(hash(tag, ['ah', dir, h], 8 * DAY + HOUR), 'n', 1);
      this.knownApis.set(`${tag}\u0000${dir}`, { api: e.api, direction: e.direction });

      let r = routes.get(`${tag}\u0000${rk}`);
      if (!r) {
        r = { api: e.api, direction: e.direction, route: e.route, rk, eventIds: [], newSigs: [] };
        routes.set(`${tag}\u0000${rk}`, r);
        firstSeen(tag, ['rmeta', rk], 'first', e.timestamp, 4, 30 * DAY);
      }
      if (r.eventIds.length < 20) r.eventIds.push(e.id);
      if (e.responseSignature) {
        const handle = firstSeen(tag, ['rsig', rk], e.responseSignature.slice(0, 256), e.timestamp, cfg.schema_drift.maxKnownSignatures, 30 * DAY);
        if (handle) r.newSigs.push({ sig: e.responseSignature, handle, eventId: e.id, timestamp: e.timestamp });
      }

      // The acting subject: for login routes the IP (it is the one trying principals), else principal > IP > client.
      const subjectKind: Subject['kind'] | undefined =
        e.login && e.clientIp ? 'ip' : e.principal ? 'principal' : e.clientIp ? 'ip' : e.clientId ? 'client' : undefined;
      if (subjectKind && e.direction === 'inbound') {
        const subjectValue = (subjectKind === 'principal' ? e.principal : subjectKind === 'ip' ? e.clientIp : e.clientId)!;
        const subject: Subject = { kind: subjectKind, value: subjectValue };
        const sk = `${subjectKind}:${subjectValue.length > 256 ? subjectValue.slice(0, 256) : subjectValue}`;
        const sh = vec(tag, ['sh', sk, h], SH_LAYOUT, SH_POS, 3 * HOUR);
        addv(sh, 'n', 1);
        if (e.responseBytes !== undefined) addv(sh, 'bs', e.responseBytes);
        // The 5-minute window holds the per-minute counts too (m0…m4).
        const sw = vec(tag, ['sw', sk, w5], SW_LAYOUT, SW_POS, 30 * MINUTE);
        addv(sw, 'n', 1);
        addv(sw, MINUTE_FIELDS[m - w5 * 5]!, 1);
        if (is4) addv(sw, 'e4', 1);
        if (e.login && authFail) addv(sw, 'af', 1);
        if (e.automationAgent) addv(sw, 'ua', 1);
        if (e.responseBytes !== undefined) addv(sw, 'bs', e.responseBytes);
        const lastKey = `${tag}\u0000${sk}`;
        const last = this.lastSeen.get(lastKey);
        if (last !== undefined) {
          const gap = e.timestamp - last;
          if (gap > 0 && gap <= MINUTE) {
            addv(sw, 'gn', 1);
            addv(sw, 'gs', gap);
            addv(sw, 'gq', Math.round((gap * gap) / 100));
          }
        }
        if (last === undefined || e.timestamp >= last) this.lastSeen.set(lastKey, e.timestamp);
        const rsKey = `${tag}\u0000${sk}\u0000${w5}`;
        routeSetHandles.set(rsKey, setAdd(tag, ['srt', sk, w5], rk, 64, 30 * MINUTE));
        if (e.login && subject.kind === 'ip' && e.principal) {
          loginPrincipalHandles.set(rsKey, setAdd(tag, ['slp', sk, w5], e.principal.slice(0, 256), 256, 30 * MINUTE));
        }
        {
          let s = subjects.get(rsKey);
          if (!s) {
            s = { api: e.api, subject, sk, w5, userAgents: new Set(), eventIds: [], paths: new Set() };
            subjects.set(rsKey, s);
          }
          if (e.userAgent && s.userAgents.size < 5) s.userAgents.add(e.userAgent.slice(0, 200));
          if (s.eventIds.length < 20) s.eventIds.push(e.id);
          if (s.paths.size < 10) s.paths.add(e.path.slice(0, 200));
        }

        // Object ids per subject and route template (enumeration).
        if (e.objectId !== undefined) {
          const wb = Math.floor(e.timestamp / bolaMs);
          const srKey = `${tag}\u0000${sk}\u0000${rk}\u0000${wb}`;
          const card = setAdd(tag, ['sid', sk, rk, wb], e.objectId, 1000, 3 * bolaMs);
          const srh = vec(tag, ['srh', sk, rk, wb], SRH_LAYOUT, SRH_POS, 3 * bolaMs);
          addv(srh, 'n', 1);
          if (e.status >= 200 && e.status < 300) addv(srh, 'ok', 1);
          if (e.status === 401 || e.status === 403 || e.status === 404) addv(srh, 'dn', 1);
          let sr = subjectRoutes.get(srKey);
          if (!sr) {
            sr = { api: e.api, subject, sk, rk, route: e.route, direction: e.direction, wb, ids: [], eventIds: [], card };
            subjectRoutes.set(srKey, sr);
          }
          if (sr.ids.length < 200) sr.ids.push(e.objectId);
          if (sr.eventIds.length < 20) sr.eventIds.push(e.id);
        }
      }

      if (e.login) {
        const lk = `${tag}\u0000${rk}\u0000${w5}`;
        const lw = hash(tag, ['lw', rk, w5], 30 * MINUTE);
        add(lw, 'n', 1);
        if (authFail) add(lw, 'f', 1);
        const ips = setAdd(tag, ['lip', rk, w5], e.clientIp ?? '-', 5000, 30 * MINUTE);
        const principals = setAdd(tag, ['lpr', rk, w5], (e.principal ?? '-').slice(0, 256), 5000, 30 * MINUTE);
        {
          let l = logins.get(lk);
          if (!l) {
            l = { api: e.api, route: e.route, rk, w5, eventIds: [], ips, principals };
            logins.set(lk, l);
          }
          if (authFail && l.eventIds.length < 20) l.eventIds.push(e.id);
        }
      }
    }

    // Reads: current windows, and baselines the caches do not hold for this hour.
    const W = cfg.windowMinutes;
    const routeReads = new Map<string, { window: Handle[]; baseline?: Handle[]; meta?: Handle }>();
    for (const [id, r] of routes) {
      const window = Array.from({ length: W }, (_, i) => read(r.api, ['rm', r.rk, mNow - W + 1 + i]));
      const cached = this.routeBaselines.get(id);
      const entry: { window: Handle[]; baseline?: Handle[]; meta?: Handle } = { window };
      if (!cached || cached.hour !== hNow) {
        entry.baseline = Array.from({ length: cfg.baselineHours }, (_, i) => read(r.api, ['rh', r.rk, hNow - cfg.baselineHours + i]));
        entry.meta = read(r.api, ['rmeta', r.rk]);
      }
      routeReads.set(id, entry);
    }
    const subjectReads = new Map<string, { prevHour?: Handle; hour: number }>();
    for (const [id, s] of subjects) {
      const hour = Math.floor((s.w5 * WINDOW_5M) / HOUR);
      const cached = this.subjectBaselines.get(`${s.api}\u0000${s.sk}`);
      const entry: { prevHour?: Handle; hour: number } = { hour };
      if (!cached || cached.hour !== hour) entry.prevHour = vread(s.api, ['sh', s.sk, hour - 1]);
      subjectReads.set(id, entry);
    }
    const loginReads = new Map<string, Handle>();
    for (const [id, l] of logins) loginReads.set(id, read(l.api, ['lw', l.rk, l.w5]));

    const closedUpTo = Math.floor((now - cfg.latenessMs) / MINUTE) - 1;
    let closing: number[] = [];
    if (this.lastClosedMinute === undefined) this.lastClosedMinute = closedUpTo;
    else if (closedUpTo > this.lastClosedMinute) {
      const from = Math.max(this.lastClosedMinute + 1, closedUpTo - 9);
      closing = Array.from({ length: closedUpTo - from + 1 }, (_, i) => from + i);
      this.lastClosedMinute = closedUpTo;
    }
    const apiReads = new Map<string, { minutes: Handle[]; seasonal?: Handle[]; recent?: Handle[] }>();
    if (closing.length > 0) {
      for (const [id, a] of this.knownApisSorted()) {
        const dir = a.direction === 'inbound' ? 'i' : 'o';
        const entry: { minutes: Handle[]; seasonal?: Handle[]; recent?: Handle[] } = { minutes: closing.map((mm) => read(a.api, ['am', dir, mm])) };
        const cached = this.apiBaselines.get(id);
        if (!cached || cached.hour !== hNow) {
          entry.seasonal = Array.from({ length: 7 }, (_, k) => read(a.api, ['ah', dir, hNow - 24 * (k + 1)]));
          entry.recent = Array.from({ length: 3 }, (_, k) => read(a.api, ['ah', dir, hNow - 1 - k]));
        }
        apiReads.set(id, entry);
      }
    }

    const builders = [...shards.values()];
    for (const b of builders) {
      for (const acc of b.vectors.values()) {
        acc.index = b.ops.vectorAdd.length;
        b.ops.vectorAdd.push({ key: acc.key, deltas: acc.deltas, ttlMs: acc.ttlMs });
      }
      for (const acc of b.hashes.values()) {
        for (const [field, by] of acc.fields) b.ops.incr.push({ key: acc.key, field, by, ttlMs: acc.ttlMs });
      }
    }
    const results = await this.store.apply({ now, shards: builders.map((b) => b.ops) });
    /** A packed vector after this batch's additions, by field name ({} when the batch did not touch it). */
    const vector = (tag: string, key: KeyParts): Record<string, number> => {
      const s = shards.get(tag);
      const acc = s?.vectors.get(keyOf(key));
      return s && acc ? named(acc.layout, results[s.index]!.vectorAdd[acc.index]!) : {};
    };
    const vgot = (h: Handle, layout: Layout) => named(layout, results[h.shard]!.vectorReads[h.index]!);
    const got = (h: Handle) => results[h.shard]!.reads[h.index]!;
    const card = (h: Handle) => results[h.shard]!.setAdd[h.index]!;
    const first = (h: Handle) => results[h.shard]!.firstSeen[h.index]!;

    // Build the context.
    const routeWindows: RouteWindow[] = [];
    for (const [id, r] of routes) {
      const reads = routeReads.get(id)!;
      const current = emptyStats();
      for (const h of reads.window) addStats(current, got(h));
      let baseline = this.routeBaselines.get(id)?.stats;
      if (reads.baseline) {
        const b = { ...emptyStats(), hours: 0, firstSeenAt: undefined as number | undefined };
        for (const h of reads.baseline) {
          const rec = got(h);
          if ((rec.n ?? 0) > 0) b.hours++;
          addStats(b, rec);
        }
        b.firstSeenAt = reads.meta ? got(reads.meta).first : undefined;
        this.routeBaselines.set(id, { hour: hNow, stats: b });
        baseline = b;
      }
      const newSignatures = r.newSigs.filter((s) => first(s.handle)[0] === 1).map((s) => ({ signature: s.sig, eventId: s.eventId, timestamp: s.timestamp }));
      const lens = r.newSigs.map((s) => first(s.handle)[1]);
      routeWindows.push({
        api: r.api,
        direction: r.direction,
        route: r.route,
        current,
        windowStart: (mNow - W + 1) * MINUTE,
        windowEnd: (mNow + 1) * MINUTE,
        baseline: baseline!,
        newSignatures,
        knownSignatures: lens.length ? Math.max(...lens) - newSignatures.length : 0,
        sampleEventIds: r.eventIds,
      });
    }

    const subjectWindows: SubjectWindow[] = [];
    for (const [id, s] of subjects) {
      const reads = subjectReads.get(id)!;
      const baseKey = `${s.api}\u0000${s.sk}`;
      let prev = this.subjectBaselines.get(baseKey);
      if (reads.prevHour) {
        const rec = vgot(reads.prevHour, SH_LAYOUT);
        prev = { hour: reads.hour, n: rec.n ?? 0, bytes: rec.bs ?? 0 };
        this.subjectBaselines.set(baseKey, prev);
      }
      const w = vector(s.api, ['sw', s.sk, s.w5]);
      // The busiest minute of the window so far (fields m0…m4 of the window's hash).
      let peakMinute = s.w5 * 5;
      let peakN = 0;
      for (let k = 0; k < 5; k++) {
        const n = w[`m${k}`] ?? 0;
        if (n > peakN) {
          peakN = n;
          peakMinute = s.w5 * 5 + k;
        }
      }
      // Baseline: the previous clock hour plus this hour before the window, per minute (a subject that
      // started 50 minutes ago at a steady rate is judged against that rate, not as new).
      const cur = vector(s.api, ['sh', s.sk, reads.hour]);
      const minutesBefore = 60 + Math.max(0, s.w5 * 5 - reads.hour * 60);
      const before = Math.max(0, (prev?.n ?? 0) + (cur.n ?? 0) - (w.n ?? 0));
      const bytesBefore = Math.max(0, (prev?.bytes ?? 0) + (cur.bs ?? 0) - (w.bs ?? 0));
      const base = before > 0 ? { perMinute: before / minutesBefore, bytesPer5m: (bytesBefore / minutesBefore) * 5 } : undefined;
      const gn = w.gn ?? 0;
      const meanGap = gn > 0 ? (w.gs ?? 0) / gn : 0;
      const variance = gn > 1 ? Math.max(0, ((w.gq ?? 0) * 100) / gn - meanGap * meanGap) : undefined;
      const rsKey = id;
      const routesHandle = routeSetHandles.get(rsKey);
      const lpHandle = loginPrincipalHandles.get(rsKey);
      subjectWindows.push({
        api: s.api,
        subject: s.subject,
        minuteN: peakN,
        minuteStart: peakMinute * MINUTE,
        baselinePerMinute: base?.perMinute,
        windowStart: s.w5 * WINDOW_5M,
        windowEnd: (s.w5 + 1) * WINDOW_5M,
        n: w.n ?? 0,
        e4: w.e4 ?? 0,
        authFailures: w.af ?? 0,
        gaps: { n: gn, meanMs: meanGap, cv: variance !== undefined && meanGap > 0 ? Math.sqrt(variance) / meanGap : undefined },
        automationAgentN: w.ua ?? 0,
        distinctRoutes: routesHandle ? card(routesHandle) : 0,
        loginPrincipals: lpHandle ? card(lpHandle) : 0,
        bytesSum: w.bs ?? 0,
        baselineBytesPer5m: base?.bytesPer5m,
        userAgents: [...s.userAgents],
        sampleEventIds: s.eventIds,
        samplePaths: [...s.paths],
      });
    }

    const srWindows: SubjectRouteWindow[] = [];
    for (const [id, sr] of subjectRoutes) {
      const h = vector(sr.api, ['srh', sr.sk, sr.rk, sr.wb]);
      const numeric = sr.ids.filter((x) => /^\d{1,15}$/.test(x)).map(Number);
      let seq = 0;
      for (let i = 1; i < numeric.length; i++) if (Math.abs(numeric[i]! - numeric[i - 1]!) <= 2 && numeric[i] !== numeric[i - 1]) seq++;
      srWindows.push({
        api: sr.api,
        subject: sr.subject,
        route: sr.route,
        direction: sr.direction,
        windowStart: sr.wb * bolaMs,
        windowEnd: (sr.wb + 1) * bolaMs,
        distinctIds: card(sr.card),
        n: h.n ?? 0,
        ok: h.ok ?? 0,
        denied: h.dn ?? 0,
        sequentialShare: numeric.length > 2 ? seq / (numeric.length - 1) : undefined,
        sampleIds: [...new Set(sr.ids)].slice(0, 10),
        sampleEventIds: sr.eventIds,
      });
    }

    const loginWindows: LoginWindow[] = [];
    for (const [id, l] of logins) {
      const w = got(loginReads.get(id)!);
      const rb = this.routeBaselines.get(`${l.api}\u0000${l.rk}`)?.stats;
      loginWindows.push({
        api: l.api,
        route: l.route,
        windowStart: l.w5 * WINDOW_5M,
        windowEnd: (l.w5 + 1) * WINDOW_5M,
        n: w.n ?? 0,
        failures: w.f ?? 0,
        distinctIps: card(l.ips),
        distinctPrincipals: card(l.principals),
        baselineFailureShare: rb && rb.hours >= cfg.warmupHours && rb.n > 0 ? rb.af / rb.n : undefined,
        baselineN: rb?.n ?? 0,
        sampleEventIds: l.eventIds,
      });
    }

    const apiWindows: ApiWindow[] = [];
    for (const [id, reads] of apiReads) {
      const a = this.knownApis.get(id)!;
      let base = this.apiBaselines.get(id);
      if (reads.seasonal && reads.recent) {
        const seasonal = reads.seasonal.map((h) => got(h).n ?? 0).filter((n) => n > 0);
        const recent = reads.recent.map((h) => got(h).n ?? 0).filter((n) => n > 0);
        if (seasonal.length >= cfg.volume_anomaly.seasonalDays) base = { hour: hNow, ...robust(seasonal), kind: 'seasonal' };
        else if (recent.length >= Math.min(3, cfg.warmupHours)) base = { hour: hNow, ...robust(recent), kind: 'recent' };
        else base = { hour: hNow, expected: undefined, spread: undefined, kind: 'warming_up' };
        this.apiBaselines.set(id, base);
      }
      apiWindows.push({
        api: a.api,
        direction: a.direction,
        closedMinutes: closing.map((mm, i) => ({ minute: mm * MINUTE, n: got(reads.minutes[i]!).n ?? 0 })),
        expectedPerMinute: base?.expected,
        spreadPerMinute: base?.spread,
        baselineKind: base?.kind ?? 'warming_up',
      });
    }

    const ctx: DetectContext = {
      now,
      config: cfg,
      events,
      routes: routeWindows,
      apis: apiWindows,
      subjects: subjectWindows,
      subjectRoutes: srWindows,
      logins: loginWindows,
      threats: this.threats,
    };

    const byId = new Map<string, Finding>();
    for (const detector of this.detectors) {
      for (const d of detector.detect(ctx)) {
        const id = findingId(d);
        if (byId.has(id)) continue;
        const finding: Finding = { id, ...d, detectedAt: now, eventIds: d.eventIds.slice(0, 50) };
        if (finding.route === undefined) delete finding.route;
        if (finding.owasp === undefined) delete finding.owasp;
        byId.set(id, finding);
      }
    }
    if (byId.size === 0) return { findings: [], duplicates: 0, events: events.length };
    const already = await this.store.claimed([...byId.keys()]);
    const findings = [...byId.values()].filter((f) => !already.has(f.id));
    return { findings, duplicates: byId.size - findings.length, events: events.length };
  }

  /** Records findings as published, so replays and restarts do not emit their ids again. */
  async markPublished(findings: readonly Finding[]): Promise<void> {
    if (findings.length > 0) await this.store.claim(findings.map((f) => f.id), CLAIM_TTL_MS, this.watermark);
  }

  private *knownApisSorted(): Generator<[string, { api: string; direction: Direction }]> {
    const ids = [...this.knownApis.keys()].sort();
    for (const id of ids) yield [id, this.knownApis.get(id)!];
  }

  private async refreshThreats(): Promise<void> {
    if (!this.loadThreats) return;
    const version = await this.store.threatsVersion();
    if (version !== this.threatsVersion) {
      this.threats = await this.loadThreats();
      this.threatsVersion = version;
    }
  }
}

function emptyStats(): RouteStats {
  return { n: 0, e4: 0, e5: 0, e429: 0, af: 0, latencySumMs: 0, latencyBins: new Array<number>(LATENCY_BINS).fill(0), bytesN: 0, bytesSum: 0, bytesBins: new Array<number>(SIZE_BINS).fill(0), rateLimitN: 0 };
}

function addStats(target: RouteStats, rec: Record<string, number>): void {
  for (const [field, v] of Object.entries(rec)) {
    switch (field) {
      case 'n': target.n += v; break;
      case 'e4': target.e4 += v; break;
      case 'e5': target.e5 += v; break;
      case 'e429': target.e429 += v; break;
      case 'af': target.af += v; break;
      case 'ls': target.latencySumMs += v / 1000; break;
      case 'bn': target.bytesN += v; break;
      case 'bs': target.bytesSum += v; break;
      case 'rln': target.rateLimitN += v; break;
      case 'rlp': target.minRateLimitPermyriad = target.minRateLimitPermyriad === undefined ? v : Math.min(target.minRateLimitPermyriad, v); break;
      default:
        if (field[0] === 'l') target.latencyBins[Number(field.slice(1))] = (target.latencyBins[Number(field.slice(1))] ?? 0) + v;
        else if (field[0] === 'b') target.bytesBins[Number(field.slice(1))] = (target.bytesBins[Number(field.slice(1))] ?? 0) + v;
    }
  }
}

function robust(hourCounts: number[]): { expected: number; spread: number } {
  const s = [...hourCounts].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const med = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const devs = s.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
  const mad = devs.length % 2 ? devs[devs.length >> 1]! : (devs[(devs.length >> 1) - 1]! + devs[devs.length >> 1]!) / 2;
  const expected = med / 60;
  // Spread per minute: the hour-to-hour spread scaled to a minute, floored by Poisson noise.
  return { expected, spread: Math.max((1.4826 * mad) / 60, Math.sqrt(Math.max(expected, 1))) };
}

export type { ShardResult };
