// @ts-check
import { call } from './api.js';
import { clear, el, say, statusLine, time } from './dom.js';

/**
 * A table of records with a Delete button per row for operators.
 * @param {import('./main.js').PageContext} ctx
 * @param {{ title: string, intro: string, path: string, key: string, columns: [string, (r: any) => Node | string][] }} spec
 */
async function recordsPage(ctx, spec) {
  const status = statusLine('Loading…');
  const body = el('tbody');
  const headers = [...spec.columns.map(([h]) => h), ...(ctx.session.canAct ? [''] : [])];
  const table = el('table', { class: 'records' }, [el('thead', {}, [el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, [h])))]), body]);
  ctx.main.append(el('h1', { tabindex: '-1' }, [spec.title]), el('p', {}, [spec.intro]), status, el('div', { class: 'table-wrap' }, [table]));

  const refresh = async () => {
    try {
      const records = (await call(spec.path))[spec.key];
      clear(body);
      for (const r of records) body.appendChild(rowOf(r));
      say(status, `${records.length} live; updated ${time(Date.now())}.`, 'ok');
    } catch (err) {
      say(status, `Could not load: ${/** @type {Error} */ (err).message}`, 'error');
    }
  };
  /** @param {any} r */
  const rowOf = (r) => {
    const cells = spec.columns.map(([h, cell]) => el('td', { 'data-label': h }, [cell(r)]));
    if (ctx.session.canAct) {
      const button = el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${r.id}` }, ['Delete']);
      button.addEventListener('click', async () => {
        try {
          await call(`${spec.path}/${encodeURIComponent(r.id)}`, { method: 'DELETE' });
          say(status, `Deleted ${r.id}.`, 'ok');
          await refresh();
        } catch (err) {
          say(status, `Could not delete: ${/** @type {Error} */ (err).message}`, 'error');
        }
      });
      cells.push(el('td', {}, [button]));
    }
    return el('tr', { 'data-id': r.id }, cells);
  };
  await refresh();
}

/** @param {string | undefined} id */
const incidentLink = (id) => (id ? el('a', { href: `#/incidents/${encodeURIComponent(id)}` }, [id]) : '—');

/** @param {any} scope */
function scopeText(scope) {
  return scope.kind === 'subject' ? `${scope.subjectKind}: ${scope.value}` : `api ${scope.api}${scope.route ? ` route ${scope.route}` : ''}`;
}

/** @param {Record<string, string[]>} matcher */
function matcherText(matcher) {
  return Object.entries(matcher ?? {}).map(([k, v]) => `${k} = ${v.join(' | ')}`).join('; ') || '—';
}

/** @param {import('./main.js').PageContext} ctx */
export function suppressionsPage(ctx) {
  return recordsPage(ctx, {
    title: 'Suppressions',
    intro: 'False-positive verdicts: findings of the detector within the scope are neither published nor escalated until the suppression expires or is deleted.',
    path: '/suppressions',
    key: 'suppressions',
    columns: [
      ['Detector', (s) => s.detector],
      ['Scope', (s) => scopeText(s.scope)],
      ['By', (s) => s.createdBy],
      ['Reason', (s) => s.reason ?? '—'],
      ['Expires', (s) => time(s.expiresAt)],
      ['Incident', (s) => incidentLink(s.incidentId)],
    ],
  });
}

/** @param {import('./main.js').PageContext} ctx */
export function silencesPage(ctx) {
  return recordsPage(ctx, {
    title: 'Silences',
    intro: 'Muted notifications: incidents the matcher selects still record their findings, but their channels are not told until the silence ends or is deleted.',
    path: '/silences',
    key: 'silences',
    columns: [
      ['Matcher', (s) => matcherText(s.matcher)],
      ['By', (s) => s.createdBy],
      ['Comment', (s) => s.comment ?? '—'],
      ['Expires', (s) => time(s.expiresAt)],
      ['Incident', (s) => incidentLink(s.incidentId)],
    ],
  });
}
