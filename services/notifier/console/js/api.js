// @ts-check
/** The notifier's API, from the tab: the token lives in sessionStorage (gone when the tab closes) and goes out as a Bearer header. */

const TOKEN = 'vigil.token';
const NAME = 'vigil.name';

export function token() {
  return sessionStorage.getItem(TOKEN) ?? '';
}

/** The name recorded on actions (the API's `by`); defaults to "console". */
export function actor() {
  return sessionStorage.getItem(NAME) || 'console';
}

/**
 * @param {string} value
 * @param {string} name
 */
export function signIn(value, name) {
  sessionStorage.setItem(TOKEN, value);
  if (name) sessionStorage.setItem(NAME, name);
  else sessionStorage.removeItem(NAME);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(NAME);
}

/** A failed call, with the API's own message. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Calls the API (same origin); JSON in and out. A 401 sends the tab back to sign-in.
 * @param {string} path
 * @param {{ method?: string, body?: unknown, stay?: boolean }} [options] stay: a 401 does not leave the page (sign-in checks a token)
 * @returns {Promise<any>}
 */
export async function call(path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token()}`, accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), cache: 'no-store', credentials: 'omit' });
  if (res.status === 204) return undefined;
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 && !options.stay) {
    signOut();
    location.hash = '#/signin';
  }
  if (!res.ok) {
    const details = Array.isArray(body.details) ? `: ${body.details.join('; ')}` : '';
    throw new ApiError(res.status, `${body.error ?? `HTTP ${res.status}`}${details}`);
  }
  return body;
}

/**
 * A query string from the set values.
 * @param {Record<string, string | number | undefined>} params
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
