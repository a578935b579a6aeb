import type { ApiTransaction, Finding } from '@vigil/contracts';
import { detectorsConfigSchema } from './config.js';
import { DetectionEngine } from './engine.js';
import { MemoryStateStore } from '@vigil/state';
import type { StateStore } from '@vigil/state';
import { createThreatMatcher, type ThreatEntry } from './threats.js';
import type { Detector } from './types.js';

/**
 * Helpers for detector tests: build events, build background traffic, and
 * run events through the real engine over in-memory state.
 */

export const T0 = Date.UTC(2026, 10, 23, 0, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

let seq = 0;
/** One event with sensible defaults; override anything. */
export function tx(overrides: Partial<ApiTransaction> = {}): ApiTransaction {
  seq++;
  return {
    id: `t-${seq}`,
    timestamp: T0,
    direction: 'inbound',
    api: 'accounts',
    method: 'GET',
    path: '/health',
    status: 200,
    latencyMs: 20,
    responseBytes: 500,
    clientIp: '198.51.100.1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    ...overrides,
  };
}

/** A tiny deterministic PRNG (mulberry32), so background traffic is the same in every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BackgroundOptions {
  from: number;
  to: number;
  /** Events per minute (spread with jitter). */
  perMinute: number;
  api?: string;
  route?: string;
  /** Path for an event; default /accounts/<n>. */
  path?: (i: number, r: () => number) => string;
  direction?: 'inbound' | 'outbound';
  users?: number;
  seed?: number;
  /** Adjust each event (latency, status, bytes…). */
  shape?: (e: ApiTransaction, r: () => number, i: number) => ApiTransaction;
}

/** Ordinary traffic: many users with human think times, mostly 200s, jittered latency and size. */
export function background(o: BackgroundOptions): ApiTransaction[] {
  const r = rng(o.seed ?? 7);
  const out: ApiTransaction[] = [];
  const users = o.users ?? 200;
  const total = Math.round(((o.to - o.from) / MINUTE) * o.perMinute);
  for (let i = 0; i < total; i++) {
    const t = o.from + Math.floor((i / total) * (o.to - o.from) + r() * 500);
    const u = Math.floor(r() * users);
    let e = tx({
      id: `bg-${o.seed ?? 7}-${i}`,
      timestamp: t,
      direction: o.direction ?? 'inbound',
      api: o.api ?? 'accounts',
      path: o.path ? o.path(i, r) : `/accounts/${1000 + u}`,
      status: r() < 0.01 ? 500 : r() < 0.03 ? 404 : 200,
      latencyMs: 20 + r() * 30,
      responseBytes: 800 + Math.floor(r() * 400),
      clientIp: `10.1.${u >> 8}.${u & 255}`,
      principal: `user-${u}`,
    });
    if (o.route) e.route = o.route;
    if (o.shape) e = o.shape(e, r, i);
    out.push(e);
  }
  return out;
}

export interface DetectOptions {
  /** Overrides of the detector config (as in the config file's `detectors:` section). */
  config?: Record<string, unknown>;
  /** Events per engine batch (default 500). */
  batchSize?: number;
  threats?: ThreatEntry[];
  detectors?: readonly Detector[];
  store?: StateStore;
}

/** Runs events (sorted by time) through the engine over in-memory state; returns every finding published. */
export async function detect(events: readonly ApiTransaction[], options: DetectOptions = {}): Promise<Finding[]> {
  const engine = new DetectionEngine({
    config: detectorsConfigSchema.parse(options.config ?? {}),
    store: options.store ?? new MemoryStateStore(),
    detectors: options.detectors,
    loadThreats: options.threats ? async () => createThreatMatcher(options.threats!) : undefined,
  });
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  const size = options.batchSize ?? 500;
  const findings: Finding[] = [];
  for (let i = 0; i < sorted.length; i += size) {
    const { findings: batch } = await engine.process(sorted.slice(i, i + size));
    await engine.markPublished(batch);
    findings.push(...batch);
  }
  return findings;
}

/** Findings of one detector. */
export function only(findings: readonly Finding[], detector: Finding['detector']): Finding[] {
  return findings.filter((f) => f.detector === detector);
}

export interface DayOptions {
  start?: number;
  hours?: number;
  /** Peak events per minute across all inbound APIs (at mid-afternoon). */
  peakPerMinute?: number;
  clients?: number;
  seed?: number;
}

/**
 * A clean simulated day: several inbound APIs and outbound providers,
 * hundreds of clients in sessions with human think times, daily seasonality
 * (night trough, afternoon peak), ordinary noise in errors, latency and size.
 * No attacks: detectors should stay quiet on it.
 */
export function cleanDay(o: DayOptions = {}): ApiTransaction[] {
  const r = rng(o.seed ?? 2026);
  const start = o.start ?? T0;
  const hours = o.hours ?? 24;
  const peak = o.peakPerMinute ?? 60;
  const clients = o.clients ?? 400;
  const apis = [
    { api: 'accounts', routes: [['/users/{id}/account', 'GET'], ['/users/{id}/settings', 'GET'], ['/users/{id}/settings', 'PUT']], sigs: ['acct-a'] },
    { api: 'orders', routes: [['/orders/{id}', 'GET'], ['/orders', 'POST'], ['/orders', 'GET']], sigs: ['ord-a'] },
    { api: 'search', routes: [['/search', 'GET'], ['/suggest', 'GET']], sigs: ['srch-a'] },
    { api: 'auth', routes: [['/login', 'POST']], sigs: ['auth-a'] },
  ] as const;
  const agents = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1) Mobile/15E148', 'MyShop/5.2 (Android 15; okhttp/4.12)'];
  const events: ApiTransaction[] = [];
  const end = start + hours * HOUR;
  // Expected sessions per minute follows the daily curve; each session is a few calls with think time.
  const rate = (t: number) => {
    const hourOfDay = ((t - start) / HOUR + 0) % 24;
    return 0.15 + 0.85 * Math.max(0, Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI)) ** 1.5;
  };
  let id = 0;
  const owned = new Map<number, number[]>();
  for (let minute = start; minute < end; minute += MINUTE) {
    const sessions = Math.round(((peak * rate(minute)) / 6) * (0.8 + 0.4 * r()));
    for (let s = 0; s < sessions; s++) {
      const client = Math.floor(r() * clients);
      let objects = owned.get(client);
      if (!objects) {
        objects = [100_000 + client * 10, 100_000 + client * 10 + 1, 100_000 + client * 10 + 2];
        owned.set(client, objects);
      }
      let t = minute + Math.floor(r() * MINUTE);
      const calls = 2 + Math.floor(r() * 8);
      for (let c = 0; c < calls && t < end; c++) {
        const a = apis[Math.floor(r() * apis.length)]!;
        const [route, method] = a.routes[Math.floor(r() * a.routes.length)]!;
        const objectId = objects[Math.floor(r() * objects.length)]!;
        const roll = r();
        const login = a.api === 'auth';
        events.push({
          id: `day-${id++}`,
          timestamp: t,
          direction: 'inbound',
          api: a.api,
          method,
          path: route.replace('{id}', String(objectId)),
          route,
          status: login ? (roll < 0.06 ? 401 : 200) : roll < 0.005 ? 503 : roll < 0.02 ? 404 : 200,
          latencyMs: Math.round(Math.exp(Math.log(25) + 0.4 * gaussian(r)) * 10) / 10,
          responseBytes: Math.round(1200 * (0.7 + 0.6 * r())),
          clientIp: `10.20.${client >> 8}.${client & 255}`,
          principal: `user-${client}`,
          userAgent: agents[client % agents.length]!,
          responseSignature: a.sigs[0],
        });
        t += Math.floor(2_000 + 25_000 * -Math.log(1 - r() * 0.999)); // human think time
      }
      // A share of sessions triggers outbound calls to providers.
      if (r() < 0.3) {
        const provider = r() < 0.6 ? 'payments-provider' : 'maps-provider';
        events.push({
          id: `day-${id++}`,
          timestamp: minute + Math.floor(r() * MINUTE),
          direction: 'outbound',
          api: provider,
          method: provider === 'payments-provider' ? 'POST' : 'GET',
          path: provider === 'payments-provider' ? '/v1/charges' : '/geocode',
          status: r() < 0.004 ? 502 : 200,
          latencyMs: Math.round(Math.exp(Math.log(140) + 0.3 * gaussian(r)) * 10) / 10,
          responseBytes: Math.round(600 * (0.8 + 0.4 * r())),
          clientId: 'checkout',
          rateLimitLimit: 100_000,
          rateLimitRemaining: 60_000 + Math.floor(r() * 30_000),
          responseSignature: `${provider}-v1`,
        });
      }
    }
  }
  return events.sort((x, y) => x.timestamp - y.timestamp);
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}
