import type { ApiTransaction } from '@vigil/contracts';

const apis = ['accounts', 'orders', 'search', 'payments-provider'] as const;

/** A plausible, deterministic ApiTransaction; `i` varies every field that can vary. */
export function makeTransaction(i: number, base = Date.UTC(2026, 10, 23, 9, 0, 0)): ApiTransaction {
  const api = apis[i % apis.length]!;
  const outbound = api === 'payments-provider';
  const event: ApiTransaction = {
    id: `evt-${i}`,
    timestamp: base + i * 37,
    direction: outbound ? 'outbound' : 'inbound',
    api,
    method: i % 5 === 0 ? 'POST' : 'GET',
    path: outbound ? '/v1/charges' : `/${api}/${1000 + (i % 97)}`,
    route: outbound ? '/v1/charges' : `/${api}/{id}`,
    status: i % 23 === 0 ? 503 : i % 11 === 0 ? 404 : 200,
    latencyMs: 5 + (i % 50) * 1.5,
    responseBytes: 200 + (i % 300),
  };
  if (outbound) {
    event.rateLimitLimit = 1000;
    event.rateLimitRemaining = 1000 - (i % 1000);
    event.clientId = 'checkout-service';
  } else {
    event.clientIp = `198.51.100.${i % 250}`;
    if (i % 3 !== 0) event.principal = `user-${i % 40}`;
    event.userAgent = i % 2 ? 'Mozilla/5.0 (X11; Linux x86_64)' : 'okhttp/4.12.0';
    event.tags = { env: 'test', shard: String(i % 4) };
  }
  return event;
}
