// @ts-check
import { ApiError, call, signIn, signOut } from './api.js';
import { el, say, statusLine } from './dom.js';

/**
 * Sign-in: the API token (operator or read-only) pasted once per tab, checked against GET /session before it is kept.
 * @param {HTMLElement} main
 * @param {() => void} done
 */
export function signInPage(main, done) {
  const tokenInput = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, minlength: 16, spellcheck: 'false' });
  const nameInput = el('input', { id: 'name', name: 'name', type: 'text', autocomplete: 'name', maxlength: 256 });
  const status = statusLine();
  const form = el('form', { class: 'card signin', novalidate: true }, [
    el('h1', { tabindex: '-1' }, ['Sign in']),
    el('p', {}, ['Paste the notifier API token (or the read-only token). It is kept in this tab only and sent to this notifier alone.']),
    el('label', { for: 'token' }, ['API token']),
    tokenInput,
    el('label', { for: 'name' }, ['Your name (recorded on acknowledgements and verdicts)']),
    nameInput,
    el('button', { type: 'submit', class: 'primary' }, ['Sign in']),
    status,
  ]);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = /** @type {HTMLInputElement} */ (tokenInput).value.trim();
    if (value.length < 16) return say(status, 'The token has at least 16 characters.', 'error');
    signIn(value, /** @type {HTMLInputElement} */ (nameInput).value.trim());
    try {
      await call('/session', { stay: true });
      done();
    } catch (err) {
      signOut();
      say(status, err instanceof ApiError && err.status === 401 ? 'That token is not accepted.' : `Could not sign in: ${/** @type {Error} */ (err).message}`, 'error');
    }
  });
  main.appendChild(form);
}
