/**
 * Reading the few response headers vigil records. Nothing else of a request
 * or response's headers is captured: no authorization, cookies or keys.
 */

/** A header as the frameworks hand it over. */
export type HeaderValue = string | number | readonly string[] | undefined | null;

/** The first non-negative integer in a header value (`"100"`, `"100, 100;w=60"`, `["42"]`), or undefined. */
export function headerInt(value: HeaderValue): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const text = typeof value === 'string' ? value : value[0];
  if (text === undefined) return undefined;
  const m = /^\s*(\d{1,15})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The first value of a header as text, cut to `max` characters. */
export function headerText(value: HeaderValue, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : value[0];
  return text === undefined ? undefined : text.slice(0, max);
}

/** Names of the rate-limit headers providers send, most common first (IETF draft, GitHub/Twitter style, others). */
export const rateLimitHeaders = Object.freeze({
  limit: ['ratelimit-limit', 'x-ratelimit-limit', 'x-rate-limit-limit'],
  remaining: ['ratelimit-remaining', 'x-ratelimit-remaining', 'x-rate-limit-remaining'],
});

/** The provider's rate limit and what remains of it, from whichever header names it uses. */
export function rateLimitOf(get: (name: string) => HeaderValue): { rateLimitLimit?: number; rateLimitRemaining?: number } {
  const out: { rateLimitLimit?: number; rateLimitRemaining?: number } = {};
  for (const name of rateLimitHeaders.limit) {
    const v = headerInt(get(name));
    if (v !== undefined) {
      out.rateLimitLimit = v;
      break;
    }
  }
  for (const name of rateLimitHeaders.remaining) {
    const v = headerInt(get(name));
    if (v !== undefined) {
      out.rateLimitRemaining = v;
      break;
    }
  }
  return out;
}

/** The path of a URL or request target, without its query string or fragment (they may carry tokens). */
export function pathOnly(target: string): string {
  const cut = target.search(/[?#]/);
  const path = cut < 0 ? target : target.slice(0, cut);
  return path === '' ? '/' : path;
}

/** `/users/:id/account` (Express, Fastify) → `/users/{id}/account`, the template form of the contract. */
export function routeTemplate(route: string): string {
  return route.replace(/:([A-Za-z_$][\w$]*)(\([^)]*\))?\??/g, '{$1}');
}
