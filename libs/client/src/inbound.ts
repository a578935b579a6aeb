import { randomUUID } from 'node:crypto';
import type { ApiTransactionInput } from '@vigil/contracts';
import { VigilError } from '@vigil/errors';
import { pathOnly, routeTemplate } from './headers.js';
import type { Publisher } from './publisher.js';
import { responseSignature } from './signature.js';

/** What the Express and Fastify middleware are told; `Req` is the framework's request. */
export interface InboundOptions<Req> {
  /** The API's name in vigil (`accounts`). */
  api: string;
  /** Who is calling: the authenticated user, account or key id (never the secret itself). Called once the response is sent. */
  principal?: (req: Req) => string | undefined;
  /** Which application is calling (an OAuth client id, an app header). */
  clientId?: (req: Req) => string | undefined;
  /** Free labels on every event (env, region). */
  tags?: Readonly<Record<string, string>>;
  /** JSON response bodies up to this many bytes get a response signature (their shape, never values); 0 turns it off. Default 64 KiB. */
  signatureMaxBytes?: number;
  /** Requests not to record, e.g. health checks. */
  ignore?: (req: Req) => boolean;
}

/** The facts about one served request, as a framework adapter reads them. */
export interface InboundFacts {
  method: string;
  /** The request target as received (path and query; the query is dropped). */
  url: string;
  /** The router's template (`/users/:id/account`), when a route matched. */
  route: string | undefined;
  status: number;
  startedAt: number;
  latencyMs: number;
  requestBytes: number | undefined;
  responseBytes: number | undefined;
  clientIp: string | undefined;
  userAgent: string | undefined;
  contentType: string | undefined;
  /** The body the handler sent as JSON, when the adapter saw it as an object. */
  jsonBody: unknown;
}

export const DEFAULT_SIGNATURE_MAX_BYTES = 64 * 1024;

export function checkInboundOptions<Req>(publisher: Publisher, options: InboundOptions<Req>): void {
  if (!publisher || typeof publisher.publish !== 'function') throw new VigilError('VIGIL_ARGUMENT', 'vigil middleware needs a publisher (createPublisher)');
  if (typeof options?.api !== 'string' || options.api.length === 0) throw new VigilError('VIGIL_ARGUMENT', 'vigil middleware needs options.api, the name of the API');
  const max = options.signatureMaxBytes;
  if (max !== undefined && !(Number.isInteger(max) && max >= 0)) throw new VigilError('VIGIL_ARGUMENT', 'signatureMaxBytes must be a non-negative integer');
}

const isJson = (contentType: string | undefined): boolean => contentType !== undefined && /[/+]json\b/i.test(contentType);

/** Builds ApiTransaction v1 for a served request and hands it to the publisher. Never throws. */
export function recordInbound<Req>(publisher: Publisher, options: InboundOptions<Req>, req: Req, facts: InboundFacts): void {
  try {
    const max = options.signatureMaxBytes ?? DEFAULT_SIGNATURE_MAX_BYTES;
    const signed = facts.jsonBody !== undefined && max > 0 && facts.responseBytes !== undefined && facts.responseBytes <= max && isJson(facts.contentType);
    const event: ApiTransactionInput = {
      id: randomUUID(),
      timestamp: facts.startedAt,
      direction: 'inbound',
      api: options.api,
      method: facts.method,
      path: pathOnly(facts.url),
      route: facts.route === undefined ? undefined : routeTemplate(facts.route),
      status: facts.status,
      latencyMs: Math.round(facts.latencyMs * 1000) / 1000,
      requestBytes: facts.requestBytes,
      responseBytes: facts.responseBytes,
      clientIp: facts.clientIp,
      principal: options.principal?.(req) || undefined,
      clientId: options.clientId?.(req) || undefined,
      userAgent: facts.userAgent,
      responseSignature: signed ? responseSignature(facts.jsonBody) : undefined,
      contentType: facts.contentType,
      tags: options.tags as Record<string, string> | undefined,
    };
    publisher.publish(event);
  } catch (err) {
    publisher.hookFailed(err, 'inbound');
  }
}
