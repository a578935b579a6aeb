import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { VigilError } from '@vigil/errors';
import { NotFoundError } from './errors.js';
import type { ApiRouteTemplate } from './metrics.js';

/** What the bearer token of a request may do: an operator acts, a viewer (the read-only token) only reads. */
export type Role = 'operator' | 'viewer';

/** Answers one request: the decoded path parameters, the JSON body (read on demand), the query and the caller's role; returns the status and the body. */
export type Handler = (params: string[], body: () => Promise<unknown>, query: URLSearchParams, role: Role) => Promise<[number, unknown]>;

/** A route of the API: its method, its template (the metrics label), the pattern its path matches (one group per parameter). */
export interface ApiRoute {
  method: string;
  template: ApiRouteTemplate;
  pattern: RegExp;
  handle: Handler;
}

/** An answer other than 2xx, with the message (and details) the client sees as `{ error, details }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The request target as a URL, or undefined when it is not a path (`*`, an absolute URL, `//[`). */
export function requestUrl(target: string | undefined): URL | undefined {
  const raw = target ?? '/';
  // Prefixing keeps `//host`-like targets a path instead of an authority.
  if (raw.startsWith('/')) {
    try {
      return new URL(`http://api.invalid${raw}`);
    } catch {
      // not a path a URL can hold
    }
  }
  return undefined;
}

/** decodeURIComponent that answers 400 instead of throwing URIError on `%zz` or a lone `%`. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'malformed percent-encoding in the path');
  }
}

/** True when the request carries a body (a length above 0, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return Number(req.headers['content-length'] ?? 0) > 0;
}

/** application/json, or a structured +json type (RFC 6839), parameters such as charset allowed. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Reads a JSON body of at most `max` bytes; an absent body reads as `{}`. A
 * body of another content type is refused with 415 before it is read.
 */
export function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  if (!hasBody(req)) return Promise.resolve({});
  if (!isJsonMediaType(req.headers['content-type'])) {
    return Promise.reject(new HttpError(415, 'the body must be JSON: send it with content-type application/json', undefined, { 'accept-post': 'application/json' }));
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(new HttpError(413, `body larger than ${max} bytes`));
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > max) {
        failed = true;
        reject(new HttpError(413, `body larger than ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolveBody({});
      try {
        resolveBody(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'body is not valid JSON'));
      }
    });
  });
}

const abortCodes = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The client went away mid-request (closed or reset the connection): its business, not a server fault. */
export function isClientAbort(err: unknown, req: IncomingMessage): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && abortCodes.has(code)) return true;
  return (err as Error | null)?.message === 'aborted' || (req.destroyed && !req.complete);
}

/** The status and body a thrown error answers with. */
export function failure(err: unknown): [number, unknown] {
  if (err instanceof HttpError) return [err.status, { error: err.message, ...(err.details ? { details: err.details } : {}) }];
  if (err instanceof ZodError) return [400, { error: 'invalid request body', details: err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) }];
  if (err instanceof NotFoundError) return [404, { error: err.message }];
  if (err instanceof VigilError && err.code === 'VIGIL_SUPPRESSIONS_FULL') return [409, { error: err.message }];
  if (err instanceof VigilError && err.retriable) return [503, { error: 'temporarily unavailable; try again' }];
  return [500, { error: 'internal error' }];
}

export function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return void res.end();
  if (status === 204) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
