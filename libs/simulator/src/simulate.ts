import type { ApiTransaction } from '@vigil/contracts';
import { background } from './background.js';
import type { Label, RecurringPattern, StrayAllowance } from './ground-truth.js';
import { longRuns, type LongRun } from './long-runs/index.js';
import { createRandom } from './random.js';
import { composites, scenarios, type Attack, type ThreatEntry } from './scenarios.js';
import { HOUR } from './traffic.js';

export interface SimulateOptions {
  scenario: string;
  seed?: number;
  /** First event time (ms); default: Wednesday 2026-11-18, 10:00 UTC (a whole day starts at 00:00; a long run at its own start). */
  start?: number;
  /** Hours of traffic; default 6 (24 for clean-day, the composite's own for mixed-day and demo, a long run's own). */
  hours?: number;
  /** Background size: clients and sessions a minute at the daily peak. */
  clients?: number;
  peakSessionsPerMinute?: number;
}

export interface Simulation {
  scenario: string;
  start: number;
  end: number;
  events: ApiTransaction[];
  /** Attacks the detectors must find. */
  labels: Label[];
  /** Legitimate work that comes back, which must not keep paging (none in the single-day scenarios). */
  patterns: RecurringPattern[];
  /** What ordinary traffic may raise outside labels and patterns, for the scenarios judged on it (clean-day, bau, busy-api). */
  allowance?: StrayAllowance;
  threats: ThreatEntry[];
  /** OpenAPI documents the scenario declares for its apis (by api): what `detectors.inventory.specs` points to. */
  specs?: Record<string, object>;
}

const DAY_START = Date.UTC(2026, 10, 18);
/** Single scenarios attack three hours in: after the detectors' two-hour warm-up, at a busy hour. */
const ATTACK_AFTER_HOURS = 3;

/** The single-day scenarios: one attack each, or several on one day (what the golden outputs and the bar of issue 5 cover). */
export const dayScenarioNames: readonly string[] = [...Object.keys(scenarios), ...Object.keys(composites)];
/** The long runs: days of business as usual, slow attacks, two weeks of a busy api (detection over time). */
export const longRunNames: readonly string[] = Object.keys(longRuns);
export const scenarioNames: readonly string[] = [...dayScenarioNames, ...longRunNames];

const clock = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

export function describeScenario(name: string): string {
  const long = longRuns[name];
  if (long) return long.summary;
  const c = composites[name];
  if (c) return `${c.summary}: ${c.attacks.map((a) => `${a.scenario} at ${clock(c.startHour * 60 + a.minute)}`).join(', ')}`;
  const s = scenarios[name];
  if (!s) throw new Error(`unknown scenario ${JSON.stringify(name)}; one of: ${scenarioNames.join(', ')}`);
  return s.summary;
}

/** Background traffic with the scenario's attacks in it, sorted by time, with the ground-truth labels. */
export function simulate(o: SimulateOptions): Simulation {
  describeScenario(o.scenario); // throws on an unknown name
  const long = longRuns[o.scenario];
  if (long) return simulateLongRun(o, long);
  const composite = composites[o.scenario];
  const start = o.start ?? DAY_START + (composite ? composite.startHour : o.scenario === 'clean-day' ? 0 : 10) * HOUR;
  const hours = o.hours ?? composite?.hours ?? (o.scenario === 'clean-day' ? 24 : 6);
  const r = createRandom(o.seed ?? 7);
  let n = 0;
  const id = () => `atk-${o.scenario}-${n++}`;
  const plan = composite ? composite.attacks.map((a) => ({ scenario: a.scenario, at: start + a.minute * 60_000 })) : [{ scenario: o.scenario, at: start + ATTACK_AFTER_HOURS * HOUR }];
  const attacks: Attack[] = plan.map((p) => scenarios[p.scenario]!.attack({ at: p.at, r, scenario: p.scenario, id }));
  const shapes = attacks.flatMap((a) => (a.shape ? [a.shape] : []));
  const bg = background({
    start,
    hours,
    r,
    clients: o.clients,
    peakSessionsPerMinute: o.peakSessionsPerMinute,
    shape: shapes.length === 0 ? undefined : (e, rr) => shapes.reduce<ApiTransaction | undefined>((acc, s) => (acc ? s(acc, rr) : undefined), e),
  });
  const end = start + hours * HOUR;
  const events = [...bg.events, ...attacks.flatMap((a) => a.events ?? []).filter((e) => e.timestamp < end)].sort((a, b) => a.timestamp - b.timestamp);
  return {
    scenario: o.scenario,
    start,
    end,
    events,
    labels: attacks.flatMap((a) => a.labels),
    patterns: [],
    allowance: o.scenario === 'clean-day' ? { perWeek: 0 } : undefined,
    threats: attacks.flatMap((a) => a.threats ?? []),
    ...(attacks.some((a) => a.specs) ? { specs: Object.assign({}, ...attacks.map((a) => a.specs ?? {})) as Record<string, object> } : {}),
  };
}

/** A long run's traffic, sorted and cut to its span; labels and occurrences cut to it too (a pattern with none left is dropped). */
function simulateLongRun(o: SimulateOptions, run: LongRun): Simulation {
  const start = o.start ?? run.defaultStart;
  const end = start + (o.hours ?? run.defaultHours) * HOUR;
  const traffic = run.build({ scenario: o.scenario, start, end, r: createRandom(o.seed ?? 7), clients: o.clients, peakSessionsPerMinute: o.peakSessionsPerMinute });
  const within = <T extends { start: number; end: number }>(x: T): T => ({ ...x, end: Math.min(x.end, end) });
  return {
    scenario: o.scenario,
    start,
    end,
    events: traffic.events.filter((e) => e.timestamp >= start && e.timestamp < end).sort((a, b) => a.timestamp - b.timestamp),
    labels: traffic.labels.filter((l) => l.start < end).map(within),
    patterns: traffic.patterns.map((p) => ({ ...p, occurrences: p.occurrences.filter((x) => x.start < end).map(within) })).filter((p) => p.occurrences.length > 0),
    allowance: run.allowance,
    threats: traffic.threats ?? [],
  };
}
