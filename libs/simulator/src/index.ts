export { createRandom, type Random } from './random.js';
export { background, type Background, type BackgroundOptions } from './background.js';
export { benchTraffic, cleanDay, steadyTraffic, type CleanDayOptions, type SteadyTrafficOptions } from './presets/index.js';
export { scenarios, composites, type Attack, type AttackContext, type Composite, type Label, type ThreatEntry } from './scenarios.js';
export { simulate, scenarioNames, describeScenario, type SimulateOptions, type Simulation } from './simulate.js';
export { HOUR, MINUTE, seasonality } from './traffic.js';
export { matches, qualityProblems, scoreScenario, scoreboard, type DetectorRow, type DetectorScore, type ScenarioScore, type Scoreboard } from './score.js';
export { paced, parseSpeed } from './pace.js';
