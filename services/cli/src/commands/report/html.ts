import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { severities, type Finding, type Severity } from '@vigil/contracts';
import { detectorsNeeding, trackedFields } from '@vigil/ingest';
import { MAX_APIS, rank, type ApiSeries, type ReportCollector, type ReportInput } from './collect.js';

/**
 * The backtest report: one self-contained HTML file (uPlot and its stylesheet inlined, the data as JSON in
 * the page, a Content-Security-Policy that allows no request at all), readable at a glance: what was
 * read, traffic per api against its baseline band with the findings marked, findings by detector and
 * severity with their evidence, the top subjects, and what the input lacked.
 *
 * Everything that came from the input (paths, user agents, principals, api names, evidence) is escaped
 * where it is written into HTML, and the JSON is written so that no `</script>` can end its element.
 */

const require = createRequire(import.meta.url);
let uplot: { js: string; css: string } | undefined;
function uplotAssets(): { js: string; css: string } {
  uplot ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplot;
}

export const SEVERITY_COLORS: Record<Severity, string> = { critical: '#b91c1c', high: '#ea580c', medium: '#ca8a04', low: '#2563eb', info: '#6b7280' };
export const TRAFFIC_COLOR = '#0f766e';
export const BAND_COLOR = 'rgba(15, 118, 110, 0.16)';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML (element content and quoted attributes). */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
/** JSON inside a <script> element: nothing in it can close the element or start a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
/** A script's text inlined: `</script` in it would end the element. */
function inlineScript(js: string): string {
  return js.replace(/<\/script/gi, '<\\/script');
}

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const iso = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const pct = (n: number, of: number) => (of === 0 ? '—' : `${((100 * n) / of).toFixed(n === of || n === 0 ? 0 : 1)}%`);
const int = (n: number) => n.toLocaleString('en-US');

interface ChartData {
  id: string;
  title: string;
  /** Seconds (uPlot's time unit). */
  x: number[];
  observed: number[];
  upper: (number | null)[];
  lower: (number | null)[];
  /** Per severity, the observed count at the minute of each finding marked there (null elsewhere). */
  marks: Partial<Record<Severity, (number | null)[]>>;
}

/** One chart per api (the busiest `MAX_APIS`): every minute from the api's first to its last, 0 where it had none. */
function chartOf(s: ApiSeries, index: number, findings: readonly Finding[]): ChartData {
  const keys = [...s.minutes.keys()];
  const from = Math.min(...keys);
  const to = Math.max(...keys);
  const x: number[] = [];
  const observed: number[] = [];
  const upper: (number | null)[] = [];
  const lower: (number | null)[] = [];
  for (let m = from; m <= to; m += 60_000) {
    x.push(m / 1000);
    observed.push(s.minutes.get(m) ?? 0);
    const b = s.baseline.get(m);
    upper.push(b ? Math.round((b[0] + 3 * b[1]) * 10) / 10 : null);
    lower.push(b ? Math.max(0, Math.round((b[0] - 3 * b[1]) * 10) / 10) : null);
  }
  const marks: ChartData['marks'] = {};
  for (const f of findings) {
    if (f.api !== s.api) continue;
    const minute = f.windowStart - (f.windowStart % 60_000);
    const i = Math.round((Math.min(Math.max(minute, from), to) - from) / 60_000);
    const series = (marks[f.severity] ??= new Array<number | null>(x.length).fill(null));
    series[i] = observed[i]!;
  }
  return { id: `chart-${index}`, title: `${s.api} (${s.direction})`, x, observed, upper, lower, marks };
}

function evidenceText(e: Finding['evidence']): string {
  return Object.entries(e)
    .slice(0, 12)
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? (Number.isInteger(v) ? v : Math.round(v * 1000) / 1000) : cut(String(v), 160)}`)
    .join(' · ');
}

export function renderReport(c: ReportCollector, input: ReportInput): string {
  const { js, css } = uplotAssets();
  const t = input.tally;
  const series = [...c.apis.values()].sort((a, b) => b.events - a.events);
  const findings = [...c.findings].sort((a, b) => rank(b.severity) - rank(a.severity) || a.windowStart - b.windowStart);
  const charts = series.slice(0, MAX_APIS).filter((s) => s.minutes.size > 0).map((s, i) => chartOf(s, i, findings));
  const worst = findings[0]?.severity;

  const detectors = [...c.byDetectorSeverity.entries()].sort((a, b) => [...b[1].values()].reduce((x, y) => x + y, 0) - [...a[1].values()].reduce((x, y) => x + y, 0));
  const shownSeverities = [...severities].reverse();
  const matrix = detectors.length
    ? `<table class="matrix"><thead><tr><th>detector</th>${shownSeverities.map((s) => `<th class="sev-${s}">${s}</th>`).join('')}<th>all</th></tr></thead><tbody>${detectors
        .map(([d, row]) => `<tr><td>${escapeHtml(d)}</td>${shownSeverities.map((s) => `<td class="num${row.get(s) ? ` sev-${s}` : ''}">${row.get(s) ?? ''}</td>`).join('')}<td class="num">${[...row.values()].reduce((x, y) => x + y, 0)}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="quiet">No findings.</p>';

  const subjects = [...c.subjects.values()].sort((a, b) => b.findings - a.findings || rank(b.worst) - rank(a.worst)).slice(0, 20);
  const subjectTable = subjects.length
    ? `<table><thead><tr><th>subject</th><th>findings</th><th>worst</th><th>detectors</th></tr></thead><tbody>${subjects
        .map((s) => `<tr><td><span class="kind">${escapeHtml(s.kind)}</span> ${escapeHtml(cut(s.value, 120))}</td><td class="num">${s.findings}</td><td><span class="badge sev-${s.worst}">${s.worst}</span></td><td>${escapeHtml([...s.detectors].join(', '))}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="quiet">No findings, so no subjects.</p>';

  const findingRows = findings
    .slice(0, 500)
    .map(
      (f) =>
        `<tr><td class="time">${iso(f.windowStart)}</td><td><span class="badge sev-${f.severity}">${f.severity}</span></td><td>${escapeHtml(f.detector)}</td><td>${escapeHtml(cut(f.api, 80))}${f.route ? `<br><span class="route">${escapeHtml(cut(f.route, 120))}</span>` : ''}</td><td><span class="kind">${escapeHtml(f.subject.kind)}</span> ${escapeHtml(cut(f.subject.value, 120))}</td><td>${escapeHtml(cut(f.title, 300))}<div class="evidence">${escapeHtml(evidenceText(f.evidence))}</div></td></tr>`,
    )
    .join('');
  const findingTable = findings.length
    ? `<table class="findings"><thead><tr><th>window start</th><th>severity</th><th>detector</th><th>api / route</th><th>subject</th><th>what (evidence)</th></tr></thead><tbody>${findingRows}</tbody></table>${c.findingCount > Math.min(findings.length, 500) ? `<p class="quiet">${int(Math.min(findings.length, 500))} of ${int(c.findingCount)} findings listed, the most severe first; the NDJSON on stdout has them all.</p>` : ''}`
    : '<p class="quiet">No findings.</p>';

  const lacking = trackedFields.map((field) => {
    const n = t.present[field];
    const silenced = detectorsNeeding[field];
    const never = input.lacks.includes(field);
    const state = n === t.events ? 'present' : !silenced ? 'unused' : n === 0 ? 'absent' : 'partial';
    return `<tr class="${state}"><td><code>${field}</code></td><td class="num">${pct(n, t.events)}</td><td>${never ? `never in <code>${escapeHtml(input.format)}</code> logs` : n === 0 ? 'in no event' : n < t.events ? `in ${int(n)} of ${int(t.events)} events` : 'in every event'}</td><td>${n < t.events && silenced ? escapeHtml(silenced.join('; ')) + (n === 0 ? ': silent' : ': judged on fewer events') : ''}</td></tr>`;
  });
  const rejected = t.rejected
    ? `<p>${int(t.rejected)} of ${int(t.lines)} lines were rejected${t.rejections.length < t.rejected ? ` (the first ${t.rejections.length} are listed)` : ''}:</p><table class="rejected"><thead><tr><th>line</th><th>why</th></tr></thead><tbody>${t.rejections.map((r) => `<tr><td class="num">${r.line}</td><td>${escapeHtml(r.reason)}</td></tr>`).join('')}</tbody></table>`
    : `<p>Every one of the ${int(t.lines)} lines was read.</p>`;

  const cards = [
    ['events', int(t.events)],
    ['lines rejected', int(t.rejected)],
    ['findings', int(c.findingCount)],
    ['worst', worst ? `<span class="badge sev-${worst}">${worst}</span>` : '—'],
    ['apis', int(c.apis.size)],
    ['from', iso(c.first)],
    ['to', iso(c.last)],
  ];
  const more = series.length > charts.length ? `<p class="quiet">${series.length - charts.length} more apis are not drawn (the ${charts.length} busiest are).</p>` : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="vigil backtest">
<title>${escapeHtml(input.title)}</title>
<style>${css}
:root { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; background: #f8fafc; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 8px 0 2px; } h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
.sub { color: #4b5563; margin: 0 0 12px; word-break: break-all; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 12px; min-width: 110px; }
.card b { display: block; font-size: 18px; } .card span.label { color: #6b7280; font-size: 12px; }
.chart { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px; margin: 10px 0; }
.chart h3 { margin: 0 0 4px; font-size: 14px; word-break: break-all; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f1f5f9; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
td, .evidence, .route { word-break: break-word; }
.evidence { color: #4b5563; font-size: 12px; margin-top: 2px; } .route { color: #4b5563; font-family: ui-monospace, monospace; font-size: 12px; }
.kind { color: #6b7280; font-size: 12px; } .quiet { color: #6b7280; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; color: #fff; font-size: 12px; }
${severities.map((s) => `.badge.sev-${s} { background: ${SEVERITY_COLORS[s]}; } td.sev-${s} { color: ${SEVERITY_COLORS[s]}; font-weight: 600; } th.sev-${s} { color: ${SEVERITY_COLORS[s]}; }`).join('\n')}
tr.absent td { background: #fef2f2; } tr.partial td { background: #fffbeb; } tr.unused td { color: #6b7280; }
.legend-note { color: #6b7280; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<p class="sub">${escapeHtml(input.inputs.join(', '))} · format <code>${escapeHtml(input.format)}</code> · ${input.seconds.toFixed(1)} s · generated ${escapeHtml(input.generatedAt)}</p>
<div class="cards">${cards.map(([label, value]) => `<div class="card"><span class="label">${label}</span><b>${value}</b></div>`).join('')}</div>

<h2>Traffic and its baseline</h2>
<p class="legend-note">Events a minute (line) against the engine's expectation for the minute ± 3 spreads (band, once its baseline has warmed up); findings are marked where their window starts, coloured by severity.</p>
<div id="charts">${charts.map((ch) => `<div class="chart" id="${ch.id}"><h3>${escapeHtml(ch.title)}</h3></div>`).join('')}</div>
${charts.length === 0 ? '<p class="quiet">No events to draw.</p>' : ''}${more}

<h2>Findings by detector and severity</h2>
${matrix}

<h2>Top subjects</h2>
${subjectTable}

<h2>Findings</h2>
${findingTable}

<h2>What the input lacked</h2>
<table class="fields"><thead><tr><th>field</th><th>events with it</th><th></th><th>what its absence silences</th></tr></thead><tbody>${lacking.join('')}</tbody></table>
${t.present.latencyMs < t.events ? '<p class="quiet">Events without a duration carry <code>latencyMs: 0</code>.</p>' : ''}
${rejected}

<script type="application/json" id="vigil-data">${scriptJson({ charts, colors: { traffic: TRAFFIC_COLOR, band: BAND_COLOR, severities: SEVERITY_COLORS } })}</script>
<script>${inlineScript(js)}</script>
<script>${inlineScript(CLIENT_SCRIPT)}</script>
</body>
</html>
`;
}

/** Draws the charts from the page's JSON (no input text is written as HTML: uPlot sets labels as text). */
const CLIENT_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('vigil-data').textContent);
  var state = { charts: data.charts.length, drawn: 0, errors: [] };
  window.vigilReport = state;
  var order = ['critical', 'high', 'medium', 'low', 'info'];
  data.charts.forEach(function (ch) {
    try {
      var el = document.getElementById(ch.id);
      var series = [{}, { label: 'events/min', stroke: data.colors.traffic, width: 1.5, points: { show: false } },
        { label: 'expected + 3 spreads', stroke: 'transparent', points: { show: false } },
        { label: 'expected - 3 spreads', stroke: 'transparent', points: { show: false } }];
      var values = [ch.x, ch.observed, ch.upper, ch.lower];
      order.forEach(function (sev) {
        var m = ch.marks[sev];
        if (!m) return;
        var color = data.colors.severities[sev];
        series.push({ label: sev + ' finding', stroke: color, paths: function () { return null; }, points: { show: true, size: 11, width: 2, stroke: '#ffffff', fill: color } });
        values.push(m);
      });
      var width = Math.max(320, el.clientWidth - 16);
      new uPlot({
        width: width, height: 220,
        tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
        scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } },
        series: series,
        bands: [{ series: [2, 3], fill: data.colors.band }],
        axes: [{}, { label: 'events/min' }],
        hooks: { draw: [function () { if (!el.dataset.drawn) { el.dataset.drawn = '1'; state.drawn++; } }] },
      }, values, el);
    } catch (e) {
      state.errors.push(String(e && e.message || e));
    }
  });
})();
`;
