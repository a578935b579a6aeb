import type { ApiTransaction } from '@vigil/contracts';
import { background } from './background.js';
import { createRandom } from './random.js';
import { composites, scenarios, type Attack, type Label, type ThreatEntry } from './scenarios.js';
import { HOUR } from './traffic.js';

export interface SimulateOptions {
  scenario: string;
  seed?: number;
  /** First event time (ms); default: Wednesday 2026-11-18, 10:00 UTC (a whole day starts at 00:00). */
  start?: number;
  /** Hours of traffic; default 6 (24 for clean-day, the composite's own for mixed-day and demo). */
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
  labels: Label[];
  threats: ThreatEntry[];
}

const DAY_START = Date.UTC(2026, 10, 18);
/** Single scenarios attack three hours in: after the detectors' two-hour warm-up, at a busy hour. */
const ATTACK_AFTER_HOURS = 3;

export const scenarioNames = [...Object.keys(scenarios), ...Object.keys(composites)] as const;

const clock = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

export function describeScenario(name: string): string {
  const c = composites[name];
  if (c) return `${c.summary}: ${c.attacks.map((a) => `${a.scenario} at ${clock(c.startHour * 60 + a.minute)}`).join(', ')}`;
  const s = scenarios[name];
  if (!s) throw new Error(`unknown scenario ${JSON.stringify(name)}; one of: ${scenarioNames.join(', ')}`);
  return s.summary;
}

/** Background traffic with the scenario's attacks in it, sorted by time, with the ground-truth labels. */
export function simulate(o: SimulateOptions): Simulation {
  describeScenario(o.scenario); // throws on an unknown name
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
  return { scenario: o.scenario, start, end, events, labels: attacks.flatMap((a) => a.labels), threats: attacks.flatMap((a) => a.threats ?? []) };
}
