import type { ApiTransaction } from '@vigil/contracts';
import type { Label } from '../ground-truth.js';
import type { Random } from '../random.js';
import { MINUTE, mobileAgents, webAgents } from '../traffic.js';
import { injectedAnomalies, pareto, poisson, rateNoise, rhythm, type InjectedAnomaly } from './busy-api-rate.js';
import { round1, type LongRunContext, type LongRun } from './long-run.js';

/** Calls a minute at the weekday peak, before noise. */
export const BUSY_PEAK_PER_MINUTE = 110;
const CUSTOMERS = 40_000;
const PRODUCTS = 5_000;
const agents = [...webAgents, ...mobileAgents];

interface StoreRoute {
  method: string;
  route: string;
  weight: number;
  latencyMs: number;
  bytes: number;
  signature: string;
  /** Only for logged-in customers. */
  account?: boolean;
}

const ROUTES: readonly StoreRoute[] = [
  { method: 'GET', route: '/', weight: 10, latencyMs: 35, bytes: 24_000, signature: 'home-v1' },
  { method: 'GET', route: '/products', weight: 9, latencyMs: 55, bytes: 16_000, signature: 'product-list-v1' },
  { method: 'GET', route: '/products/{id}', weight: 30, latencyMs: 28, bytes: 9_000, signature: 'product-v1' },
  { method: 'GET', route: '/search', weight: 14, latencyMs: 70, bytes: 12_000, signature: 'search-v2' },
  { method: 'GET', route: '/cart', weight: 8, latencyMs: 22, bytes: 1_800, signature: 'cart-v1' },
  { method: 'POST', route: '/cart/items', weight: 6, latencyMs: 40, bytes: 900, signature: 'cart-item-v1' },
  { method: 'POST', route: '/checkout', weight: 1.5, latencyMs: 220, bytes: 1_200, signature: 'checkout-v1' },
  { method: 'GET', route: '/account/orders', weight: 2, latencyMs: 45, bytes: 4_000, signature: 'my-orders-v1', account: true },
  { method: 'POST', route: '/login', weight: 1.5, latencyMs: 90, bytes: 400, signature: 'login-v1', account: true },
];
const totalWeight = ROUTES.reduce((a, x) => a + x.weight, 0);

function pickRoute(r: Random, loggedIn: boolean): StoreRoute {
  for (;;) {
    let x = r.next() * totalWeight;
    const route = ROUTES.find((candidate) => (x -= candidate.weight) < 0) ?? ROUTES[0]!;
    if (loggedIn || !route.account) return route;
  }
}

/** Who a session belongs to: a customer (a power law over 40,000: the most active comes a dozen times a day) or an anonymous visitor. */
interface Visitor {
  principal?: string;
  ip: string;
  userAgent: string;
}

function visitor(r: Random): Visitor {
  if (r.next() < 0.45) return { ip: `100.${64 + r.int(64)}.${r.int(256)}.${r.int(256)}`, userAgent: r.pick(agents) };
  const n = Math.floor(CUSTOMERS * r.next() ** 1.5);
  return { principal: `cust-${n}`, ip: `172.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`, userAgent: agents[n % agents.length]! };
}

function statusOf(route: StoreRoute, roll: number): number {
  if (roll < 0.003) return 503;
  if (route.route === '/products/{id}' && roll < 0.018) return 404;
  if (route.route === '/checkout' && roll < 0.033) return 402;
  if (route.route === '/login' && roll < 0.053) return 401;
  return 200;
}

/** Calls in a session: a third leave after one page; the rest follow a heavy tail (2 to 60). */
function sessionLength(r: Random): number {
  return r.next() < 0.3 ? 1 : Math.min(60, Math.floor(pareto(r, 2, 1.6)));
}
/** The mean of sessionLength, 0.3 + 0.7 · Σ_{k=1..60} min(1, (2/k)^1.6): sessions arrive at the rate of calls / this. */
export const MEAN_CALLS_PER_SESSION = 3.43;

function call(r: Random, id: string, t: number, who: Visitor): ApiTransaction {
  const route = pickRoute(r, who.principal !== undefined);
  const product = 1 + Math.floor(PRODUCTS * r.next() ** 2.2);
  const e: ApiTransaction = {
    id,
    timestamp: t,
    direction: 'inbound',
    api: 'storefront',
    method: route.method,
    path: route.route === '/products/{id}' ? `/products/${product}` : route.route,
    route: route.route,
    status: statusOf(route, r.next()),
    latencyMs: round1(r.logNormal(route.latencyMs, 0.45)),
    responseBytes: Math.round(r.logNormal(route.bytes, 0.3)),
    clientIp: who.ip,
    userAgent: who.userAgent,
    responseSignature: route.signature,
    contentType: route.route === '/' ? 'text/html' : 'application/json',
  };
  if (who.principal) e.principal = who.principal;
  return e;
}

const factorAt = (anomalies: readonly InjectedAnomaly[], t: number) => anomalies.reduce((f, a) => (t >= a.from && t < a.to && a.factor > 1 ? f * a.factor : f), 1);
const inOutage = (anomalies: readonly InjectedAnomaly[], t: number) => anomalies.some((a) => a.factor < 1 && t >= a.from && t < a.to);

/**
 * Two weeks of a busy api, `storefront`: sessions of customers and anonymous
 * visitors arriving along a daily and weekly rhythm (holidays like Sundays),
 * their rate carrying heavy-tailed noise and ordinary short bursts, sessions
 * of heavy-tailed length with human think times; and three real anomalies,
 * each labelled for `volume_anomaly`.
 */
export const busyApi: LongRun = {
  summary:
    'two weeks of a busy api (storefront, about 110 calls a minute at the weekday peak, more after the shift) from Monday 2026-12-14: daily and weekly rhythm, ' +
    'Christmas Eve and Christmas Day like Sundays, heavy-tailed noise and ordinary short bursts; three injected anomalies: ' +
    'an outage of 45 minutes on day 4, five times the traffic for 3 hours on day 5, traffic doubling from day 9 on',
  defaultStart: Date.UTC(2026, 11, 14),
  defaultHours: 14 * 24,
  allowance: { perWeek: 1 },
  build(ctx: LongRunContext) {
    const { r } = ctx;
    const anomalies = injectedAnomalies(ctx.start, ctx.end);
    const noise = rateNoise(r);
    const events: ApiTransaction[] = [];
    let n = 0;
    for (let minute = Math.ceil(ctx.start / MINUTE) * MINUTE; minute < ctx.end; minute += MINUTE) {
      const callsPerMinute = BUSY_PEAK_PER_MINUTE * rhythm(minute, ctx.start) * noise(minute) * factorAt(anomalies, minute);
      const sessions = poisson(r, callsPerMinute / MEAN_CALLS_PER_SESSION);
      for (let s = 0; s < sessions; s++) {
        const who = visitor(r);
        let t = minute + r.int(MINUTE);
        for (let c = sessionLength(r); c > 0 && t < ctx.end; c--) {
          const e = call(r, `busy-${n++}`, t, who);
          if (!inOutage(anomalies, t) || r.next() < 0.02) events.push(e);
          t += Math.round(2_000 + r.logNormal(6_000, 0.9));
        }
      }
    }
    const labels: Label[] = anomalies.map((a) => ({ scenario: ctx.scenario, detector: 'volume_anomaly', api: 'storefront', start: a.from, end: a.labelEnd, description: a.description }));
    return { events, labels, patterns: [] };
  },
};
