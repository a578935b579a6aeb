// @ts-check
import { call, query } from './api.js';
import { badge, clear, el, say, statusLine, time, toMs } from './dom.js';

/** How often the list asks for changes while it is shown. */
export const POLL_MS = 5000;

const TIERS = ['log', 'notify', 'wake_up'];
const STATES = ['open', 'acknowledged', 'resolved'];
const DETECTORS = ['bola_enumeration', 'bot', 'credential_stuffing', 'burst', 'volume_anomaly', 'error_rate', 'latency_degradation', 'response_size', 'schema_drift', 'rate_limit_exhaustion', 'known_threat', 'large_response', 'new_endpoint', 'shadow_endpoint', 'zombie_endpoint', 'unauthenticated_access'];
/** The time ranges offered, by their value in the query: how far back "seen" reaches. */
const RANGES = [
  ['', 'any time'],
  ['1h', 'last hour'],
  ['6h', 'last 6 hours'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
];
const RANGE_MS = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000, '7d': 7 * 24 * 3_600_000 };

/**
 * A labelled select.
 * @param {string} name
 * @param {string} label
 * @param {string[][]} options [value, text]
 * @param {string} value
 */
function select(name, label, options, value) {
  const s = el('select', { id: `f-${name}`, name }, options.map(([v, t]) => el('option', { value: v ?? '', selected: v === value }, [t ?? ''])));
  return el('div', { class: 'field' }, [el('label', { for: `f-${name}` }, [label]), s]);
}

/**
 * A labelled local date-time input (the browser's own picker, keyboard usable).
 * @param {string} name
 * @param {string} label
 * @param {string} value
 */
function dateField(name, label, value) {
  const input = el('input', { id: `f-${name}`, name, type: 'datetime-local', value: /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value) ? value : undefined });
  return el('div', { class: 'field' }, [el('label', { for: `f-${name}` }, [label]), input]);
}

/**
 * The time filter as the API takes it: an explicit from/to (local time in the form) wins over a "seen in the last …" range.
 * @param {URLSearchParams} p
 */
function timeFilter(p) {
  const iso = (/** @type {string | null} */ local) => (local && !Number.isNaN(new Date(local).getTime()) ? new Date(local).toISOString() : undefined);
  const since = iso(p.get('from'));
  const until = iso(p.get('to'));
  if (since || until) return { since, until };
  const range = /** @type {keyof typeof RANGE_MS | ''} */ (p.get('range') ?? '');
  return { since: range && RANGE_MS[range] ? new Date(Date.now() - RANGE_MS[range]).toISOString() : undefined, until: undefined };
}

/** @param {Record<string, any>} i */
function row(i) {
  const link = el('a', { href: `#/incidents/${encodeURIComponent(i.id)}` }, [i.title]);
  return el('tr', { 'data-id': i.id }, [
    el('td', { 'data-label': 'Severity' }, [badge('sev', i.severity)]),
    el('td', { 'data-label': 'Tier' }, [badge('tier', i.tier)]),
    el('td', { 'data-label': 'State' }, [badge('state', i.state)]),
    el('td', { 'data-label': 'Incident', class: 'title' }, [link]),
    el('td', { 'data-label': 'Detector' }, [i.detector]),
    el('td', { 'data-label': 'API' }, [i.api]),
    el('td', { 'data-label': 'Subject', class: 'subject' }, [`${i.subject.kind}: ${i.subject.value}`]),
    el('td', { 'data-label': 'Last seen' }, [time(toMs(i.lastSeenAt))]),
    el('td', { 'data-label': 'Findings', class: 'num' }, [String(i.findingCount)]),
  ]);
}

/** @param {import('./main.js').PageContext} ctx */
export async function incidentsPage(ctx) {
  const p = ctx.params;
  const apiInput = el('input', { id: 'f-api', name: 'api', type: 'text', value: p.get('api') ?? '', maxlength: 256 });
  const form = el('form', { class: 'filters', 'aria-label': 'Filters' }, [
    select('tier', 'Tier', [['', 'any'], ...TIERS.map((t) => [t, t.replace('_', ' ')])], p.get('tier') ?? ''),
    select('state', 'State', [['', 'any'], ...STATES.map((s) => [s, s])], p.get('state') ?? ''),
    select('detector', 'Detector', [['', 'any'], ...DETECTORS.map((d) => [d, d])], p.get('detector') ?? ''),
    el('div', { class: 'field' }, [el('label', { for: 'f-api' }, ['API']), apiInput]),
    select('range', 'Seen', RANGES, p.get('range') ?? ''),
    dateField('from', 'Or from (local time)', p.get('from') ?? ''),
    dateField('to', 'To (local time)', p.get('to') ?? ''),
    el('div', { class: 'field buttons' }, [el('button', { type: 'submit' }, ['Apply']), el('a', { href: '#/incidents', class: 'button' }, ['Clear'])]),
  ]);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (form));
    /** @type {Record<string, string>} */
    const chosen = {};
    for (const [k, v] of data) if (typeof v === 'string' && v.trim()) chosen[k] = v.trim();
    location.hash = `#/incidents${query(chosen)}`;
  });
  const status = statusLine('Loading…');
  const body = el('tbody');
  const table = el('table', { class: 'incidents' }, [
    el('caption', { class: 'visually-hidden' }, ['Incidents, most recently changed first']),
    el('thead', {}, [el('tr', {}, ['Severity', 'Tier', 'State', 'Incident', 'Detector', 'API', 'Subject', 'Last seen', 'Findings'].map((h) => el('th', { scope: 'col' }, [h])))]),
    body,
  ]);
  ctx.main.append(el('h1', { tabindex: '-1' }, ['Incidents']), form, status, el('div', { class: 'table-wrap' }, [table]));

  const refresh = async () => {
    try {
      const { incidents } = await call(`/incidents${query({ tier: p.get('tier') ?? '', state: p.get('state') ?? '', detector: p.get('detector') ?? '', api: p.get('api') ?? '', ...timeFilter(p), limit: 200 })}`);
      clear(body);
      for (const i of incidents) body.appendChild(row(i));
      say(status, `${incidents.length} ${incidents.length === 1 ? 'incident' : 'incidents'}; updated ${time(Date.now())}, every ${POLL_MS / 1000} s.`, 'ok');
    } catch (err) {
      say(status, `Could not load the incidents: ${/** @type {Error} */ (err).message}`, 'error');
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), POLL_MS);
  ctx.onLeave(() => clearInterval(timer));
}
