import type { ApiTransaction } from '@vigil/contracts';
import { background } from '../background.js';
import { attacker, label, type Attack, type AttackContext } from '../scenarios.js';
import { HOUR, MINUTE } from '../traffic.js';
import { idSource, type LongRun } from './long-run.js';
import { slowCredentialStuffing, slowLatencyCreep, slowScraping } from './slow-automation.js';

/** Bola windows are 2 minutes, aligned to the clock. */
const BOLA_WINDOW_MS = 2 * MINUTE;

/**
 * 50 sequential ids in 50 s, all served, placed so that 25 fall before a
 * 2-minute boundary and 25 after it (`ctx.at` is the boundary). Human-ish
 * uneven gaps around a second, a browser's agent.
 */
export function straddlingEnumeration(ctx: AttackContext): Attack {
  const principal = 'oscar';
  const ip = '192.0.2.80';
  const first = ctx.at - 24_500;
  const events: ApiTransaction[] = [attacker({ id: ctx.id(), timestamp: first - 90_000, path: '/users/100952/account', route: '/users/{id}/account', principal, clientIp: ip })];
  for (let i = 0; i < 50; i++) {
    const t = first + i * 1_000 + ctx.r.int(601) - 300;
    events.push(attacker({ id: ctx.id(), timestamp: t, path: `/users/${100_300 + i}/account`, route: '/users/{id}/account', principal, clientIp: ip }));
  }
  const end = first + 50_000;
  return {
    events,
    labels: [label(ctx, { detector: 'bola_enumeration', api: 'accounts', subject: { kind: 'principal', value: principal }, start: first - 500, end, description: `${principal} reads 50 sequential accounts in 50 s, all served, 25 on each side of a 2-minute boundary` })],
  };
}

/** `count` distinct ids drawn from [from, from + span). */
function foreignIds(ctx: AttackContext, count: number, from: number, span: number): number[] {
  const ids = new Set<number>();
  while (ids.size < count) ids.add(from + ctx.r.int(span));
  return [...ids];
}

/** 60 other users' accounts read one at a time, 30–60 s apart, all served. */
export function slowEnumeration(ctx: AttackContext): Attack {
  const principal = 'peggy';
  const ip = '192.0.2.81';
  const events: ApiTransaction[] = [attacker({ id: ctx.id(), timestamp: ctx.at - 40_000, path: '/users/100951/account', route: '/users/{id}/account', principal, clientIp: ip })];
  let t = ctx.at;
  for (const account of foreignIds(ctx, 60, 100_000, 800)) {
    events.push(attacker({ id: ctx.id(), timestamp: t, path: `/users/${account}/account`, route: '/users/{id}/account', principal, clientIp: ip }));
    t += 30_000 + ctx.r.int(30_001);
  }
  const end = events[events.length - 1]!.timestamp + 1;
  return {
    events,
    labels: [label(ctx, { detector: 'bola_enumeration', api: 'accounts', subject: { kind: 'principal', value: principal }, start: ctx.at, end, description: `${principal} reads 60 other users' accounts, one every 30–60 s (about 45 minutes), all served` })],
  };
}

const VICTOR = { principal: 'victor', ip: '10.30.0.50', account: 100_950, orders: [509_501, 509_502, 509_503, 509_504] } as const;

/** Victor's own business as usual: a short session every 10–25 minutes on his account and his four orders. */
function victorsOwnTraffic(ctx: AttackContext, from: number, to: number): ApiTransaction[] {
  const { r } = ctx;
  const events: ApiTransaction[] = [];
  const own = [`/users/${VICTOR.account}/account`, `/users/${VICTOR.account}/settings`, '/orders', ...VICTOR.orders.map((o) => `/orders/${o}`)];
  for (let t = from + r.int(10 * MINUTE); t < to; t += 10 * MINUTE + r.int(15 * MINUTE)) {
    let at = t;
    const calls = 2 + r.int(3);
    for (let c = 0; c < calls; c++) {
      const path = r.pick(own);
      const api = path.startsWith('/users') ? 'accounts' : 'orders';
      const route = path.startsWith('/users') ? path.replace(/\d+/, '{id}') : path === '/orders' ? '/orders' : '/orders/{id}';
      events.push(attacker({ id: ctx.id(), timestamp: at, api, path, route, principal: VICTOR.principal, clientIp: VICTOR.ip, responseBytes: api === 'orders' ? 2_100 : 1_400 }));
      at += Math.round(1_000 + r.exp(8_000));
    }
  }
  return events;
}

/**
 * A principal with hours of ordinary history (a handful of his own ids an
 * hour, from the run's start) reads 120 other customers' orders, one every
 * ~45 s (35–55 s) for 90 minutes, all served, while his own use goes on.
 */
export function slowerEnumeration(ctx: AttackContext, runStart: number, runEnd: number): Attack {
  const events = victorsOwnTraffic(ctx, runStart, runEnd);
  let t = ctx.at;
  let last = t;
  for (const order of foreignIds(ctx, 120, 500_000, 8_000)) {
    last = t;
    events.push(attacker({ id: ctx.id(), timestamp: t, api: 'orders', path: `/orders/${order}`, route: '/orders/{id}', principal: VICTOR.principal, clientIp: VICTOR.ip, responseBytes: 2_100 }));
    t += 35_000 + ctx.r.int(20_001);
  }
  return {
    events,
    labels: [
      label(ctx, {
        detector: 'bola_enumeration',
        api: 'orders',
        subject: { kind: 'principal', value: VICTOR.principal },
        start: ctx.at,
        end: last + 1,
        description: `${VICTOR.principal}, whose own history is a handful of his ids an hour, reads 120 other customers' orders, one every ~45 s for 90 minutes, all served`,
      }),
    ],
  };
}

/**
 * Slow attacks in one run, each after the detectors' two-hour warm-up, from
 * Wednesday 2026-11-18 06:00 for 14 hours: a latency creep from 09:00, the
 * straddling enumeration at 10:00, the slow one at 11:00, slow scraping from
 * 12:00, the slower enumeration at 13:00, slow stuffing from 15:00.
 */
export const slowAttacks: LongRun = {
  summary:
    "attacks that a clock-aligned window or a short horizon misses, in one 14-hour run from 06:00: a provider's latency creeping to 3x over 6 hours from 09:00, " +
    '50 sequential reads in 50 s straddling a 2-minute boundary at 10:00, 60 foreign accounts at 30–60 s gaps from 11:00, ' +
    'a library agent scraping a catalogue page every 20 s for 2 hours from 12:00, 120 foreign orders at ~45 s gaps over 90 minutes by a user with hours of ordinary history from 13:00, ' +
    'one failed login a minute against different usernames from one address for 3 hours from 15:00',
  defaultStart: Date.UTC(2026, 10, 18, 6),
  defaultHours: 14,
  build(ctx) {
    const id = idSource('slow');
    const at = (hours: number): AttackContext => ({ at: ctx.start + hours * HOUR, r: ctx.r, scenario: ctx.scenario, id });
    const boundary = Math.ceil((ctx.start + 4 * HOUR) / BOLA_WINDOW_MS) * BOLA_WINDOW_MS;
    const attacks = [
      slowLatencyCreep(at(3)),
      straddlingEnumeration({ ...at(4), at: boundary }),
      slowEnumeration(at(5)),
      slowScraping(at(6)),
      slowerEnumeration(at(7), ctx.start, ctx.end),
      slowCredentialStuffing(at(9)),
    ];
    const shapes = attacks.flatMap((a) => (a.shape ? [a.shape] : []));
    const bg = background({
      start: ctx.start,
      hours: (ctx.end - ctx.start) / HOUR,
      r: ctx.r,
      clients: ctx.clients,
      peakSessionsPerMinute: ctx.peakSessionsPerMinute,
      shape: (e, r) => shapes.reduce<ApiTransaction | undefined>((acc, s) => (acc ? s(acc, r) : undefined), e),
    });
    return { events: [...bg.events, ...attacks.flatMap((a) => a.events ?? [])], labels: attacks.flatMap((a) => a.labels), patterns: [] };
  },
};
