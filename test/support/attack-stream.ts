import { createCodec, transactionContract, transactionKey, type ApiTransaction } from '@vigil/contracts';
import { createRandom, scenarios, type Label, type Random, type ThreatEntry } from '@vigil/simulator';

/**
 * A dense, seeded stream of API traffic with labelled attacks, generated one
 * event at a time (millions of events without holding them): many users
 * keyed as producers key them (`transactionKey`: principal, else client IP),
 * so a topic's partitions spread the subjects, plus the simulator's attack
 * scenarios at fixed points of the stream, and optionally malformed
 * messages. Deterministic for a seed.
 */

const MINUTE = 60_000;

interface Route {
  api: string;
  method: string;
  route: string;
  /** A path for a user (its own object ids), or the route itself. */
  path: (user: number, r: Random) => string;
  latencyMs: number;
  bytes: number;
  signature: string;
  weight: number;
}

const own = (template: string, ids: (user: number, r: Random) => number) => (user: number, r: Random) => template.replace('{id}', String(ids(user, r)));
const fixed = (p: string) => () => p;
const accountOf = (user: number) => 1_000_000 + user;
const orderOf = (user: number, r: Random) => 5_000_000 + user * 8 + r.int(8);

/** The shop's inbound routes (the simulator's vocabulary); `/login` is a small share, as on a busy site. */
const inbound: readonly Route[] = [
  { api: 'accounts', method: 'GET', route: '/users/{id}/account', path: own('/users/{id}/account', accountOf), latencyMs: 28, bytes: 1400, signature: 'acct-account-v1', weight: 10 },
  { api: 'accounts', method: 'GET', route: '/users/{id}/settings', path: own('/users/{id}/settings', accountOf), latencyMs: 22, bytes: 900, signature: 'acct-settings-v1', weight: 4 },
  { api: 'orders', method: 'GET', route: '/orders', path: fixed('/orders'), latencyMs: 45, bytes: 5200, signature: 'orders-list-v1', weight: 6 },
  { api: 'orders', method: 'GET', route: '/orders/{id}', path: own('/orders/{id}', orderOf), latencyMs: 30, bytes: 2100, signature: 'order-v1', weight: 9 },
  { api: 'orders', method: 'POST', route: '/orders', path: fixed('/orders'), latencyMs: 80, bytes: 700, signature: 'order-created-v1', weight: 2 },
  { api: 'search', method: 'GET', route: '/search', path: fixed('/search'), latencyMs: 60, bytes: 8000, signature: 'search-v1', weight: 8 },
  { api: 'search', method: 'GET', route: '/suggest', path: fixed('/suggest'), latencyMs: 12, bytes: 600, signature: 'suggest-v1', weight: 5 },
  { api: 'auth', method: 'POST', route: '/login', path: fixed('/login'), latencyMs: 90, bytes: 400, signature: 'login-v1', weight: 0.15 },
];
const inboundWeight = inbound.reduce((a, r) => a + r.weight, 0);

const providers = [
  { api: 'payments-provider', method: 'POST', route: '/v1/charges', latencyMs: 180, bytes: 900, signature: 'charge-v1', limit: 200_000, clientId: 'checkout-service' },
  { api: 'maps-provider', method: 'GET', route: '/geocode', latencyMs: 70, bytes: 1200, signature: 'geocode-v1', limit: 100_000, clientId: 'delivery-service' },
  { api: 'messaging-provider', method: 'POST', route: '/v1/messages', latencyMs: 110, bytes: 300, signature: 'message-v1', limit: 100_000, clientId: 'notifications-service' },
] as const;

const agents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'MyShop/5.2.1 (iPhone; iOS 18.1)',
  'MyShop/5.2.0 (Android 15; Pixel 8)',
] as const;

/** Where in the stream (share of its event-time span) each attack starts. */
const plan: readonly { scenario: string; at: number }[] = [
  { scenario: 'bola-sequential', at: 0.12 },
  { scenario: 'credential-stuffing', at: 0.2 },
  { scenario: 'known-bad-ip', at: 0.3 },
  { scenario: 'bola-random', at: 0.4 },
  { scenario: 'scraping-bot', at: 0.45 },
  { scenario: 'huge-export', at: 0.55 },
  { scenario: 'credential-stuffing-campaign', at: 0.62 },
  { scenario: 'quota-exhaustion', at: 0.75 },
];

/**
 * Two attacks sized for a busy stream (the simulator's are sized for a
 * small shop): a distributed campaign that outweighs the login route's
 * ordinary traffic, and a provider quota that runs out within minutes.
 */
function denseAttack(name: string, at: number, id: () => string): { events: ApiTransaction[]; labels: Label[] } {
  const base = { direction: 'inbound' as const, latencyMs: 95, responseBytes: 200, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0' };
  if (name === 'credential-stuffing-campaign') {
    // 1,800 failures in 3 minutes against the route's ~1,000 ordinary logins in 5: with 900, the share of failures
    // in its windows measured 0.38–0.53 as the partitions were read, on both sides of the 0.5 a route without a
    // baseline needs. Each of the 120 addresses stays under the per-address threshold (15 failures).
    const events = Array.from({ length: 1800 }, (_, i): ApiTransaction => ({
      ...base,
      id: id(),
      timestamp: at + Math.round((i * 3 * MINUTE) / 1800),
      api: 'auth',
      method: 'POST',
      path: '/login',
      route: '/login',
      clientIp: `198.51.100.${10 + (i % 120)}`,
      principal: `victim-${(i * 17) % 400}`,
      status: 401,
    }));
    return { events, labels: [{ scenario: name, detector: 'credential_stuffing', api: 'auth', start: at, end: at + 3 * MINUTE, description: '120 addresses fail 1,800 logins against 400 accounts in 3 minutes' }] };
  }
  // quota-exhaustion: the maps provider reports its quota at 3% and then answers 429, for 2 minutes.
  const events = Array.from({ length: 240 }, (_, i): ApiTransaction => ({
    id: id(),
    timestamp: at + i * 500,
    direction: 'outbound',
    api: 'maps-provider',
    method: 'GET',
    path: '/geocode',
    route: '/geocode',
    status: i < 120 ? 200 : 429,
    latencyMs: 70,
    responseBytes: i < 120 ? 1200 : 80,
    clientId: 'delivery-service',
    rateLimitLimit: 100_000,
    rateLimitRemaining: i < 120 ? 3000 - i * 25 : 0,
  }));
  return { events, labels: [{ scenario: name, detector: 'rate_limit_exhaustion', api: 'maps-provider', start: at, end: at + 2 * MINUTE, description: 'quota at 3%, then 429s' }] };
}

export interface AttackStreamOptions {
  /** Messages in all (events, attack events and malformed messages). */
  messages: number;
  /** Event-time rate of the background (events a second). */
  perSecond: number;
  seed?: number;
  /** First event time. */
  start?: number;
  users?: number;
  /** One malformed message every this many messages (0: none). */
  malformedEvery?: number;
  /** The share of the stream's span where the first and the last attack start (default 0.12 and 0.75). */
  attacksFrom?: number;
  attacksTo?: number;
}

export type StreamItem = { kind: 'event'; event: ApiTransaction } | { kind: 'malformed'; key: string; value: Buffer; reason: string };

export interface AttackStream {
  /** The items in order (event time, with malformed messages in between). */
  items(): Generator<StreamItem>;
  /** Ground truth: what each attack should raise. */
  labels: Label[];
  /** The known threats the attacks need loaded. */
  threats: ThreatEntry[];
  start: number;
  end: number;
  malformed: number;
}

/** Malformed messages of the kinds a real topic gets: not JSON, a missing field, a bad timestamp, a wrong type, an empty body. */
function malformedMessage(i: number): { value: Buffer; reason: string } {
  switch (i % 5) {
    case 0:
      return { value: Buffer.from(`{"id":"bad-${i}","timestamp":`), reason: 'truncated JSON' };
    case 1:
      return { value: Buffer.from(JSON.stringify({ id: `bad-${i}`, timestamp: '2026-11-18T13:00:00Z', direction: 'inbound', api: 'accounts', method: 'GET', path: '/x', latencyMs: 3 })), reason: 'no status' };
    case 2:
      return { value: Buffer.from(JSON.stringify({ id: `bad-${i}`, timestamp: 'yesterday', direction: 'inbound', api: 'accounts', method: 'GET', path: '/x', status: 200, latencyMs: 3 })), reason: 'bad timestamp' };
    case 3:
      return { value: Buffer.from(JSON.stringify({ id: `bad-${i}`, timestamp: '2026-11-18T13:00:00Z', direction: 'sideways', api: 'accounts', method: 'GET', path: '/x', status: '200', latencyMs: 3 })), reason: 'wrong types' };
    default:
      return { value: Buffer.alloc(0), reason: 'empty body' };
  }
}

export function attackStream(o: AttackStreamOptions): AttackStream {
  const seed = o.seed ?? 11;
  const start = o.start ?? Date.UTC(2026, 10, 18, 13, 0, 0);
  const users = o.users ?? 50_000;
  const every = o.malformedEvery ?? 0;
  const malformed = every > 0 ? Math.floor(o.messages / every) : 0;

  // Attacks first (a few thousand events), so the background fills the rest of the count.
  const r = createRandom(seed);
  let n = 0;
  const id = () => `atk-${seed}-${n++}`;
  const spanGuess = ((o.messages - malformed) / o.perSecond) * 1000;
  const attackEvents: ApiTransaction[] = [];
  const labels: Label[] = [];
  const threats: ThreatEntry[] = [];
  const [from, to] = [o.attacksFrom ?? 0.12, o.attacksTo ?? 0.75];
  const first = plan[0]!.at;
  const last = plan[plan.length - 1]!.at;
  for (const p of plan) {
    const at = start + Math.round((from + ((p.at - first) / (last - first)) * (to - from)) * spanGuess);
    const attack = scenarios[p.scenario] ? scenarios[p.scenario]!.attack({ at, r, scenario: p.scenario, id }) : denseAttack(p.scenario, at, id);
    attackEvents.push(...(attack.events ?? []));
    // The simulator's side-effect labels that need a warmed-up baseline (burst, response_size) cannot fire in a stream shorter than the warm-up.
    labels.push(...attack.labels.filter((l) => l.detector !== 'burst' && l.detector !== 'response_size'));
    threats.push(...((attack as { threats?: ThreatEntry[] }).threats ?? []));
  }
  attackEvents.sort((a, b) => a.timestamp - b.timestamp);
  const background = o.messages - malformed - attackEvents.length;
  const end = start + Math.round((background / o.perSecond) * 1000);
  const lastAttack = attackEvents[attackEvents.length - 1]?.timestamp ?? start;
  if (lastAttack >= end) throw new Error(`the attacks end after the stream (${new Date(lastAttack).toISOString()} > ${new Date(end).toISOString()}): use more messages or a lower rate`);

  function* items(): Generator<StreamItem> {
    const rb = createRandom(seed * 7919 + 1);
    let a = 0;
    let written = 0;
    let bad = 0;
    const out = function* (event: ApiTransaction): Generator<StreamItem> {
      yield { kind: 'event', event };
      written++;
      if (every > 0 && written % (every - 1) === 0 && bad < malformed) {
        const m = malformedMessage(bad);
        yield { kind: 'malformed', key: `bad-${bad}`, ...m };
        bad++;
      }
    };
    for (let i = 0; i < background; i++) {
      const timestamp = start + Math.floor((i * 1000) / o.perSecond);
      while (a < attackEvents.length && attackEvents[a]!.timestamp <= timestamp) yield* out(attackEvents[a++]!);
      yield* out(backgroundEvent(rb, `bg-${seed}-${i}`, timestamp, users));
    }
    while (a < attackEvents.length) yield* out(attackEvents[a++]!);
    while (bad < malformed) {
      const m = malformedMessage(bad);
      yield { kind: 'malformed', key: `bad-${bad}`, ...m };
      bad++;
    }
  }

  return { items, labels, threats, start, end, malformed };
}

function backgroundEvent(r: Random, id: string, timestamp: number, users: number): ApiTransaction {
  if (r.next() < 0.1) {
    const p = providers[r.int(providers.length)]!;
    const status = r.next() < 0.003 ? 502 : 200;
    return {
      id,
      timestamp,
      direction: 'outbound',
      api: p.api,
      method: p.method,
      path: p.route,
      route: p.route,
      status,
      latencyMs: Math.round(p.latencyMs * r.logNormal(1, 0.35) * 10) / 10,
      responseBytes: Math.round(p.bytes * r.logNormal(1, 0.2)),
      responseSignature: p.signature,
      contentType: 'application/json',
      clientId: p.clientId,
      rateLimitLimit: p.limit,
      rateLimitRemaining: p.limit - 1 - Math.floor((timestamp / 1000) % 3600) * 10,
    };
  }
  let x = r.next() * inboundWeight;
  let route = inbound[0]!;
  for (const candidate of inbound) {
    x -= candidate.weight;
    if (x < 0) {
      route = candidate;
      break;
    }
  }
  const user = r.int(users);
  const idRoute = route.route.includes('{id}');
  const login = route.route === '/login';
  const status = login ? (r.next() < 0.05 ? 401 : 200) : r.next() < 0.004 ? 503 : idRoute && r.next() < 0.02 ? 404 : 200;
  const event: ApiTransaction = {
    id,
    timestamp,
    direction: 'inbound',
    api: route.api,
    method: route.method,
    path: route.path(user, r),
    route: route.route,
    status,
    latencyMs: Math.round(route.latencyMs * r.logNormal(1, 0.4) * 10) / 10,
    responseBytes: status >= 400 ? 120 : Math.round(route.bytes * r.logNormal(1, 0.3)),
    responseSignature: status >= 400 ? 'error-v1' : route.signature,
    contentType: 'application/json',
    clientIp: `10.${(user >> 16) & 255}.${(user >> 8) & 255}.${user & 255}`,
    userAgent: agents[user % agents.length]!,
  };
  // A third of search traffic is anonymous: keyed (and counted) by its address.
  if (!(route.api === 'search' && user % 3 === 0)) event.principal = `u${user}`;
  return event;
}

/** Kafka messages for a stream: keyed as producers key them, JSON values (validated by the contract's codec). */
export function* streamMessages(stream: AttackStream, topic: string): Generator<{ key: string; value: Buffer; malformed: boolean }> {
  const codec = createCodec(transactionContract, { topic });
  for (const item of stream.items()) {
    if (item.kind === 'event') yield { key: transactionKey(item.event), value: codec.encodeJson(item.event), malformed: false };
    else yield { key: item.key, value: item.value, malformed: true };
  }
}
