import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findingContract, toWireJson, transactionContract, validate, type ApiTransaction } from '@vigil/contracts';
import { scenarioNames, scoreRun, simulate, strayWeeks, type RunTruth, type ThreatEntry } from '@vigil/simulator';
import { markdown, qualityReport, type QualityReport, type ScenarioRun } from './detection-quality-report.js';

/**
 * The detection-quality scoreboard (npm run eval): every labelled scenario
 * of the simulator goes through `vigil backtest` (the real CLI, in-memory
 * state, event-time clock); findings are scored against the labels and the
 * recurring patterns. Prints JSON, writes docs/detection-quality.md, exits 1
 * when a bar is missed. VIGIL_EVAL_ONLY=bau,busy-api runs only those
 * scenarios and prints their JSON without writing the page.
 */
const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repo, 'services/cli/dist/main.js');
/** Small batches, as the online detector sees them at real traffic rates; a big backtest batch only delays detection to its end. */
const BATCH = 25;
/** Two weeks of a busy api (about 1.8 million events) in batches of 25 take minutes on their own: four times bigger there, about a minute of its peak traffic. */
const BATCH_BY_SCENARIO: Readonly<Record<string, number>> = { 'busy-api': 100 };

/** NDJSON in slices: the two weeks of busy-api are more text than one string can hold. */
function writeEvents(path: string, events: readonly ApiTransaction[]): void {
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < events.length; i += 10_000) writeSync(fd, events.slice(i, i + 10_000).map((e) => `${JSON.stringify(toWireJson(transactionContract, e))}\n`).join(''));
  } finally {
    closeSync(fd);
  }
}

/** The scenario's events written for the backtest; what stays in memory is its ground truth. */
function prepare(dir: string, name: string): { truth: RunTruth; events: number; input: string; threats: ThreatEntry[]; specs: Record<string, object> } {
  const sim = simulate({ scenario: name });
  const input = join(dir, `${name}.ndjson`);
  writeEvents(input, sim.events);
  return { truth: { scenario: name, start: sim.start, end: sim.end, labels: sim.labels, patterns: sim.patterns, allowance: sim.allowance }, events: sim.events.length, input, threats: sim.threats, specs: sim.specs ?? {} };
}

/** The OpenAPI specs a scenario declares, as files, and a config naming them (`detectors.inventory.specs`). */
function specsConfig(dir: string, name: string, specs: Record<string, object>): string {
  const files: Record<string, string> = {};
  for (const [api, doc] of Object.entries(specs)) {
    files[api] = join(dir, `${name}.${api}.openapi.json`);
    writeFileSync(files[api], JSON.stringify(doc));
  }
  const config = join(dir, `${name}.config.json`);
  writeFileSync(config, JSON.stringify({ detectors: { inventory: { specs: files } } }));
  return config;
}

function backtest(dir: string, name: string): ScenarioRun {
  const { truth, events, input, threats, specs } = prepare(dir, name);
  const batchSize = BATCH_BY_SCENARIO[name] ?? BATCH;
  const args = [cli, 'backtest', '--input', input, '--batch-size', String(batchSize)];
  if (threats.length > 0) {
    const file = join(dir, `${name}.threats.json`);
    writeFileSync(file, JSON.stringify({ entries: threats }));
    args.push('--threats', file);
  }
  if (Object.keys(specs).length > 0) args.push('--config', specsConfig(dir, name, specs));
  const started = Date.now();
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  const backtestSeconds = (Date.now() - started) / 1000;
  rmSync(input, { force: true });
  const findings = out
    .split('\n')
    .filter(Boolean)
    .map((l) => validate(findingContract, JSON.parse(l)));
  return { name, hours: (truth.end - truth.start) / 3_600_000, events, batchSize, backtestSeconds, findings: findings.length, score: scoreRun(truth, findings) };
}

/** The figures as JSON: per detector, per long-run label, per pattern, the busy api's weeks, both bars' problems. */
function figures(report: QualityReport, seconds: number) {
  return {
    seconds,
    scenarios: report.runs.map((r) => ({ name: r.name, hours: r.hours, events: r.events, batchSize: r.batchSize, backtestSeconds: r.backtestSeconds, findings: r.findings, unmatched: r.score.unmatched.length })),
    detectors: report.detectors,
    dayDetectors: report.day.rows,
    cleanFindingsPerHour: report.day.cleanFindingsPerHour,
    cleanMediumOrAbove: report.day.cleanMediumOrAbove,
    labels: report.runs.flatMap((r) => r.score.labels.map((o) => ({ scenario: r.name, detector: o.label.detector, api: o.label.api, subject: o.label.subject?.value, findings: o.findings, delaySeconds: o.firstDetectedAt === undefined ? null : Math.round((o.firstDetectedAt - o.label.start) / 1000) }))),
    patterns: report.runs.flatMap((r) => r.score.patterns.map((p) => ({ scenario: r.name, pattern: p.pattern.name, occurrences: p.pattern.occurrences.length, alerts: p.alerts, findings: p.findings, byDetector: p.byDetector }))),
    strayWeeks: report.runs.filter((r) => r.score.allowance).map((r) => ({ scenario: r.name, allowedPerWeek: r.score.allowance!.perWeek, weeks: strayWeeks(r.score).map(({ week, findings, alerts, byDetector }) => ({ week, findings, alerts, byDetector })) })),
    problems: { dayScenarios: report.dayProblems, overTime: report.overTimeProblems },
  };
}

const only = process.env.VIGIL_EVAL_ONLY?.split(',').filter(Boolean);
const unknown = only?.filter((n) => !scenarioNames.includes(n)) ?? [];
if (unknown.length > 0) throw new Error(`VIGIL_EVAL_ONLY names unknown scenarios: ${unknown.join(', ')}; one of: ${scenarioNames.join(', ')}`);

const dir = mkdtempSync(join(tmpdir(), 'vigil-eval-'));
try {
  const began = Date.now();
  const runs: ScenarioRun[] = [];
  for (const name of only ?? scenarioNames) {
    const started = Date.now();
    const run = backtest(dir, name);
    runs.push(run);
    process.stderr.write(`${name}: ${run.events} events over ${run.hours} h, ${run.findings} findings, ${run.score.labels.length} labels, ${run.score.patterns.length} patterns (backtest ${run.backtestSeconds.toFixed(1)} s, all ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  const report = qualityReport(runs);
  if (!only) writeFileSync(join(repo, 'docs/detection-quality.md'), markdown(report));
  process.stdout.write(`${JSON.stringify(figures(report, (Date.now() - began) / 1000), null, 2)}\n`);
  process.exitCode = report.dayProblems.length + report.overTimeProblems.length === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
