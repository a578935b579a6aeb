import type { ApiTransaction } from '@vigil/contracts';
import { createRandom } from '../random.js';
import { MINUTE } from '../traffic.js';

export interface SteadyTrafficOptions {
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

const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0';

/**
 * Ordinary traffic on one api at a steady rate: many users with human think
 * times, mostly 200s, jittered latency and size. The detectors' unit tests
 * build their baselines on it (`background` in libs/detectors/src/testing.ts).
 */
export function steadyTraffic(o: SteadyTrafficOptions): ApiTransaction[] {
  const seed = o.seed ?? 7;
  const r = createRandom(seed).next;
  const out: ApiTransaction[] = [];
  const users = o.users ?? 200;
  const total = Math.round(((o.to - o.from) / MINUTE) * o.perMinute);
  for (let i = 0; i < total; i++) {
    const timestamp = o.from + Math.floor((i / total) * (o.to - o.from) + r() * 500);
    const u = Math.floor(r() * users);
    // Fields in this order: the draws of the path, status, latency and size come one after the other.
    let e: ApiTransaction = {
      id: `bg-${seed}-${i}`,
      timestamp,
      direction: o.direction ?? 'inbound',
      api: o.api ?? 'accounts',
      method: 'GET',
      path: o.path ? o.path(i, r) : `/accounts/${1000 + u}`,
      status: r() < 0.01 ? 500 : r() < 0.03 ? 404 : 200,
      latencyMs: 20 + r() * 30,
      responseBytes: 800 + Math.floor(r() * 400),
      clientIp: `10.1.${u >> 8}.${u & 255}`,
      userAgent: USER_AGENT,
      principal: `user-${u}`,
    };
    if (o.route) e.route = o.route;
    if (o.shape) e = o.shape(e, r, i);
    out.push(e);
  }
  return out;
}
