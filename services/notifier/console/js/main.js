// @ts-check
import { call, signOut, token } from './api.js';
import { clear, el } from './dom.js';
import { incidentPage } from './incident.js';
import { incidentsPage } from './incidents.js';
import { inventoryPage } from './inventory.js';
import { silencesPage, suppressionsPage } from './records.js';
import { signInPage } from './signin.js';

/**
 * @typedef {{ role: 'operator' | 'viewer', canAct: boolean }} Session
 * @typedef {{ main: HTMLElement, session: Session, params: URLSearchParams, onLeave: (stop: () => void) => void }} PageContext
 */

/** @type {(() => void)[]} */
let leaving = [];
/** @type {Session | undefined} */
let session;

const pages = [
  { pattern: /^\/incidents\/([^/?]+)$/, href: '', label: '', render: incidentPage },
  { pattern: /^\/incidents$/, href: '#/incidents', label: 'Incidents', render: incidentsPage },
  { pattern: /^\/suppressions$/, href: '#/suppressions', label: 'Suppressions', render: suppressionsPage },
  { pattern: /^\/silences$/, href: '#/silences', label: 'Silences', render: silencesPage },
  { pattern: /^\/inventory$/, href: '#/inventory', label: 'Inventory', render: inventoryPage },
];

/** The hash route: `#/incidents?tier=notify` → path and query. */
function route() {
  const raw = location.hash.replace(/^#/, '') || '/incidents';
  const at = raw.indexOf('?');
  return { path: at < 0 ? raw : raw.slice(0, at), params: new URLSearchParams(at < 0 ? '' : raw.slice(at + 1)) };
}

/**
 * A path segment decoded, or left as it is when its percent-encoding is malformed (the API then answers 400).
 * @param {string} segment
 */
function safeDecode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** @param {string} current */
function renderNav(current) {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  clear(nav);
  for (const p of pages.filter((p) => p.label)) {
    const here = current.startsWith(p.href.slice(1));
    nav.appendChild(el('a', { href: p.href, 'aria-current': here ? 'page' : undefined }, [p.label]));
  }
  const who = /** @type {HTMLElement} */ (document.getElementById('who'));
  who.textContent = session ? (session.canAct ? 'operator' : 'viewer (read-only)') : '';
  /** @type {HTMLElement} */ (document.getElementById('signout')).hidden = !session;
}

async function show() {
  for (const stop of leaving.splice(0)) stop();
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  clear(main);
  const { path, params } = route();
  if (path === '/signin' || !token()) {
    session = undefined;
    renderNav('/signin');
    signInPage(main, () => {
      location.hash = '#/incidents';
    });
    return;
  }
  if (!session) session = await call('/session').catch(() => undefined);
  if (!session) {
    main.appendChild(el('p', { class: 'status error', role: 'status' }, ['The notifier did not answer; reload the page to try again.']));
    return;
  }
  renderNav(path);
  const page = pages.find((p) => p.pattern.test(path));
  if (!page) {
    main.appendChild(el('h1', { tabindex: '-1' }, ['Not found']));
    return;
  }
  const match = /** @type {RegExpExecArray} */ (page.pattern.exec(path));
  const ctx = { main, session, params, onLeave: (/** @type {() => void} */ stop) => leaving.push(stop) };
  if (match[1] !== undefined) params.set('id', safeDecode(match[1]));
  await page.render(ctx);
  // Move focus to the new page's heading, as a page load would, for keyboard and screen-reader users.
  main.querySelector('h1')?.focus();
}

function start() {
  /** @type {HTMLElement} */ (document.getElementById('signout')).addEventListener('click', () => {
    signOut();
    session = undefined;
    location.hash = '#/signin';
  });
  window.addEventListener('hashchange', () => void show());
  void show();
}

start();
