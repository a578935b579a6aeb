import {
  atLeastMedium,
  dayScenarioNames,
  describeScenario,
  detectorRows,
  longRunNames,
  overTimeProblems,
  qualityProblems,
  scoreboard,
  strayWeeks,
  type DetectorRow,
  type ScenarioScore,
  type Scoreboard,
  type WeekOfStrays,
} from '@vigil/simulator';

/** One scenario through `vigil backtest`: its size, how it was run, and its score. */
export interface ScenarioRun {
  name: string;
  hours: number;
  events: number;
  batchSize: number;
  backtestSeconds: number;
  findings: number;
  score: ScenarioScore;
}

/** Both bars over the runs: issue 5's over the single-day scenarios, detection over time's over every scenario. */
export interface QualityReport {
  runs: ScenarioRun[];
  /** Per detector over every scenario. */
  detectors: DetectorRow[];
  /** Per detector over the single-day scenarios, with the clean day. */
  day: Scoreboard;
  dayProblems: string[];
  overTimeProblems: string[];
}

export function qualityReport(runs: readonly ScenarioRun[]): QualityReport {
  const isDay = new Set(dayScenarioNames);
  const dayScores = runs.filter((r) => isDay.has(r.name)).map((r) => r.score);
  const clean = runs.find((r) => r.name === 'clean-day')?.score;
  const day = scoreboard(dayScores, { hours: clean?.hours ?? 24, findings: clean?.unmatched ?? [] });
  return { runs: [...runs], detectors: detectorRows(runs.map((r) => r.score)), day, dayProblems: qualityProblems(day), overTimeProblems: overTimeProblems(runs.map((r) => r.score)) };
}

const fixed2 = (x: number) => x.toFixed(2);
const iso = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
const counts = (byDetector: Partial<Record<string, number>>) =>
  Object.entries(byDetector)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([d, n]) => `\`${d}\` ${n}`)
    .join(', ') || '–';
const minutes = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

function detectorTable(rows: readonly DetectorRow[]): string[] {
  return [
    '| detector | labels | detected | matching findings | pattern findings | false findings (≥ medium) | precision | recall | median delay |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| \`${r.detector}\` | ${r.labels} | ${r.detected} | ${r.matched} | ${r.patternFindings} | ${r.falseFindings} | ${fixed2(r.precision)} | ${fixed2(r.recall)} | ${r.medianDelaySeconds === null ? '–' : `${r.medianDelaySeconds} s`} |`),
  ];
}

function longRunAttacks(runs: readonly ScenarioRun[]): string[] {
  const rows = runs
    .filter((r) => longRunNames.includes(r.name))
    .flatMap((r) =>
      r.score.labels.map((o) => {
        const l = o.label;
        const found = o.firstDetectedAt === undefined ? '**missed**' : `after ${minutes(Math.max(0, o.firstDetectedAt - l.start))}`;
        return `| \`${r.name}\` | \`${l.detector}\` | ${l.api} | ${l.subject ? `${l.subject.kind} ${l.subject.value}` : '–'} | ${iso(l.start)}–${hhmm(l.end)} | ${l.description} | ${o.findings} | ${found} |`;
      }),
    );
  return ['| scenario | detector | api | subject | span (UTC) | attack | matching findings | first found |', '|---|---|---|---|---|---|---|---|', ...rows];
}

function patternTable(runs: readonly ScenarioRun[]): string[] {
  const rows = runs.flatMap((r) =>
    r.score.patterns.map((p) => {
      const by = Object.entries(p.byDetector)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([d, c]) => `\`${d}\` ${c.alerts} / ${c.findings}`)
        .join(', ');
      const may = p.pattern.detectors.map((d) => `\`${d}\``).join(', ');
      return `| \`${p.pattern.name}\` (\`${r.name}\`) | ${p.pattern.description} | ${may} | ${p.pattern.occurrences.length} | ${p.alerts} | ${p.findings} | ${by || '–'} |`;
    }),
  );
  return ['| pattern | what | may react | occurrences | alerts (≥ medium) | findings (any) | per detector (alerts / findings) |', '|---|---|---|---|---|---|---|', ...rows];
}

function weekTable(name: string, weeks: readonly WeekOfStrays[], perWeek: number): string[] {
  return [
    `| \`${name}\` week | from | findings ≥ medium (allowed: ${perWeek}) | per detector | findings (any severity) |`,
    '|---|---|---|---|---|',
    ...weeks.map((w) => `| ${w.week} | ${iso(w.from).slice(0, 10)} | ${w.alerts} | ${counts(w.byDetector)} | ${w.findings} |`),
  ];
}

function cleanTable(runs: readonly ScenarioRun[]): string[] {
  const rows = runs
    .filter((r) => r.score.allowance?.perWeek === 0)
    .map((r) => {
      const alerts = r.score.unmatched.filter(atLeastMedium);
      const by: Record<string, number> = {};
      for (const f of alerts) by[f.detector] = (by[f.detector] ?? 0) + 1;
      return `| \`${r.name}\` | ${r.hours} | ${fixed2(r.score.unmatched.length / r.hours)} | ${alerts.length} | ${counts(by)} |`;
    });
  return ['| scenario | hours | findings per hour outside patterns (any severity) | at medium or above | per detector |', '|---|---|---|---|---|', ...rows];
}

const bullet = (problems: readonly string[], none: string) => (problems.length === 0 ? [none] : problems.map((p) => `- ${p}`));

export function markdown(report: QualityReport): string {
  const busy = report.runs.filter((r) => r.score.allowance && r.score.allowance.perWeek > 0);
  const batches = [...new Set(report.runs.map((r) => r.batchSize))].sort((a, b) => a - b);
  const bigBatch = report.runs.filter((r) => r.batchSize !== batches[0]);
  return [
    '# Detection quality',
    '',
    'Written by `npm run eval` (`bench/src/detection-quality.ts`); do not edit by hand.',
    '',
    'Every scenario of the simulator (`libs/simulator`, `vigil simulate --scenario NAME`) is replayed through',
    '`vigil backtest` (in-memory state, event-time clock, default thresholds, batches of',
    `${batches[0]} events as the online detector sees them at real traffic rates${bigBatch.length ? `; ${bigBatch.map((r) => `\`${r.name}\` in batches of ${r.batchSize}, to keep the whole run within minutes`).join(', ')}` : ''}).`,
    "Its findings are scored against the scenario's ground truth, of two kinds:",
    '',
    '- **attack labels**: detector, api, subject when it has one, and a time span; a finding counts for a label',
    '  when its window overlaps the attack from 5 minutes before it to 30 minutes after its end (a slow attack ends',
    '  with its last call).',
    '- **recurring patterns**: legitimate work that comes back (a batch job every hour, a nightly sync, a popular',
    '  download, a planned flash sale): the detectors that may react to it, its api, who does it when one subject',
    '  does, and each occurrence. A finding that matches no attack and does match a pattern (a detector it lists,',
    '  the same api, the same subject when it has one — a finding about a route or the whole api is matched on the',
    '  api —, overlapping an occurrence with the same tolerance) is the pattern\'s, counted once however many',
    '  occurrences it overlaps; at medium or above it is one of the pattern\'s **alerts**. A finding that matches an',
    '  attack and a pattern counts for the attack.',
    '',
    '- **precision**: findings that match an attack / (those + findings at medium or above that match no attack and',
    '  no pattern). Unmatched findings below medium are logged only; pattern findings count in neither.',
    '- **recall**: attack labels with at least one matching finding / labels.',
    '- **median delay**: event time from the start of the attack to its first matching finding.',
    '',
    '## The bars',
    '',
    '**Single-day scenarios** (the bar of issue 5): precision and recall ≥ 0.9 per detector, median delay ≤ 60 s for',
    'burst, enumeration, bot and credential stuffing, nothing at medium or above on the clean day.',
    report.dayProblems.length === 0 ? 'Met.' : `Missed: ${report.dayProblems.join('; ')}.`,
    '',
    '**Detection over time** (issue 25), over every scenario: every attack label found (recall 1.00), precision',
    '≥ 0.95 per detector, at most one alert per recurring pattern over its whole run, nothing at medium or above',
    'outside the patterns on the clean days (`clean-day`, `bau`), and at most one finding at medium or above a week',
    'outside the injected anomalies on `busy-api`.',
    report.overTimeProblems.length === 0 ? 'Met.' : `Missed: ${report.overTimeProblems.length} problems, listed [below](#problems).`,
    '',
    '## Per detector, every scenario',
    '',
    ...detectorTable(report.detectors),
    '',
    '## Per detector, the single-day scenarios',
    '',
    ...detectorTable(report.day.rows),
    '',
    `Clean day (24 hours of ordinary traffic): ${fixed2(report.day.cleanFindingsPerHour)} findings per hour of any severity, ${report.day.cleanMediumOrAbove} at medium or above.`,
    '',
    '## Attacks of the long runs',
    '',
    ...longRunAttacks(report.runs),
    '',
    '## Recurring patterns',
    '',
    'Legitimate work of the `bau` days; "may react" is the team\'s judgement of which detectors can fairly be',
    'surprised by it (a flash sale is a real surge of volume, so `volume_anomaly` may see it; no one shopper',
    'behaves differently in it, so `burst` may not).',
    '',
    ...patternTable(report.runs),
    '',
    '## Busy api: findings outside the injected anomalies',
    '',
    ...busy.flatMap((r) => [...weekTable(r.name, strayWeeks(r.score), r.score.allowance!.perWeek), '']),
    '## Clean days',
    '',
    'Days without attacks: the clean day and the `bau` days; what they raise outside their recurring patterns.',
    '',
    ...cleanTable(report.runs),
    '',
    '## Problems',
    '',
    'Against the bar of detection over time:',
    '',
    ...bullet(report.overTimeProblems, 'None.'),
    '',
    'Against the bar of the single-day scenarios:',
    '',
    ...bullet(report.dayProblems, 'None.'),
    '',
    '**Read with care.** The scenarios are synthetic and were written by the same team as the detectors. The',
    'single-day attacks are clear enough to cross the documented default thresholds; the figures show that the',
    'detectors do what their thresholds say on realistic background traffic, not how they fare against an',
    'adversary tuning to stay under them. The long runs (`bau`, `slow-attacks`, `busy-api`) were written as the',
    'targets of issue 25 while the detectors were being changed to meet them, by the same team: their rhythms,',
    'noise (log-normal and Pareto models, not recordings of real traffic) and recurring work are our picture of',
    'ordinary traffic, and which detectors may react to a pattern is our judgement. Before issue 25 the',
    "thresholds were not tuned on these scenarios, with one exception found by them: the volume drop's z-score",
    'threshold (`dropMinZ`, see detectors.md).',
    '',
    '## Scenarios',
    '',
    '| scenario | what happens | hours | events | labels | patterns | findings | batch | backtest |',
    '|---|---|---|---|---|---|---|---|---|',
    ...report.runs.map(
      (r) =>
        `| \`${r.name}\` | ${describeScenario(r.name)} | ${r.hours} | ${r.events.toLocaleString('en')} | ${r.score.labels.length} | ${r.score.patterns.length} | ${r.findings} | ${r.batchSize} | ${r.backtestSeconds.toFixed(1)} s |`,
    ),
    '',
  ].join('\n');
}
