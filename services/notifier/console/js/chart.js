// @ts-check
import { el, svg, time, toMs } from './dom.js';

const W = 720;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };
/** Ids of the charts' titles, unique in the page. */
let charts = 0;

/**
 * @typedef {{ api: string, direction: string, from: number, to: number, minutes: { at: number, calls: number | null }[], baseline: { hour: number, perMinute: number | null, basis: string }[] }} Traffic
 */

/** @param {number} ms */
const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16);

/**
 * One bar per counted minute; a minute without a count has no bar (the detector wrote no counter: no calls, or the counter expired).
 * @param {Traffic['minutes']} minutes
 * @param {(t: number) => number} x
 * @param {(v: number) => number} y
 */
function callBars(minutes, x, y) {
  const width = Math.max(1, x(60_000) - x(0) - 0.5);
  return minutes
    .filter((m) => m.calls !== null && m.calls > 0)
    .map((m) => svg('rect', { class: 'calls', x: x(m.at).toFixed(1), y: y(/** @type {number} */ (m.calls)).toFixed(1), width: width.toFixed(1), height: Math.max(1, y(0) - y(/** @type {number} */ (m.calls))).toFixed(1) }, [svg('title', {}, [`${hhmm(m.at)}: ${m.calls} calls`])]));
}

/**
 * The baseline as a step per hour (an hour's expected calls per minute), clipped to the range.
 * @param {Traffic} t
 * @param {(t: number) => number} x
 * @param {(v: number) => number} y
 */
function baselinePath(t, x, y) {
  let d = '';
  for (const b of t.baseline) {
    if (b.perMinute === null) continue;
    const a = Math.max(b.hour, t.from);
    const z = Math.min(b.hour + 3_600_000, t.to);
    d += `M${x(a).toFixed(1)},${y(b.perMinute).toFixed(1)}L${x(z).toFixed(1)},${y(b.perMinute).toFixed(1)}`;
  }
  return d;
}

/**
 * The bases the baseline rests on, in words, for the caption.
 * @param {Traffic['baseline']} baseline
 */
function basisText(baseline) {
  const bases = new Set(baseline.map((b) => b.basis));
  if (bases.size === 1 && bases.has('none')) return 'no baseline yet (no earlier hours counted)';
  const parts = [];
  if (bases.has('same_hour')) parts.push('the same hour on up to 7 earlier days');
  if (bases.has('recent_hours')) parts.push('the 3 hours before, where no earlier day was counted');
  return `expected calls per minute from ${parts.join(', and ')}`;
}

/**
 * An inline SVG chart of an api's calls per minute against its baseline, with the findings' windows shaded.
 * @param {Traffic} t
 * @param {{ windowStart: string | number, windowEnd: string | number }[]} findings
 */
export function trafficChart(t, findings) {
  const counted = t.minutes.filter((m) => m.calls !== null);
  if (counted.length === 0) {
    return el('p', { class: 'note' }, [`No per-minute counts of ${t.api} (${t.direction}) for ${time(t.from)} to ${time(t.to)}: the detector keeps them for 3 hours.`]);
  }
  const peak = Math.max(1, ...counted.map((m) => /** @type {number} */ (m.calls)), ...t.baseline.map((b) => b.perMinute ?? 0));
  const x = (/** @type {number} */ ms) => PAD.left + ((ms - t.from) / Math.max(1, t.to - t.from)) * (W - PAD.left - PAD.right);
  const y = (/** @type {number} */ v) => H - PAD.bottom - (v / peak) * (H - PAD.top - PAD.bottom);
  const titleId = `chart-title-${++charts}`;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': titleId }, [svg('title', { id: titleId }, [`Calls per minute to ${t.api} (${t.direction}) from ${time(t.from)} to ${time(t.to)}, peak ${Math.max(...counted.map((m) => /** @type {number} */ (m.calls)))}`])]);
  for (const f of findings) {
    const a = Math.max(t.from, /** @type {number} */ (toMs(f.windowStart)));
    const z = Math.min(t.to, /** @type {number} */ (toMs(f.windowEnd)));
    if (z > a) chart.appendChild(svg('rect', { class: 'window', x: x(a).toFixed(1), y: PAD.top, width: Math.max(1, x(z) - x(a)).toFixed(1), height: H - PAD.top - PAD.bottom }));
  }
  for (const v of [0, peak / 2, peak]) {
    chart.appendChild(svg('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(v).toFixed(1), y2: y(v).toFixed(1) }));
    chart.appendChild(svg('text', { class: 'axis', x: PAD.left - 6, y: (y(v) + 4).toFixed(1), 'text-anchor': 'end' }, [String(Math.round(v))]));
  }
  const step = Math.max(1, Math.ceil((t.to - t.from) / 5 / 600_000)) * 600_000;
  for (let at = Math.ceil(t.from / step) * step; at <= t.to; at += step) chart.appendChild(svg('text', { class: 'axis', x: x(at).toFixed(1), y: H - 8, 'text-anchor': 'middle' }, [hhmm(at)]));
  for (const bar of callBars(t.minutes, x, y)) chart.appendChild(bar);
  // The baseline goes over the bars, so it stays visible where traffic is above it.
  const base = baselinePath(t, x, y);
  if (base) chart.appendChild(svg('path', { class: 'baseline', d: base }));
  const legend = el('ul', { class: 'legend' }, [
    el('li', {}, [el('span', { class: 'swatch calls' }), `calls per minute to ${t.api} (${t.direction}), as the detector counted them`]),
    el('li', {}, [el('span', { class: 'swatch baseline' }), `baseline: ${basisText(t.baseline)}`]),
    el('li', {}, [el('span', { class: 'swatch window' }), "the findings' windows"]),
  ]);
  return el('figure', { class: 'chart-figure' }, [chart, el('figcaption', {}, [`Times in UTC, ${time(t.from)} to ${time(t.to)}. `, 'All traffic of the api, not only the subject’s: the detector counts calls per api and minute.', legend])]);
}
