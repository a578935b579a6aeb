import type { ApiTransaction } from '@vigil/contracts';
import type { Occurrence } from '../ground-truth.js';
import { HOUR, seasonality, type Client } from '../traffic.js';
import { round1, type LongRunContext, type RecurringWork } from './long-run.js';

const DAY = 24 * HOUR;
export const CATALOG_PDF = { path: '/downloads/catalog.pdf', bytes: 52 * 1024 * 1024 } as const;

/** A time of `day` drawn along the daily rhythm (more fetches in the afternoon than at night). */
function daytime(ctx: LongRunContext, day: number): number {
  for (;;) {
    const t = day + ctx.r.int(DAY);
    if (ctx.r.next() < seasonality(t)) return t;
  }
}

/**
 * A popular large download: the shop's 52 MiB catalogue, served by the
 * catalogue api (`search`), fetched 6–10 times a day along the daily rhythm,
 * each time by a different user (a quarter of them not logged in), and every
 * time exactly the same size.
 */
export function popularDownload(ctx: LongRunContext, clients: readonly Client[], id: () => string): RecurringWork {
  const { r } = ctx;
  const events: ApiTransaction[] = [];
  const occurrences: Occurrence[] = [];
  const fetchedBy = new Set<number>();
  for (let day = Math.floor(ctx.start / DAY) * DAY; day < ctx.end; day += DAY) {
    const fetches = 6 + r.int(5);
    for (let i = 0; i < fetches; i++) {
      const at = daytime(ctx, day);
      let client = r.pick(clients);
      for (let tries = 0; fetchedBy.has(client.index) && tries < 20; tries++) client = r.pick(clients);
      fetchedBy.add(client.index);
      const latencyMs = round1(r.logNormal(6_500, 0.4));
      const e: ApiTransaction = {
        id: id(),
        timestamp: at,
        direction: 'inbound',
        api: 'search',
        method: 'GET',
        path: CATALOG_PDF.path,
        route: CATALOG_PDF.path,
        status: 200,
        latencyMs,
        responseBytes: CATALOG_PDF.bytes,
        clientIp: client.ip,
        userAgent: client.userAgent,
        contentType: 'application/pdf',
        tags: { env: 'prod' },
      };
      if (r.next() < 0.75) e.principal = client.principal;
      events.push(e);
      occurrences.push({ start: at, end: at + Math.ceil(latencyMs) });
    }
  }
  occurrences.sort((a, b) => a.start - b.start);
  return {
    events,
    pattern: {
      scenario: ctx.scenario,
      name: 'catalog-download',
      description: `many different users fetch the 52 MiB catalogue (${CATALOG_PDF.path}, the same size every time), 6–10 times a day`,
      detectors: ['large_response', 'response_size'],
      api: 'search',
      occurrences,
    },
  };
}
