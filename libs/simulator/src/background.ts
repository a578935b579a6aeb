import type { ApiTransaction } from '@vigil/contracts';
import type { Random } from './random.js';
import { createClients, HOUR, inboundRoutes, MINUTE, providers, seasonality, type Client, type RouteProfile } from './traffic.js';

export interface BackgroundOptions {
  start: number;
  hours: number;
  r: Random;
  clients?: number;
  /** User sessions a minute at the daily peak (each a few calls with think time). */
  peakSessionsPerMinute?: number;
  /** Share of sessions that make one call to a third-party provider. */
  outboundShare?: number;
  /** Changes an event, or drops it (undefined): how scenarios bend normal traffic. */
  shape?: (e: ApiTransaction, r: Random) => ApiTransaction | undefined;
}

export interface Background {
  events: ApiTransaction[];
  clients: Client[];
}

const totalWeight = inboundRoutes.reduce((a, r) => a + r.weight, 0);
function pickRoute(r: Random): RouteProfile {
  let x = r.next() * totalWeight;
  for (const route of inboundRoutes) {
    x -= route.weight;
    if (x < 0) return route;
  }
  return inboundRoutes[0]!;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Ordinary traffic: sessions of real-looking users (web and mobile agents,
 * their own account and order ids, human think times), a daily and weekly
 * rhythm, the usual 404s, failed logins and rare 5xx, and outbound calls to
 * providers with their rate-limit headers. Deterministic for a seed.
 */
export function background(o: BackgroundOptions): Background {
  const { r } = o;
  const clients = createClients(o.clients ?? 800, r);
  const peak = o.peakSessionsPerMinute ?? 40;
  const outboundShare = o.outboundShare ?? 0.35;
  const end = o.start + o.hours * HOUR;
  const events: ApiTransaction[] = [];
  const used = new Map<string, { hour: number; count: number }>();
  let seq = 0;
  const push = (e: ApiTransaction) => {
    const shaped = o.shape ? o.shape(e, r) : e;
    if (shaped) events.push(shaped);
  };

  for (let minute = o.start; minute < end; minute += MINUTE) {
    const sessions = Math.round(peak * seasonality(minute) * (0.85 + 0.3 * r.next()));
    for (let s = 0; s < sessions; s++) {
      const client = r.pick(clients);
      let t = minute + r.int(MINUTE);
      const calls = 2 + r.int(8);
      for (let c = 0; c < calls && t < end; c++) {
        const route = pickRoute(r);
        const objectId = route.api === 'orders' ? r.pick(client.orderIds) : client.accountId;
        const roll = r.next();
        const anonymous = route.api === 'search' && roll > 0.7;
        const status = route.login ? (roll < 0.06 ? 401 : 200) : roll < 0.004 ? 503 : route.route.includes('{id}') && roll < 0.02 ? 404 : 200;
        const e: ApiTransaction = {
          id: `sim-${o.start.toString(36)}-${seq++}`,
          timestamp: t,
          direction: 'inbound',
          api: route.api,
          method: route.method,
          path: route.path(objectId, r),
          route: route.route,
          status,
          latencyMs: round1(r.logNormal(route.latencyMs, 0.35)),
          responseBytes: Math.round(r.logNormal(route.bytes, 0.25)),
          clientIp: client.ip,
          userAgent: client.userAgent,
          responseSignature: route.api === 'search' && r.next() < 0.1 ? 'search-empty-v1' : route.signature,
          contentType: 'application/json',
          tags: { env: 'prod' },
        };
        if (!anonymous) e.principal = client.principal;
        push(e);
        t += Math.round(1_000 + r.exp(8_000));
      }
      if (r.next() < outboundShare) {
        const roll = r.next();
        const p = roll < 0.5 ? providers[0] : roll < 0.8 ? providers[1] : providers[2];
        const at = minute + r.int(MINUTE);
        const hour = Math.floor(at / HOUR);
        const u = used.get(p.api);
        const count = u && u.hour === hour ? u.count + 1 : 1;
        used.set(p.api, { hour, count });
        push({
          id: `sim-${o.start.toString(36)}-${seq++}`,
          timestamp: at,
          direction: 'outbound',
          api: p.api,
          method: p.method,
          path: p.route,
          route: p.route,
          status: r.next() < 0.003 ? 502 : 200,
          latencyMs: round1(r.logNormal(p.latencyMs, 0.3)),
          responseBytes: Math.round(r.logNormal(p.bytes, 0.2)),
          clientId: p.clientId,
          responseSignature: p.signature,
          rateLimitLimit: p.limit,
          rateLimitRemaining: Math.max(0, p.limit - count),
          tags: { env: 'prod' },
        });
      }
    }
  }
  events.sort((a, b) => a.timestamp - b.timestamp);
  return { events, clients };
}
