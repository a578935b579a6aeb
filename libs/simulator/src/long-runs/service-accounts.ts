import type { ApiTransaction } from '@vigil/contracts';
import type { Occurrence } from '../ground-truth.js';
import { HOUR, MINUTE } from '../traffic.js';
import { round1, topsOfHours, type LongRunContext, type RecurringWork } from './long-run.js';

const DAY = 24 * HOUR;

/** The wholesale tenant whose invoicing job reads its own orders (ids above the shop's consumers'). */
export const INVOICING = {
  principal: 'svc-invoicing',
  clientId: 'invoicing-job',
  ip: '10.0.4.21',
  userAgent: 'Go-http-client/2.0',
  tenant: 'acme-wholesale',
  firstOrderId: 700_000,
} as const;

/**
 * A service account's batch job: at the top of every hour it reads the
 * orders its tenant placed in the past hour (140–160 distinct ids, in id
 * order, a few skipped as cancelled), all served, from a worker that keeps
 * time (a call every 300 ms), all within the first minute.
 */
export function hourlyInvoicing(ctx: LongRunContext, id: () => string): RecurringWork {
  const { r } = ctx;
  const events: ApiTransaction[] = [];
  const occurrences: Occurrence[] = [];
  let nextOrder = INVOICING.firstOrderId + r.int(1_000);
  for (const hour of topsOfHours(ctx.start, ctx.end)) {
    const begin = hour + 1_000 + r.int(4_000); // the scheduler's start-up
    const reads = 140 + r.int(21);
    for (let i = 0; i < reads; i++) {
      if (r.next() < 0.05) nextOrder++; // a cancelled order the job skips
      events.push({
        id: id(),
        timestamp: begin + i * 300 + r.int(121) - 60,
        direction: 'inbound',
        api: 'orders',
        method: 'GET',
        path: `/orders/${nextOrder++}`,
        route: '/orders/{id}',
        status: 200,
        latencyMs: round1(r.logNormal(32, 0.3)),
        responseBytes: Math.round(r.logNormal(2_400, 0.25)),
        clientIp: INVOICING.ip,
        principal: INVOICING.principal,
        clientId: INVOICING.clientId,
        userAgent: INVOICING.userAgent,
        responseSignature: 'order-v1',
        contentType: 'application/json',
        tags: { env: 'prod', tenant: INVOICING.tenant },
      });
    }
    occurrences.push({ start: hour, end: hour + MINUTE });
  }
  return {
    events,
    pattern: {
      scenario: ctx.scenario,
      name: 'hourly-invoicing',
      description: `${INVOICING.principal} reads the ~150 orders its tenant placed in the past hour (distinct ids, all served) within the first minute of every hour`,
      detectors: ['bola_enumeration', 'bot', 'burst'],
      api: 'orders',
      subject: { kind: 'principal', value: INVOICING.principal },
      occurrences,
    },
  };
}

export const CRM_SYNC = { principal: 'svc-crm-sync', clientId: 'crm-sync', ip: '10.0.5.17', userAgent: 'crm-connector/2.1 okhttp/4.12.0' } as const;

/**
 * A second service account's nightly sync: from 02:00 it reads every
 * customer account in id order (2,600–3,400 reads, a few closed accounts
 * answering 404) over 20 minutes, to copy them into the CRM.
 */
export function nightlyCrmSync(ctx: LongRunContext, id: () => string): RecurringWork {
  const { r } = ctx;
  const events: ApiTransaction[] = [];
  const occurrences: Occurrence[] = [];
  for (let day = Math.floor(ctx.start / DAY) * DAY; day < ctx.end; day += DAY) {
    const begin = day + 2 * HOUR + r.int(30_000);
    if (begin < ctx.start || begin >= ctx.end) continue;
    const reads = 2_600 + r.int(801);
    const step = (20 * MINUTE) / reads;
    let account = 100_000;
    let last = begin;
    for (let i = 0; i < reads; i++) {
      if (r.next() < 0.03) account++; // an account deleted since
      const closed = r.next() < 0.005;
      last = begin + Math.round((i + 0.3 + 0.4 * r.next()) * step);
      events.push({
        id: id(),
        timestamp: last,
        direction: 'inbound',
        api: 'accounts',
        method: 'GET',
        path: `/users/${account++}/account`,
        route: '/users/{id}/account',
        status: closed ? 404 : 200,
        latencyMs: round1(r.logNormal(26, 0.3)),
        responseBytes: closed ? 110 : Math.round(r.logNormal(1_400, 0.2)),
        clientIp: CRM_SYNC.ip,
        principal: CRM_SYNC.principal,
        clientId: CRM_SYNC.clientId,
        userAgent: CRM_SYNC.userAgent,
        responseSignature: 'acct-account-v1', // as the background's 404s: the shape is the route's
        contentType: 'application/json',
        tags: { env: 'prod' },
      });
    }
    occurrences.push({ start: begin, end: last + 1 });
  }
  return {
    events,
    pattern: {
      scenario: ctx.scenario,
      name: 'nightly-crm-sync',
      description: `${CRM_SYNC.principal} reads every customer account in id order (about 3,000 reads) over 20 minutes from 02:00 each night`,
      detectors: ['bola_enumeration', 'bot', 'burst', 'volume_anomaly'],
      api: 'accounts',
      subject: { kind: 'principal', value: CRM_SYNC.principal },
      occurrences,
    },
  };
}
