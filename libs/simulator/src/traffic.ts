import type { ApiTransaction } from '@vigil/contracts';
import type { Random } from './random.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** One route of an API as the background calls it. */
export interface RouteProfile {
  api: string;
  method: string;
  route: string;
  /** Path for an object id (routes with `{id}`), or the route itself. */
  path: (objectId: number, r: Random) => string;
  latencyMs: number;
  bytes: number;
  signature: string;
  /** Relative share of calls. */
  weight: number;
  login?: boolean;
}

const idPath = (template: string) => (id: number) => template.replace('{id}', String(id));
const fixed = (p: string) => () => p;

/** The inbound APIs of a small shop: accounts, orders, search and auth. */
export const inboundRoutes: readonly RouteProfile[] = [
  { api: 'accounts', method: 'GET', route: '/users/{id}/account', path: idPath('/users/{id}/account'), latencyMs: 28, bytes: 1400, signature: 'acct-account-v1', weight: 10 },
  { api: 'accounts', method: 'GET', route: '/users/{id}/settings', path: idPath('/users/{id}/settings'), latencyMs: 22, bytes: 900, signature: 'acct-settings-v1', weight: 4 },
  { api: 'accounts', method: 'PUT', route: '/users/{id}/settings', path: idPath('/users/{id}/settings'), latencyMs: 35, bytes: 300, signature: 'acct-settings-put-v1', weight: 1 },
  { api: 'orders', method: 'GET', route: '/orders', path: fixed('/orders'), latencyMs: 45, bytes: 5200, signature: 'orders-list-v1', weight: 6 },
  { api: 'orders', method: 'GET', route: '/orders/{id}', path: idPath('/orders/{id}'), latencyMs: 30, bytes: 2100, signature: 'order-v1', weight: 9 },
  { api: 'orders', method: 'POST', route: '/orders', path: fixed('/orders'), latencyMs: 80, bytes: 700, signature: 'order-created-v1', weight: 2 },
  { api: 'search', method: 'GET', route: '/search', path: fixed('/search'), latencyMs: 60, bytes: 8000, signature: 'search-v1', weight: 8 },
  { api: 'search', method: 'GET', route: '/suggest', path: fixed('/suggest'), latencyMs: 12, bytes: 600, signature: 'suggest-v1', weight: 5 },
  { api: 'auth', method: 'POST', route: '/login', path: fixed('/login'), latencyMs: 90, bytes: 400, signature: 'login-v1', weight: 2, login: true },
];

/** Third-party providers the shop's apps call. */
export const providers = [
  { api: 'payments-provider', method: 'POST', route: '/v1/charges', latencyMs: 180, bytes: 900, signature: 'charge-v1', limit: 20_000, clientId: 'checkout-service' },
  { api: 'maps-provider', method: 'GET', route: '/geocode', latencyMs: 70, bytes: 1200, signature: 'geocode-v1', limit: 10_000, clientId: 'delivery-service' },
  { api: 'messaging-provider', method: 'POST', route: '/v1/messages', latencyMs: 110, bytes: 300, signature: 'message-v1', limit: 10_000, clientId: 'notifications-service' },
] as const;

export const webAgents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
] as const;
export const mobileAgents = ['MyShop/5.2.1 (iPhone; iOS 18.1)', 'MyShop/5.2.0 (Android 15; Pixel 8)', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148'] as const;

export interface Client {
  index: number;
  principal: string;
  ip: string;
  userAgent: string;
  /** The account and order ids this user owns (the ones it reads). */
  accountId: number;
  orderIds: number[];
}

export function createClients(count: number, r: Random): Client[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    principal: `user-${index}`,
    ip: `10.${20 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`,
    userAgent: r.next() < 0.55 ? r.pick(webAgents) : r.pick(mobileAgents),
    accountId: 100_000 + index,
    orderIds: Array.from({ length: 1 + r.int(5) }, () => 500_000 + index * 10 + r.int(10)),
  }));
}

/** Share of the daily peak at a time (UTC): quietest at 04:00, busiest at 16:00, weekends at 60%. */
export function seasonality(t: number): number {
  const d = new Date(t);
  const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
  const daily = 0.12 + 0.88 * (0.5 - 0.5 * Math.cos(((hour - 4) / 24) * 2 * Math.PI));
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 0.6 : 1;
  return daily * weekend;
}
