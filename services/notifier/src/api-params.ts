import { parseRfc3339 } from '@vigil/contracts';
import { HttpError } from './api-http.js';

/** The query parameter readers every route shares: each bad value is a 400 that names the parameter and what it takes. */

/** The only value of a query parameter, or undefined; a parameter given twice is a 400 (which one would count?). */
export function singleParam(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new HttpError(400, `${name} must be given at most once`);
  return values[0];
}

/** A parameter that takes one of `allowed`, or undefined. */
export function oneOfParam<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const value = singleParam(query, name);
  if (value !== undefined && !(allowed as readonly string[]).includes(value)) throw new HttpError(400, `${name} must be one of ${allowed.join(', ')}`);
  return value as T | undefined;
}

/** An RFC 3339 time parameter in epoch ms, or undefined. */
export function timeParam(query: URLSearchParams, name: string): number | undefined {
  const value = singleParam(query, name);
  if (value === undefined) return undefined;
  const at = parseRfc3339(value);
  if (at === undefined) throw new HttpError(400, `${name} must be an RFC 3339 time, such as 2026-11-23T10:00:00Z (a + in an offset sent as %2B)`);
  return at;
}

/** An api name as events carry it (1 to 256 characters). */
export function apiName(value: string): string {
  if (value.length < 1 || value.length > 256) throw new HttpError(400, 'api must be 1 to 256 characters');
  return value;
}
