import { background } from '../background.js';
import { HOUR } from '../traffic.js';
import { flashSale } from './flash-sale.js';
import { idSource, type LongRun } from './long-run.js';
import { partnerStockFeed } from './partner-feed.js';
import { popularDownload } from './popular-download.js';
import { hourlyInvoicing, nightlyCrmSync } from './service-accounts.js';

/** The flash sale: the second day (a Friday from the default start) at noon. */
const FLASH_SALE_AFTER = 36 * HOUR;

/**
 * Business as usual over days, without attacks: the shop's ordinary traffic
 * (the background, with its daily and weekly rhythm) and five pieces of
 * legitimate work that look unusual and come back, each labelled as a
 * recurring pattern. From Thursday 2026-11-19 00:00 for five days: Thursday,
 * Friday, the weekend, Monday.
 */
export const bau: LongRun = {
  summary:
    'five days of business as usual, Thursday to Monday, no attack: the ordinary shop plus an hourly invoicing job (~150 reads at :00), ' +
    "a partner's stock feed within the first minute of each hour, a nightly CRM sync at 02:00, a popular 52 MiB catalogue download, " +
    'and a two-hour flash sale on Friday at noon, each a recurring pattern',
  defaultStart: Date.UTC(2026, 10, 19),
  defaultHours: 5 * 24,
  allowance: { perWeek: 0 },
  build(ctx) {
    const bg = background({ start: ctx.start, hours: (ctx.end - ctx.start) / HOUR, r: ctx.r, clients: ctx.clients, peakSessionsPerMinute: ctx.peakSessionsPerMinute });
    const work = [
      hourlyInvoicing(ctx, idSource('bau-invoicing')),
      partnerStockFeed(ctx, idSource('bau-partner')),
      nightlyCrmSync(ctx, idSource('bau-crm')),
      popularDownload(ctx, bg.clients, idSource('bau-download')),
      flashSale(ctx, ctx.start + FLASH_SALE_AFTER, bg.events, bg.clients, idSource('bau-sale')),
    ];
    return { events: [...bg.events, ...work.flatMap((w) => w.events)], labels: [], patterns: work.map((w) => w.pattern) };
  },
};
