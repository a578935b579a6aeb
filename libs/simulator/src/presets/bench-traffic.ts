import type { ApiTransaction } from '@vigil/contracts';
import { createRandom } from '../random.js';

const inbound = [
  { api: 'accounts', paths: ['/users/{n}/account', '/users/{n}/settings', '/users/me'] },
  { api: 'orders', paths: ['/orders/{n}', '/orders', '/orders/{n}/items/{m}'] },
  { api: 'search', paths: ['/search', '/suggest'] },
  { api: 'auth', paths: ['/login', '/token/refresh'] },
] as const;
const outbound = [
  { api: 'payments-provider', paths: ['/v1/charges', '/v1/refunds/{n}'] },
  { api: 'maps-provider', paths: ['/geocode', '/route'] },
] as const;
const agents = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1) Safari/604.1', 'okhttp/4.12.0', 'MyShop/5.2 (Android 15)'];

/**
 * Realistic-looking traffic for benchmarks and the soak: several inbound
 * APIs and outbound providers, 5,000 clients, human think times, a few
 * errors, id-bearing paths, `perSecond` events a second of event time from
 * `start`. A generator, so a run can draw as many as it needs
 * (`Number.POSITIVE_INFINITY`). Deterministic for a given seed.
 */
export function* benchTraffic(count: number, start = Date.UTC(2026, 10, 23, 8), perSecond = 2000, seed = 1): Generator<ApiTransaction> {
  const random = createRandom(seed);
  const r = random.next;
  for (let i = 0; i < count; i++) {
    const timestamp = start + Math.floor((i * 1000) / perSecond);
    const out = r() < 0.15;
    const group = out ? outbound[Math.floor(r() * outbound.length)]! : inbound[Math.floor(r() * inbound.length)]!;
    const template = group.paths[Math.floor(r() * group.paths.length)]!;
    const user = Math.floor(r() * 5000);
    const path = template.replace('{n}', String(1000 + Math.floor(r() * 100_000))).replace('{m}', String(Math.floor(r() * 20)));
    const roll = r();
    const e: ApiTransaction = {
      id: `b-${seed}-${i}`,
      timestamp,
      direction: out ? 'outbound' : 'inbound',
      api: group.api,
      method: template === '/login' || template === '/v1/charges' ? 'POST' : 'GET',
      path,
      status: roll < 0.01 ? 503 : roll < 0.04 ? 404 : roll < 0.05 ? 401 : 200,
      latencyMs: Math.round((out ? 120 : 15) * (0.5 + r() * 1.5) * 10) / 10,
      responseBytes: 200 + Math.floor(r() * 4000),
      responseSignature: `sig-${group.api}-${template.length % 3}`,
    };
    if (out) {
      e.clientId = r() < 0.5 ? 'checkout' : 'delivery';
      e.rateLimitLimit = 10_000;
      e.rateLimitRemaining = 10_000 - (i % 5000);
    } else {
      e.clientIp = `10.${(user >> 16) & 255}.${(user >> 8) & 255}.${user & 255}`;
      if (group.api !== 'search') e.principal = `user-${user}`;
      e.userAgent = agents[user % agents.length]!;
    }
    yield e;
  }
}
