import { attacker, label, type Attack, type AttackContext } from '../scenarios.js';
import { HOUR, MINUTE } from '../traffic.js';

/** A scraper with a library agent walks 40 catalogue pages (and their next pages) at one every 20 s, steady as a clock, for 2 hours. */
export function slowScraping(ctx: AttackContext): Attack {
  const ip = '198.18.0.90';
  const calls = 360;
  const events = Array.from({ length: calls }, (_, i) => {
    const page = `/categories/c${i % 40}`;
    return attacker({ id: ctx.id(), timestamp: ctx.at + i * 20_000 + ctx.r.int(501) - 250, api: 'search', path: page, route: page, clientIp: ip, userAgent: 'python-requests/2.32.3', responseBytes: Math.round(ctx.r.logNormal(6_000, 0.1)) });
  });
  return {
    events,
    labels: [label(ctx, { detector: 'bot', api: 'search', subject: { kind: 'ip', value: ip }, start: ctx.at, end: ctx.at + calls * 20_000, description: 'a python-requests scraper walks catalogue pages at one every 20 s, metronome-steady, for 2 hours' })],
  };
}

const FIRST_NAMES = ['anna', 'ben', 'chloe', 'david', 'emma', 'felix', 'grace', 'hugo', 'ines', 'jonas', 'lena', 'marc', 'nora', 'omar', 'paula'] as const;
const LAST_NAMES = ['smith', 'muller', 'rossi', 'garcia', 'dubois', 'novak', 'jensen', 'silva', 'kowalski', 'brown', 'weber', 'moreau'] as const;

/** Usernames as a leaked list holds them: `anna.rossi42@mail.example`, each once. */
function leakedUsernames(ctx: AttackContext, count: number): string[] {
  const names = new Set<string>();
  while (names.size < count) names.add(`${ctx.r.pick(FIRST_NAMES)}.${ctx.r.pick(LAST_NAMES)}${10 + ctx.r.int(90)}@mail.example`);
  return [...names];
}

/** One address tries one username a minute (±10 s), a different one each time, all refused, for 3 hours. */
export function slowCredentialStuffing(ctx: AttackContext): Attack {
  const ip = '203.0.113.150';
  const attempts = 180;
  const events = leakedUsernames(ctx, attempts).map((principal, i) =>
    attacker({ id: ctx.id(), timestamp: ctx.at + i * MINUTE + ctx.r.int(20_001) - 10_000, api: 'auth', method: 'POST', path: '/login', route: '/login', clientIp: ip, principal, status: 401, responseBytes: 200, latencyMs: 95 }),
  );
  return {
    events,
    labels: [label(ctx, { detector: 'credential_stuffing', api: 'auth', subject: { kind: 'ip', value: ip }, start: ctx.at - 10_000, end: ctx.at + attempts * MINUTE, description: 'one address tries a different username every minute for 3 hours, all refused' })],
  };
}

/** The payments provider's latency creeps from 1x to 3x over 6 hours, stays there an hour, then recovers (the provider's fix). */
export function slowLatencyCreep(ctx: AttackContext): Attack {
  const rise = 6 * HOUR;
  const until = ctx.at + rise + HOUR;
  return {
    shape: (e) => {
      if (e.api !== 'payments-provider' || e.timestamp < ctx.at || e.timestamp >= until) return e;
      const factor = 1 + 2 * Math.min(1, (e.timestamp - ctx.at) / rise);
      return { ...e, latencyMs: Math.round(e.latencyMs * factor * 10) / 10 };
    },
    labels: [label(ctx, { detector: 'latency_degradation', api: 'payments-provider', start: ctx.at, end: until, description: 'latency rises steadily from 1x to 3x over 6 hours, holds an hour, then recovers' })],
  };
}
