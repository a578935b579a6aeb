import type { ApiTransaction } from '@vigil/contracts';
import { createRandom, type Random } from '../random.js';
import { HOUR, MINUTE } from '../traffic.js';

export interface CleanDayOptions {
  /** First event time (default 2026-11-23T00:00Z). */
  start?: number;
  hours?: number;
  /** Peak events per minute across all inbound APIs (at mid-afternoon). */
  peakPerMinute?: number;
  clients?: number;
  seed?: number;
}

const apis: readonly { api: string; routes: readonly (readonly [route: string, method: string])[]; sig: string }[] = [
  { api: 'accounts', routes: [['/users/{id}/account', 'GET'], ['/users/{id}/settings', 'GET'], ['/users/{id}/settings', 'PUT']], sig: 'acct-a' },
  { api: 'orders', routes: [['/orders/{id}', 'GET'], ['/orders', 'POST'], ['/orders', 'GET']], sig: 'ord-a' },
  { api: 'search', routes: [['/search', 'GET'], ['/suggest', 'GET']], sig: 'srch-a' },
  { api: 'auth', routes: [['/login', 'POST']], sig: 'auth-a' },
];
const agents = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1) Mobile/15E148', 'MyShop/5.2 (Android 15; okhttp/4.12)'];

/** Where events go and how their ids are numbered (one counter for the whole day). */
interface Day {
  r: Random;
  end: number;
  events: ApiTransaction[];
  nextId: () => string;
}

/**
 * A clean simulated day: several inbound APIs and outbound providers,
 * hundreds of clients in sessions with human think times, daily seasonality
 * (night trough, afternoon peak), ordinary noise in errors, latency and size.
 * No attacks: detectors should stay quiet on it.
 */
export function cleanDay(o: CleanDayOptions = {}): ApiTransaction[] {
  const r = createRandom(o.seed ?? 2026);
  const start = o.start ?? Date.UTC(2026, 10, 23);
  const peak = o.peakPerMinute ?? 60;
  const clients = o.clients ?? 400;
  let id = 0;
  const day: Day = { r, end: start + (o.hours ?? 24) * HOUR, events: [], nextId: () => `day-${id++}` };
  // Expected sessions per minute follows the daily curve; each session is a few calls with think time.
  const rate = (t: number) => {
    const hourOfDay = ((t - start) / HOUR + 0) % 24;
    return 0.15 + 0.85 * Math.max(0, Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI)) ** 1.5;
  };
  const owned = new Map<number, number[]>();
  for (let minute = start; minute < day.end; minute += MINUTE) {
    const sessions = Math.round(((peak * rate(minute)) / 6) * (0.8 + 0.4 * r.next()));
    for (let s = 0; s < sessions; s++) {
      const client = r.int(clients);
      let objects = owned.get(client);
      if (!objects) {
        objects = [100_000 + client * 10, 100_000 + client * 10 + 1, 100_000 + client * 10 + 2];
        owned.set(client, objects);
      }
      session(day, client, objects, minute + r.int(MINUTE));
      // A share of sessions triggers outbound calls to providers.
      if (r.next() < 0.3) providerCall(day, minute);
    }
  }
  return day.events.sort((x, y) => x.timestamp - y.timestamp);
}

/** A client's session: 2 to 9 calls to its own objects, with human think times, cut at the end of the day. */
function session(day: Day, client: number, objects: readonly number[], from: number): void {
  const { r } = day;
  let t = from;
  const calls = 2 + r.int(8);
  for (let c = 0; c < calls && t < day.end; c++) {
    const a = r.pick(apis);
    const [route, method] = r.pick(a.routes);
    const objectId = r.pick(objects);
    const roll = r.next();
    const login = a.api === 'auth';
    day.events.push({
      id: day.nextId(),
      timestamp: t,
      direction: 'inbound',
      api: a.api,
      method,
      path: route.replace('{id}', String(objectId)),
      route,
      status: login ? (roll < 0.06 ? 401 : 200) : roll < 0.005 ? 503 : roll < 0.02 ? 404 : 200,
      latencyMs: Math.round(r.logNormal(25, 0.4) * 10) / 10,
      responseBytes: Math.round(1200 * (0.7 + 0.6 * r.next())),
      clientIp: `10.20.${client >> 8}.${client & 255}`,
      principal: `user-${client}`,
      userAgent: agents[client % agents.length]!,
      responseSignature: a.sig,
    });
    t += Math.floor(2_000 + r.exp(25_000)); // human think time
  }
}

/** One call of the shop's checkout to a payments or maps provider, within `minute`. */
function providerCall(day: Day, minute: number): void {
  const { r } = day;
  const provider = r.next() < 0.6 ? 'payments-provider' : 'maps-provider';
  day.events.push({
    id: day.nextId(),
    timestamp: minute + r.int(MINUTE),
    direction: 'outbound',
    api: provider,
    method: provider === 'payments-provider' ? 'POST' : 'GET',
    path: provider === 'payments-provider' ? '/v1/charges' : '/geocode',
    status: r.next() < 0.004 ? 502 : 200,
    latencyMs: Math.round(r.logNormal(140, 0.3) * 10) / 10,
    responseBytes: Math.round(600 * (0.8 + 0.4 * r.next())),
    clientId: 'checkout',
    rateLimitLimit: 100_000,
    rateLimitRemaining: 60_000 + r.int(30_000),
    responseSignature: `${provider}-v1`,
  });
}
