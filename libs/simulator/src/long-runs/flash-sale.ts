import type { ApiTransaction } from '@vigil/contracts';
import { HOUR, MINUTE, type Client } from '../traffic.js';
import { round1, type LongRunContext, type RecurringWork } from './long-run.js';

const SALE_MS = 2 * HOUR;

/** A shopper's call on the orders api during the sale. */
function saleCall(id: string, timestamp: number, client: Client, step: 'list' | 'place' | 'view', orderId: number, ctx: LongRunContext): ApiTransaction {
  const { r } = ctx;
  const shape = {
    list: { method: 'GET', path: '/orders', route: '/orders', latencyMs: 45, bytes: 5_200, signature: 'orders-list-v1' },
    place: { method: 'POST', path: '/orders', route: '/orders', latencyMs: 80, bytes: 700, signature: 'order-created-v1' },
    view: { method: 'GET', path: `/orders/${orderId}`, route: '/orders/{id}', latencyMs: 30, bytes: 2_100, signature: 'order-v1' },
  }[step];
  return {
    id,
    timestamp,
    direction: 'inbound',
    api: 'orders',
    method: shape.method,
    path: shape.path,
    route: shape.route,
    status: 200,
    latencyMs: round1(r.logNormal(shape.latencyMs, 0.35)),
    responseBytes: Math.round(r.logNormal(shape.bytes, 0.25)),
    clientIp: client.ip,
    principal: client.principal,
    userAgent: client.userAgent,
    responseSignature: shape.signature,
    contentType: 'application/json',
    tags: { env: 'prod' },
  };
}

/**
 * A flash sale the team planned: for two hours from `at` the shop's
 * customers come to buy, and the orders api carries three times its usual
 * traffic (each minute twice its background calls again, as sessions that
 * list their orders, place one and look at it, with human think times;
 * order placements rise far more than reads). Once in the run.
 */
export function flashSale(ctx: LongRunContext, at: number, background: readonly ApiTransaction[], clients: readonly Client[], id: () => string): RecurringWork {
  const { r } = ctx;
  const perMinute = new Map<number, number>();
  for (const e of background) {
    if (e.api !== 'orders' || e.timestamp < at || e.timestamp >= at + SALE_MS) continue;
    const minute = Math.floor(e.timestamp / MINUTE) * MINUTE;
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
  }
  const events: ApiTransaction[] = [];
  let newOrder = 600_000;
  for (let minute = at; minute < at + SALE_MS; minute += MINUTE) {
    const sessions = Math.round((2 * (perMinute.get(minute) ?? 0)) / 3);
    for (let s = 0; s < sessions; s++) {
      const client = r.pick(clients);
      const orderId = newOrder++;
      let t = minute + r.int(MINUTE);
      for (const step of ['list', 'place', 'view'] as const) {
        events.push(saleCall(id(), t, client, step, orderId, ctx));
        t += Math.round(1_000 + r.exp(6_000));
      }
    }
  }
  return {
    events,
    pattern: {
      scenario: ctx.scenario,
      name: 'flash-sale',
      description: 'a planned two-hour flash sale: the orders api carries three times its usual traffic, once in the run',
      detectors: ['volume_anomaly'],
      api: 'orders',
      occurrences: [{ start: at, end: at + SALE_MS }],
    },
  };
}
