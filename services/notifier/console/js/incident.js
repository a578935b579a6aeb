// @ts-check
import { actor, ApiError, call, query } from './api.js';
import { trafficChart } from './chart.js';
import { badge, clear, el, facts, say, statusLine, time, toMs } from './dom.js';
import { POLL_MS } from './incidents.js';

const HOUR = 3_600_000;
/** The chart shows the incident with half an hour either side, at most the 6 hours GET /traffic answers. */
const MARGIN_MS = 30 * 60_000;
const MAX_RANGE_MS = 6 * HOUR;

/** @param {Record<string, any>} i */
function summary(i) {
  return facts([
    ['State', badge('state', i.state)],
    ['Tier', badge('tier', i.tier)],
    ['Severity', badge('sev', i.severity)],
    ['Detector', i.detector],
    ['API', i.api],
    ['Route', i.route],
    ['Subject', `${i.subject.kind}: ${i.subject.value}`],
    ['First seen', time(toMs(i.firstSeenAt))],
    ['Last seen', time(toMs(i.lastSeenAt))],
    ['Findings', String(i.findingCount)],
    ['Acknowledged by', i.acknowledgedBy],
    ['Silenced until', i.silencedUntil ? time(toMs(i.silencedUntil)) : undefined],
    ['Id', i.id],
  ]);
}

/** @param {Record<string, any>} f */
function findingItem(f) {
  const evidence = Object.entries(f.evidence ?? {}).map(([k, v]) => /** @type {[string, string]} */ ([k, String(v)]));
  return el('li', { class: 'finding' }, [
    el('p', { class: 'when' }, [`${time(toMs(f.windowStart))} → ${time(toMs(f.windowEnd))}`, ' ', badge('sev', f.severity), ' ', f.detector, f.owasp ? ` · ${f.owasp}` : '']),
    el('h3', {}, [f.title]),
    el('p', {}, [f.description]),
    el('h4', {}, ['Evidence']),
    facts(evidence, 'facts evidence'),
    el('details', {}, [el('summary', {}, [`Sample event ids (${(f.eventIds ?? []).length})`]), el('ul', { class: 'ids' }, (f.eventIds ?? []).map((/** @type {string} */ id) => el('li', {}, [id])))]),
  ]);
}

/**
 * The chart's data: the api's counts around the incident, in whichever direction the detector counted it.
 * @param {Record<string, any>} i
 */
async function traffic(i) {
  const to = /** @type {number} */ (toMs(i.lastSeenAt)) + MARGIN_MS;
  const from = Math.max(/** @type {number} */ (toMs(i.firstSeenAt)) - MARGIN_MS, to - MAX_RANGE_MS);
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  const path = `/traffic/${encodeURIComponent(i.api)}`;
  const both = await Promise.all(['inbound', 'outbound'].map((direction) => call(`${path}${query({ direction, ...range })}`)));
  const counted = (/** @type {any} */ t) => t.minutes.filter((/** @type {any} */ m) => m.calls !== null).length;
  return counted(both[1]) > counted(both[0]) ? both[1] : both[0];
}

/**
 * One action's form: a title, its fields, a submit button; the answer goes to the shared status line.
 * @param {string} title
 * @param {(Node)[]} fields
 * @param {string} button
 * @param {() => Promise<string>} act
 * @param {HTMLElement} status
 */
function actionForm(title, fields, button, act, status) {
  const submit = el('button', { type: 'submit' }, [button]);
  const form = el('form', { class: 'action', 'data-action': title.toLowerCase() }, [el('h3', {}, [title]), ...fields, submit]);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    // One request at a time; the button's disabled state belongs to the incident's state (offer).
    if (form.getAttribute('aria-busy') === 'true') return;
    form.setAttribute('aria-busy', 'true');
    try {
      say(status, await act(), 'ok');
    } catch (err) {
      say(status, err instanceof ApiError && err.status === 403 ? 'This token is read-only: it cannot act.' : `Failed: ${/** @type {Error} */ (err).message}`, 'error');
    } finally {
      form.setAttribute('aria-busy', 'false');
    }
  });
  return form;
}

/**
 * @param {string} id
 * @param {string} label
 * @param {string[][]} options
 */
function labelledSelect(id, label, options) {
  return [el('label', { for: id }, [label]), el('select', { id, name: id }, options.map(([v, t]) => el('option', { value: v ?? '' }, [t ?? ''])))];
}

/** @param {string} id */
const valueOf = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).value;
/** @param {string} id */
const checked = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).checked;

/**
 * Acknowledge, resolve, silence and verdict, each a real form with a button.
 * @param {() => Record<string, any>} current
 * @param {() => Promise<void>} refresh
 * @param {HTMLElement} status
 */
function actions(current, refresh, status) {
  const post = async (/** @type {string} */ verb, /** @type {unknown} */ body) => {
    const answer = await call(`/incidents/${encodeURIComponent(current().id)}/${verb}`, { method: 'POST', body });
    await refresh();
    return answer;
  };
  const matcherBoxes = [
    ['m-detector', 'the same detector'],
    ['m-api', 'the same API'],
    ['m-route', 'the same route'],
    ['m-subject', 'the same kind of subject'],
  ].map(([id, text]) => el('div', { class: 'check' }, [el('input', { type: 'checkbox', id: id ?? '' }), el('label', { for: id ?? '' }, [text ?? ''])]));
  return el('section', { class: 'actions', 'aria-labelledby': 'actions-h' }, [
    el('h2', { id: 'actions-h' }, ['Actions']),
    el('div', { class: 'action-grid' }, [
      actionForm('Acknowledge', [el('p', {}, ['Someone is on it: stops the escalation to wake up.'])], 'Acknowledge', async () => {
        await post('ack', { by: actor() });
        return 'Acknowledged.';
      }, status),
      actionForm('Resolve', [el('p', {}, ['Over: a new finding opens a new incident.'])], 'Resolve', async () => {
        await post('resolve', { by: actor() });
        return 'Resolved.';
      }, status),
      actionForm(
        'Silence',
        [...labelledSelect('s-duration', 'Mute notifications for', [['3600000', '1 hour'], ['14400000', '4 hours'], ['86400000', '24 hours'], ['604800000', '7 days']]), el('fieldset', {}, [el('legend', {}, ['Also silence other incidents with (optional)']), ...matcherBoxes]), el('label', { for: 's-comment' }, ['Comment']), el('input', { id: 's-comment', type: 'text', maxlength: 1000 })],
        'Silence',
        async () => {
          const i = current();
          /** @type {Record<string, string[]>} */
          const matcher = {};
          if (checked('m-detector')) matcher.detector = [i.detector];
          if (checked('m-api')) matcher.api = [i.api];
          if (checked('m-route') && i.route) matcher.route = [i.route];
          if (checked('m-subject')) matcher.subjectKind = [i.subject.kind];
          const comment = valueOf('s-comment').trim();
          const answer = await post('silence', { durationMs: Number(valueOf('s-duration')), by: actor(), ...(Object.keys(matcher).length ? { matcher } : {}), ...(comment ? { comment } : {}) });
          return answer.silence ? `Silenced; the silence ${answer.silence.id} also covers matching incidents.` : 'Silenced.';
        },
        status,
      ),
      actionForm(
        'Verdict',
        [
          ...labelledSelect('v-verdict', 'Verdict', [['false_positive', 'False positive: suppress and resolve'], ['true_positive', 'True positive: never learn it as usual']]),
          ...labelledSelect('v-scope', 'Covering', [['subject', 'this detector about this subject'], ['route', 'this detector on this API and route']]),
          el('label', { for: 'v-reason' }, ['Note']),
          el('textarea', { id: 'v-reason', rows: 2, maxlength: 1000 }),
        ],
        'Record verdict',
        async () => {
          const reason = valueOf('v-reason').trim();
          const answer = await post('verdict', { verdict: valueOf('v-verdict'), scope: valueOf('v-scope'), by: actor(), ...(reason ? { reason } : {}) });
          return answer.suppression ? `False positive recorded: suppression ${answer.suppression.id}.` : `True positive recorded: confirmation ${answer.confirmation?.id ?? ''}.`;
        },
        status,
      ),
    ]),
  ]);
}

/**
 * Enables an action's button only where the incident's state allows it (acknowledge an open incident, resolve an unresolved one).
 * @param {string} action
 * @param {boolean} allowed
 */
function offer(action, allowed) {
  const button = document.querySelector(`form[data-action="${action}"] button`);
  if (!button) return;
  if (allowed) button.removeAttribute('disabled');
  else button.setAttribute('disabled', '');
}

/** @param {import('./main.js').PageContext} ctx */
export async function incidentPage(ctx) {
  const id = ctx.params.get('id') ?? '';
  const heading = el('h1', { tabindex: '-1' }, ['Incident']);
  const about = el('div');
  const status = statusLine();
  const chart = el('div', { class: 'chart-box' }, [el('p', { class: 'note' }, ['Loading the traffic…'])]);
  const timeline = el('ol', { class: 'timeline', reversed: true });
  /** @type {Record<string, any>} */
  let incident = {};
  /** @type {any[]} */
  let findings = [];
  const refresh = async () => {
    try {
      const answer = await call(`/incidents/${encodeURIComponent(id)}`);
      incident = answer.incident;
      findings = answer.findings;
      heading.textContent = incident.title;
      clear(about);
      about.appendChild(summary(incident));
      clear(timeline);
      for (const f of answer.findings) timeline.appendChild(findingItem(f));
      offer('acknowledge', incident.state === 'open');
      offer('resolve', incident.state !== 'resolved');
    } catch (err) {
      say(status, `Could not load the incident: ${/** @type {Error} */ (err).message}`, 'error');
    }
  };
  const drawChart = async () => {
    try {
      const t = await traffic(incident);
      clear(chart);
      chart.appendChild(trafficChart(t, findings));
    } catch (err) {
      clear(chart);
      chart.appendChild(el('p', { class: 'note' }, [`No chart: ${/** @type {Error} */ (err).message}`]));
    }
  };
  ctx.main.append(
    el('p', { class: 'crumbs' }, [el('a', { href: '#/incidents' }, ['← Incidents'])]),
    heading,
    about,
    status,
    ctx.session.canAct ? actions(() => incident, refresh, status) : el('p', { class: 'note viewer' }, ['Signed in with the read-only token: actions are not available.']),
    el('section', { 'aria-labelledby': 'traffic-h' }, [el('h2', { id: 'traffic-h' }, ['Traffic around the incident']), chart]),
    el('section', { 'aria-labelledby': 'timeline-h' }, [el('h2', { id: 'timeline-h' }, ['Findings, newest first']), timeline]),
  );
  await refresh();
  if (incident.id) await drawChart();
  const timer = setInterval(() => void refresh(), POLL_MS);
  ctx.onLeave(() => clearInterval(timer));
}
