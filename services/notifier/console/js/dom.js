// @ts-check
/**
 * DOM building for the console. Every piece of text goes in through
 * textContent (or an attribute set one by one), never through HTML parsing:
 * paths, user agents, principals and titles come from traffic.
 */

/**
 * An element with attributes and children; strings become text nodes.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined | ((e: Event) => void)>} [attrs]
 * @param {(Node | string | number | undefined | null | false)[]} [children]
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) setAttr(node, name, value);
  append(node, children);
  return node;
}

/**
 * @param {Element} node
 * @param {string} name
 * @param {string | number | boolean | undefined | ((e: Event) => void)} value
 */
function setAttr(node, name, value) {
  if (value === undefined || value === false) return;
  if (typeof value === 'function') {
    if (!name.startsWith('on')) throw new Error(`not an event: ${name}`);
    node.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    return;
  }
  // Only these can carry a URL, and the console only builds links into itself.
  if ((name === 'href' || name === 'src') && !String(value).startsWith('#')) throw new Error(`links stay inside the console: ${String(value).slice(0, 40)}`);
  node.setAttribute(name, value === true ? '' : String(value));
}

/**
 * @param {Node} node
 * @param {(Node | string | number | undefined | null | false)[]} children
 */
export function append(node, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** @param {Node} node */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/**
 * An SVG element (the chart), attributes set one by one.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {(Node | string)[]} [children]
 */
export function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const c of children) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

/** @param {number | undefined} ms */
export function time(ms) {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** @param {string | number | undefined} at */
export function toMs(at) {
  if (typeof at === 'number') return at;
  return at === undefined ? undefined : Date.parse(at);
}

/**
 * A description list from pairs (empty values left out).
 * @param {[string, string | number | undefined | null | Node][]} pairs
 * @param {string} [className]
 */
export function facts(pairs, className = 'facts') {
  const dl = el('dl', { class: className });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === '') continue;
    append(dl, [el('dt', {}, [k]), el('dd', {}, [typeof v === 'object' ? v : String(v)])]);
  }
  return dl;
}

/**
 * A badge for a closed vocabulary (tier, state, severity); the class is chosen from a fixed list.
 * @param {string} kind
 * @param {string} value
 */
export function badge(kind, value) {
  const safe = /^[a-z_]{1,20}$/.test(value) ? value : 'other';
  return el('span', { class: `badge ${kind}-${safe}` }, [value.replace('_', ' ')]);
}

/**
 * A status line that screen readers announce.
 * @param {string} [text]
 */
export function statusLine(text = '') {
  return el('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, [text]);
}

/**
 * Sets a status line's text and kind (ok / error).
 * @param {HTMLElement} node
 * @param {string} text
 * @param {'ok' | 'error' | ''} [kind]
 */
export function say(node, text, kind = '') {
  node.textContent = text;
  node.className = `status ${kind}`.trim();
}
