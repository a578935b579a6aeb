// @ts-check
import { call } from './api.js';
import { el, say, statusLine, time } from './dom.js';

/** @param {{ p50: number, p95: number } | undefined} q */
const pct = (q) => (q ? `${q.p50} / ${q.p95}` : '—');

/** @param {import('./main.js').PageContext} ctx */
export async function inventoryPage(ctx) {
  const status = statusLine('Loading…');
  const body = el('tbody');
  const columns = ['API', 'Direction', 'Method', 'Route', 'Calls (7 days)', 'Authenticated', 'Latency p50 / p95 ms', 'First seen', 'Last seen'];
  const table = el('table', { class: 'inventory' }, [el('thead', {}, [el('tr', {}, columns.map((h) => el('th', { scope: 'col' }, [h])))]), body]);
  ctx.main.append(el('h1', { tabindex: '-1' }, ['Inventory']), el('p', {}, ['The endpoints the detector has seen in traffic over the last 7 days.']), status, el('div', { class: 'table-wrap' }, [table]));
  try {
    const { endpoints } = await call('/inventory');
    for (const e of endpoints) {
      const cells = [e.api, e.direction, e.method, e.route, String(e.calls), `${Math.round(e.authenticatedShare * 100)}%`, pct(e.latencyMs), time(e.firstSeen), time(e.lastSeen)];
      body.appendChild(el('tr', {}, cells.map((c, i) => el('td', { 'data-label': columns[i] ?? '' }, [c]))));
    }
    say(status, `${endpoints.length} endpoints.`, 'ok');
  } catch (err) {
    say(status, `Could not load the inventory: ${/** @type {Error} */ (err).message}`, 'error');
  }
}
