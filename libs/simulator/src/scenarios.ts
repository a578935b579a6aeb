import type { ApiTransaction, Subject } from '@vigil/contracts';
import type { Label } from './ground-truth.js';
import type { Random } from './random.js';
import { MINUTE } from './traffic.js';

export type { Label } from './ground-truth.js';

/** A known-threats entry the scenario needs loaded (the format of `vigil threats load`). */
export interface ThreatEntry {
  kind: 'ip' | 'cidr' | 'user_agent' | 'key_id';
  value: string;
  reason?: string;
}

export interface AttackContext {
  /** When the attack starts (after the detectors' warm-up). */
  at: number;
  r: Random;
  scenario: string;
  /** A new event id. */
  id: () => string;
}

/** What a scenario adds to, or changes in, the background traffic. */
export interface Attack {
  events?: ApiTransaction[];
  shape?: (e: ApiTransaction, r: Random) => ApiTransaction | undefined;
  labels: Label[];
  threats?: ThreatEntry[];
  /** OpenAPI documents the teams declare for their apis (by api), for the inventory's detectors (`detectors.inventory.specs`). */
  specs?: Record<string, object>;
}

/** An inbound call as attackers' scripts make it: a browser's user agent unless `over` says otherwise. */
export const attacker = (over: Partial<ApiTransaction> & Pick<ApiTransaction, 'id' | 'timestamp' | 'path'>): ApiTransaction => ({
  direction: 'inbound',
  api: 'accounts',
  method: 'GET',
  status: 200,
  latencyMs: 25,
  responseBytes: 1400,
  contentType: 'application/json',
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  ...over,
});

export const label = (ctx: AttackContext, l: Omit<Label, 'scenario'>): Label => ({ scenario: ctx.scenario, ...l });

/** One principal reads many other users' accounts, one id after another (or at random), mostly denied or mostly served. */
function enumeration(ctx: AttackContext, o: { principal: string; ip: string; count: number; sequential: boolean; okShare: number }): Attack {
  const events: ApiTransaction[] = [];
  const spanMs = 2 * MINUTE;
  for (let i = 0; i < o.count; i++) {
    const id = o.sequential ? 200_000 + i : 100_000 + ctx.r.int(800);
    const ok = ctx.r.next() < o.okShare;
    events.push(
      attacker({ id: ctx.id(), timestamp: ctx.at + Math.round((i * spanMs) / o.count), path: `/users/${id}/account`, route: '/users/{id}/account', principal: o.principal, clientIp: o.ip, status: ok ? 200 : 403, responseBytes: ok ? 1400 : 120 }),
    );
  }
  return {
    events,
    labels: [label(ctx, { detector: 'bola_enumeration', api: 'accounts', subject: { kind: 'principal', value: o.principal }, start: ctx.at, end: ctx.at + spanMs, description: `${o.principal} reads ${o.count} accounts in 2 minutes` })],
  };
}

export const scenarios: Record<string, { summary: string; attack: (ctx: AttackContext) => Attack }> = {
  'clean-day': { summary: 'ordinary traffic, no attack', attack: () => ({ labels: [] }) },
  'bola-sequential': {
    summary: 'a logged-in user walks /users/{id}/account through 80 sequential ids in 2 minutes, mostly 403',
    attack: (ctx) => enumeration(ctx, { principal: 'mallory', ip: '192.0.2.66', count: 80, sequential: true, okShare: 0.3 }),
  },
  'bola-random': {
    summary: 'a logged-in user reads 80 random other accounts in 2 minutes, all served (a confirmed breach)',
    attack: (ctx) => enumeration(ctx, { principal: 'trudy', ip: '192.0.2.67', count: 80, sequential: false, okShare: 1 }),
  },
  'scraping-bot': {
    summary: 'a scraper with a library user agent walks 24 catalogue pages every 700 ms for 6 minutes',
    attack: (ctx) => {
      const ip = '198.18.0.77';
      const categories = Array.from({ length: 24 }, (_, i) => `c${i}`);
      const events = Array.from({ length: 500 }, (_, i) =>
        attacker({ id: ctx.id(), timestamp: ctx.at + i * 700 + ctx.r.int(20), api: 'search', path: `/categories/${categories[i % categories.length]}`, route: `/categories/${categories[i % categories.length]}`, clientIp: ip, userAgent: 'python-requests/2.32.3', responseBytes: 6000 }),
      );
      const end = ctx.at + 500 * 700;
      const subject: Subject = { kind: 'ip', value: ip };
      return {
        events,
        labels: [
          label(ctx, { detector: 'bot', api: 'search', subject, start: ctx.at, end, description: 'a metronome-regular scraper with a library agent' }),
          label(ctx, { detector: 'burst', api: 'search', subject, start: ctx.at, end, description: '85 calls a minute from a new client' }),
        ],
      };
    },
  },
  'credential-stuffing': {
    summary: 'one IP tries 60 accounts on /login, 120 attempts in 4 minutes, nearly all 401',
    attack: (ctx) => {
      const ip = '203.0.113.99';
      const events = Array.from({ length: 120 }, (_, i) =>
        attacker({ id: ctx.id(), timestamp: ctx.at + i * 2000, api: 'auth', method: 'POST', path: '/login', route: '/login', clientIp: ip, principal: `user-${(i * 7) % 60}`, status: ctx.r.next() < 0.97 ? 401 : 200, responseBytes: 200, latencyMs: 95 }),
      );
      return {
        events,
        labels: [
          label(ctx, { detector: 'credential_stuffing', api: 'auth', subject: { kind: 'ip', value: ip }, start: ctx.at, end: ctx.at + 4 * MINUTE, description: 'stuffing from one address' }),
          label(ctx, { detector: 'credential_stuffing', api: 'auth', start: ctx.at, end: ctx.at + 4 * MINUTE, description: 'the login route as a whole sees the campaign' }),
        ],
      };
    },
  },
  'credential-stuffing-distributed': {
    summary: '40 addresses try 150 accounts on /login, 4 attempts each over 10 minutes, all 401',
    attack: (ctx) => {
      const events: ApiTransaction[] = [];
      for (let i = 0; i < 160; i++) {
        events.push(attacker({ id: ctx.id(), timestamp: ctx.at + Math.round((i * 10 * MINUTE) / 160), api: 'auth', method: 'POST', path: '/login', route: '/login', clientIp: `203.0.113.${100 + (i % 40)}`, principal: `user-${(i * 13) % 150}`, status: 401, responseBytes: 200, latencyMs: 95 }));
      }
      return { events, labels: [label(ctx, { detector: 'credential_stuffing', api: 'auth', start: ctx.at, end: ctx.at + 10 * MINUTE, description: 'a campaign spread over 40 addresses' })] };
    },
  },
  burst: {
    summary: 'a user who makes a call a minute sends 150 order reads within one minute (an app stuck in a retry loop)',
    attack: (ctx) => {
      const principal = 'user-7';
      let t = ctx.at;
      const events = Array.from({ length: 150 }, () => {
        t += Math.round(ctx.r.exp(380));
        return attacker({ id: ctx.id(), timestamp: t, api: 'orders', path: '/orders', route: '/orders', principal, clientIp: '10.20.0.7', responseBytes: 5200 });
      });
      return { events, labels: [label(ctx, { detector: 'burst', api: 'orders', subject: { kind: 'principal', value: principal }, start: ctx.at, end: ctx.at + MINUTE, description: '150 calls in a minute from a quiet user' })] };
    },
  },
  'volume-drop': {
    summary: 'an upstream outage: the orders api receives nothing for 30 minutes',
    attack: (ctx) => ({
      shape: (e) => (e.api === 'orders' && e.timestamp >= ctx.at && e.timestamp < ctx.at + 30 * MINUTE ? undefined : e),
      labels: [label(ctx, { detector: 'volume_anomaly', api: 'orders', start: ctx.at, end: ctx.at + 30 * MINUTE, description: 'orders traffic drops to zero' })],
    }),
  },
  'error-surge': {
    summary: '40% of order reads fail with 503 for 20 minutes',
    attack: (ctx) => ({
      shape: (e, r) => (e.api === 'orders' && e.route === '/orders/{id}' && e.timestamp >= ctx.at && e.timestamp < ctx.at + 20 * MINUTE && r.next() < 0.4 ? { ...e, status: 503, responseBytes: 90 } : e),
      labels: [label(ctx, { detector: 'error_rate', api: 'orders', start: ctx.at, end: ctx.at + 20 * MINUTE, description: '5xx share from 0.4% to 40%' })],
    }),
  },
  'latency-degradation': {
    summary: "the payments provider's latency creeps to 3x over an hour",
    attack: (ctx) => ({
      shape: (e) => {
        if (e.api !== 'payments-provider' || e.timestamp < ctx.at) return e;
        const factor = 1 + 2 * Math.min(1, (e.timestamp - ctx.at) / (60 * MINUTE));
        return { ...e, latencyMs: Math.round(e.latencyMs * factor * 10) / 10 };
      },
      labels: [label(ctx, { detector: 'latency_degradation', api: 'payments-provider', start: ctx.at, end: ctx.at + 120 * MINUTE, description: 'p95 latency from 1x to 3x in an hour, then stays' })],
    }),
  },
  'schema-drift': {
    summary: 'order reads silently start returning a different shape',
    attack: (ctx) => ({
      shape: (e) => (e.api === 'orders' && e.route === '/orders/{id}' && e.timestamp >= ctx.at ? { ...e, responseSignature: 'order-v2-no-items' } : e),
      labels: [label(ctx, { detector: 'schema_drift', api: 'orders', start: ctx.at, end: ctx.at + 120 * MINUTE, description: 'a response signature never seen on /orders/{id}' })],
    }),
  },
  'rate-limit-exhaustion': {
    summary: "the maps provider's remaining quota falls to zero in 20 minutes, then it answers 429",
    attack: (ctx) => ({
      shape: (e) => {
        if (e.api !== 'maps-provider' || e.timestamp < ctx.at || e.timestamp >= ctx.at + 40 * MINUTE) return e;
        const left = Math.max(0, 1 - (e.timestamp - ctx.at) / (20 * MINUTE));
        const remaining = Math.floor((e.rateLimitLimit ?? 10_000) * left * 0.2);
        return remaining === 0 ? { ...e, status: 429, rateLimitRemaining: 0, responseBytes: 80 } : { ...e, rateLimitRemaining: remaining };
      },
      labels: [label(ctx, { detector: 'rate_limit_exhaustion', api: 'maps-provider', start: ctx.at, end: ctx.at + 40 * MINUTE, description: 'quota to zero, then 429s' })],
    }),
  },
  'huge-export': {
    summary: 'one user downloads an 80 MB export of all orders in one call',
    attack: (ctx) => {
      const principal = 'user-12';
      const subject: Subject = { kind: 'principal', value: principal };
      return {
        events: [attacker({ id: ctx.id(), timestamp: ctx.at, api: 'orders', path: '/orders', route: '/orders', principal, clientIp: '10.20.0.12', responseBytes: 80 * 1024 * 1024, latencyMs: 9_000 })],
        labels: [
          label(ctx, { detector: 'large_response', api: 'orders', subject, start: ctx.at, end: ctx.at + MINUTE, description: 'an 80 MB response' }),
          label(ctx, { detector: 'response_size', api: 'orders', start: ctx.at, end: ctx.at + MINUTE, description: 'the route (and the user) serve 80 MB in minutes' }),
        ],
      };
    },
  },
  'api-inventory': {
    summary: "the orders api's declared spec omits an export route that answers, marks a legacy route deprecated that a mobile app still calls, and requires a credential that an address then reads orders without",
    attack: (ctx) => inventoryDrift(ctx),
  },
  'known-bad-ip': {
    summary: 'an address on the known-threats list browses accounts',
    attack: (ctx) => {
      const ip = '185.220.101.7';
      const events = Array.from({ length: 12 }, (_, i) => attacker({ id: ctx.id(), timestamp: ctx.at + i * 20_000, path: `/users/${100_000 + i}/account`, route: '/users/{id}/account', clientIp: ip }));
      return {
        events,
        threats: [{ kind: 'ip', value: ip, reason: 'tor exit node seen in a past incident' }],
        labels: [label(ctx, { detector: 'known_threat', api: 'accounts', subject: { kind: 'ip', value: ip }, start: ctx.at, end: ctx.at + 4 * MINUTE, description: 'traffic from a listed address' })],
      };
    },
  },
};

/** The orders api as its team declares it: every route of the background, a deprecated v1 route, a credential required everywhere. */
export const ordersSpec = {
  openapi: '3.1.0',
  info: { title: 'orders', version: '2.3.0' },
  security: [{ bearer: [] }],
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  paths: {
    '/orders': { get: { responses: { 200: { description: 'orders' } } }, post: { responses: { 200: { description: 'created' } } } },
    '/orders/{orderId}': { get: { responses: { 200: { description: 'an order' } } } },
    '/v1/orders/{orderId}': { get: { deprecated: true, responses: { 200: { description: 'an order (v1)' } } } },
  },
};

/** Three departures from the declared spec, each labelled for its detector, about the endpoint (a route subject: `METHOD /template`). */
function inventoryDrift(ctx: AttackContext): Attack {
  const at = ctx.at;
  const route = (value: string) => ({ kind: 'route' as const, value });
  const exportCalls = Array.from({ length: 30 }, (_, i) => attacker({ id: ctx.id(), timestamp: at + i * 40_000, api: 'orders', path: '/admin/orders/export', route: '/admin/orders/export', principal: `user-${3 + (i % 4)}`, clientIp: `10.20.0.${30 + (i % 4)}`, responseBytes: 48_000 }));
  const legacy = Array.from({ length: 40 }, (_, i) => attacker({ id: ctx.id(), timestamp: at + 30 * MINUTE + i * 45_000, api: 'orders', path: `/v1/orders/${9000 + i}`, route: '/v1/orders/{id}', principal: `user-${20 + (i % 5)}`, clientIp: `10.30.0.${i % 5}`, userAgent: 'MyShop/3.9.0 (Android 11)', responseBytes: 1900 }));
  const anonymous = Array.from({ length: 20 }, (_, i) => attacker({ id: ctx.id(), timestamp: at + 70 * MINUTE + i * 30_000, api: 'orders', path: `/orders/${4000 + i * 7}`, route: '/orders/{id}', clientIp: '203.0.113.77', responseBytes: 2100 }));
  return {
    events: [...exportCalls, ...legacy, ...anonymous],
    specs: { orders: ordersSpec },
    labels: [
      label(ctx, { detector: 'shadow_endpoint', api: 'orders', subject: route('GET /admin/orders/export'), start: at, end: at + 20 * MINUTE, description: 'an export route no declared spec has, answering' }),
      label(ctx, { detector: 'zombie_endpoint', api: 'orders', subject: route('GET /v1/orders/{id}'), start: at + 30 * MINUTE, end: at + 60 * MINUTE, description: 'a deprecated route still called by an old app' }),
      label(ctx, { detector: 'unauthenticated_access', api: 'orders', subject: route('GET /orders/{id}'), start: at + 70 * MINUTE, end: at + 80 * MINUTE, description: 'orders read without a principal on a route the spec secures' }),
    ],
  };
}

/** Several scenarios on one stretch of traffic: when it starts (UTC hour), how long, and when each attack begins (minutes in). */
export interface Composite {
  summary: string;
  startHour: number;
  hours: number;
  attacks: readonly { scenario: string; minute: number }[];
}

export const composites: Record<string, Composite> = {
  'mixed-day': {
    summary: 'a whole day with six attacks hours apart',
    startHour: 0,
    hours: 24,
    attacks: [
      { scenario: 'bola-sequential', minute: 9 * 60 },
      { scenario: 'credential-stuffing', minute: 11 * 60 },
      { scenario: 'error-surge', minute: 13 * 60 },
      { scenario: 'known-bad-ip', minute: 15 * 60 },
      { scenario: 'scraping-bot', minute: 17 * 60 },
      { scenario: 'huge-export', minute: 19 * 60 },
    ],
  },
  demo: {
    summary: 'the README demo: a morning from 07:00 with five attacks after the two-hour warm-up',
    startHour: 7,
    hours: 4,
    attacks: [
      { scenario: 'credential-stuffing', minute: 125 },
      { scenario: 'bola-random', minute: 145 },
      { scenario: 'known-bad-ip', minute: 165 },
      { scenario: 'scraping-bot', minute: 185 },
      { scenario: 'huge-export', minute: 210 },
    ],
  },
};
