export { createRandom, type Random } from './random.js';
export { background, type Background, type BackgroundOptions } from './background.js';
export { benchTraffic, cleanDay, steadyTraffic, type CleanDayOptions, type SteadyTrafficOptions } from './presets/index.js';
export type { Label, Occurrence, RecurringPattern, StrayAllowance } from './ground-truth.js';
export { scenarios, composites, ordersSpec, type Attack, type AttackContext, type Composite, type ThreatEntry } from './scenarios.js';
export { longRuns, type LongRun, type LongRunContext, type LongRunTraffic } from './long-runs/index.js';
export { simulate, scenarioNames, dayScenarioNames, longRunNames, describeScenario, type SimulateOptions, type Simulation } from './simulate.js';
export { HOUR, MINUTE, seasonality } from './traffic.js';
export {
  atLeastMedium,
  detectorRows,
  matches,
  matchesPattern,
  perWindow,
  qualityProblems,
  scoreRun,
  scoreScenario,
  scoreboard,
  type DetectorRow,
  type DetectorScore,
  type LabelOutcome,
  type PatternScore,
  type RunTruth,
  type ScenarioScore,
  type ScoredFinding,
  type Scoreboard,
} from './score.js';
export { OVER_TIME_BAR, overTimeProblems, strays, strayWeeks, type WeekOfStrays } from './score-over-time.js';
export { paced, parseSpeed } from './pace.js';
