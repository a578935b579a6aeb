import type { ApiTransaction } from '@vigil/contracts';

/** A handful of varied calls, inbound and outbound, stamped around `now`; ids carry the run token. */
export function demoEvents(count: number, now: number, run: string): ApiTransaction[] {
  const templates: Omit<ApiTransaction, 'id' | 'timestamp'>[] = [
    { direction: 'inbound', api: 'accounts', method: 'GET', path: '/users/1042/account', route: '/users/{id}/account', status: 200, latencyMs: 18.4, responseBytes: 912, clientIp: '198.51.100.23', principal: 'alice', userAgent: 'Mozilla/5.0 (Macintosh)', responseSignature: 'acct:v3' },
    { direction: 'outbound', api: 'payments-provider', method: 'POST', path: '/v1/charges', status: 201, latencyMs: 241.0, requestBytes: 388, responseBytes: 1204, clientId: 'checkout', rateLimitLimit: 500, rateLimitRemaining: 412 },
    { direction: 'inbound', api: 'orders', method: 'GET', path: '/orders/77731', status: 404, latencyMs: 6.2, responseBytes: 64, clientIp: '203.0.113.9', principal: 'bob', userAgent: 'okhttp/4.12.0' },
    { direction: 'inbound', api: 'auth', method: 'POST', path: '/login', route: '/login', status: 401, latencyMs: 95.3, clientIp: '192.0.2.77', userAgent: 'python-requests/2.32' },
    { direction: 'outbound', api: 'maps-provider', method: 'GET', path: '/geocode', status: 429, latencyMs: 33.9, clientId: 'delivery', rateLimitLimit: 100, rateLimitRemaining: 0 },
    { direction: 'inbound', api: 'search', method: 'GET', path: '/search', status: 503, latencyMs: 1502.7, clientIp: '198.51.100.4', principal: 'carol', tags: { env: 'demo', region: 'local' } },
  ];
  return Array.from({ length: count }, (_, i) => ({
    ...templates[i % templates.length]!,
    id: `demo-${run}-${i}`,
    timestamp: now - (count - i) * 1000,
  }));
}
