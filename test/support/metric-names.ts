import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The metric-name cross-check: every metric name that vigil's Prometheus rules
 * and Grafana dashboard use must be exported by a running service (or be a
 * recording rule defined in the rules, or a series Prometheus makes itself).
 * A rule or panel on a name nobody exports is silently empty forever; this
 * turns that into a failing test.
 */

const repo = fileURLToPath(new URL('../../', import.meta.url));
export const deployFiles = {
  rules: ['deploy/prometheus/rules/vigil-recording.yml', 'deploy/prometheus/rules/vigil-alerts.yml'].map((f) => `${repo}${f}`),
  dashboards: ['deploy/grafana/dashboards/vigil.json'].map((f) => `${repo}${f}`),
};

/** Series Prometheus writes itself (scrape health, alert state). */
const prometheusSeries = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added', 'ALERTS', 'ALERTS_FOR_STATE']);
const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);

/** One PromQL expression found in a file, with where it came from. */
export interface Expression {
  expr: string;
  where: string;
}

/** The metric names a PromQL expression selects (functions, keywords, label names, strings and durations left out). */
export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges, subqueries (and Grafana's $__rate_interval)
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || keywords.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

/** The expressions of Prometheus rule files (`expr` of every rule) and the names they record. */
export function ruleExpressions(files: readonly { path: string; text: string }[]): { expressions: Expression[]; recorded: Set<string> } {
  const expressions: Expression[] = [];
  const recorded = new Set<string>();
  for (const { path, text } of files) {
    const doc = parse(text) as { groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[] };
    for (const group of doc.groups) {
      for (const rule of group.rules) {
        if (rule.record) recorded.add(rule.record);
        expressions.push({ expr: String(rule.expr), where: `${path}: ${rule.record ?? rule.alert}` });
      }
    }
  }
  return { expressions, recorded };
}

/** The `expr` of every target of every panel (rows' nested panels included) of Grafana dashboards. */
export function dashboardExpressions(files: readonly { path: string; text: string }[]): Expression[] {
  interface Panel {
    title?: string;
    targets?: { expr?: string }[];
    panels?: Panel[];
  }
  const out: Expression[] = [];
  const walk = (path: string, panels: Panel[] = []) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ expr: t.expr, where: `${path}: panel "${p.title}"` });
      walk(path, p.panels);
    }
  };
  for (const { path, text } of files) walk(path, (JSON.parse(text) as { panels: Panel[] }).panels);
  return out;
}

/** The series names a Prometheus text exposition offers: every sample's name, and a histogram's or summary's _bucket/_sum/_count. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (histogram|summary|counter|gauge|untyped)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
      else if (kind === 'summary') for (const s of ['', '_sum', '_count']) names.add(name! + s);
      else names.add(name!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

export interface UnknownMetric {
  name: string;
  where: string;
}

/**
 * Every metric name the rules and dashboards use that is neither exported
 * (`exported`: from the services' /metrics), nor recorded by a rule, nor
 * written by Prometheus itself. Empty when all is well.
 */
export function unknownMetrics(o: { rules: readonly { path: string; text: string }[]; dashboards: readonly { path: string; text: string }[]; exported: ReadonlySet<string> }): UnknownMetric[] {
  const { expressions, recorded } = ruleExpressions(o.rules);
  const all = [...expressions, ...dashboardExpressions(o.dashboards)];
  const unknown: UnknownMetric[] = [];
  for (const { expr, where } of all) {
    for (const name of metricNamesOf(expr)) {
      if (!o.exported.has(name) && !recorded.has(name) && !prometheusSeries.has(name)) unknown.push({ name, where });
    }
  }
  return unknown;
}

/** The rule and dashboard files of deploy/, read from disk. */
export function readDeployFiles(): { rules: { path: string; text: string }[]; dashboards: { path: string; text: string }[] } {
  const read = (path: string) => ({ path: path.slice(repo.length), text: readFileSync(path, 'utf8') });
  return { rules: deployFiles.rules.map(read), dashboards: deployFiles.dashboards.map(read) };
}
