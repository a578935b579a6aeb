import type { ApiTransaction } from '@vigil/contracts';
import type { Occurrence } from '../ground-truth.js';
import { MINUTE, seasonality } from '../traffic.js';
import { round1, topsOfHours, type LongRunContext, type RecurringWork } from './long-run.js';

/** The supplier whose job pushes stock levels into the shop's inventory api, and the shop's own backend that reads them. */
export const PARTNER = { principal: 'partner-northwind', ip: '198.51.100.20', userAgent: 'northwind-sync/3.4 (+https://northwind.example/sync)' } as const;
export const STOCK_READER = { clientId: 'storefront-web', ip: '10.0.3.5', userAgent: 'undici/6.21.0' } as const;

function stockUpdate(id: string, timestamp: number, ctx: LongRunContext): ApiTransaction {
  const { r } = ctx;
  return {
    id,
    timestamp,
    direction: 'inbound',
    api: 'inventory',
    method: 'POST',
    path: '/v1/stock-updates',
    route: '/v1/stock-updates',
    status: r.next() < 0.003 ? 409 : 200,
    latencyMs: round1(r.logNormal(48, 0.3)),
    requestBytes: Math.round(r.logNormal(14_000, 0.3)),
    responseBytes: Math.round(r.logNormal(220, 0.1)),
    clientIp: PARTNER.ip,
    principal: PARTNER.principal,
    userAgent: PARTNER.userAgent,
    responseSignature: 'stock-update-v1',
    contentType: 'application/json',
    tags: { env: 'prod', partner: 'northwind' },
  };
}

/**
 * A partner's job at the top of the hour: an inbound partner api
 * (`inventory`), where the supplier Northwind's cron job pushes its stock
 * levels, 130–330 batched updates depending on the time of day, every one
 * within the first minute of each hour; the rest of the hour the api only
 * sees the shop's own backend checking stock (about 3 reads a minute at the
 * daily peak, ordinary traffic, not part of the pattern).
 */
export function partnerStockFeed(ctx: LongRunContext, id: () => string): RecurringWork {
  const { r } = ctx;
  const events: ApiTransaction[] = [];
  const occurrences: Occurrence[] = [];
  for (const hour of topsOfHours(ctx.start, ctx.end)) {
    const updates = Math.round((120 + 180 * seasonality(hour)) * (0.9 + 0.2 * r.next()));
    const begin = hour + r.int(2_000);
    const step = 56_000 / updates;
    for (let i = 0; i < updates; i++) events.push(stockUpdate(id(), begin + Math.round((i + 0.25 + 0.5 * r.next()) * step), ctx));
    occurrences.push({ start: hour, end: hour + MINUTE });
  }
  for (let minute = Math.ceil(ctx.start / MINUTE) * MINUTE; minute < ctx.end; minute += MINUTE) {
    const reads = Math.round(3 * seasonality(minute) * (0.5 + r.next()));
    for (let i = 0; i < reads; i++) {
      const sku = 10_000 + r.int(10_000);
      events.push({
        id: id(),
        timestamp: minute + r.int(MINUTE),
        direction: 'inbound',
        api: 'inventory',
        method: 'GET',
        path: `/v1/stock/${sku}`,
        route: '/v1/stock/{id}',
        status: r.next() < 0.01 ? 404 : 200,
        latencyMs: round1(r.logNormal(12, 0.3)),
        responseBytes: Math.round(r.logNormal(180, 0.1)),
        clientIp: STOCK_READER.ip,
        clientId: STOCK_READER.clientId,
        userAgent: STOCK_READER.userAgent,
        responseSignature: 'stock-v1',
        contentType: 'application/json',
        tags: { env: 'prod' },
      });
    }
  }
  return {
    events,
    pattern: {
      scenario: ctx.scenario,
      name: 'partner-stock-feed',
      description: `a supplier's job (${PARTNER.principal}) pushes 130–330 stock updates to the inventory api, every one within the first minute of each hour`,
      detectors: ['volume_anomaly', 'burst', 'bot'],
      api: 'inventory',
      subject: { kind: 'principal', value: PARTNER.principal },
      occurrences,
    },
  };
}
