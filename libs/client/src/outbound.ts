import { randomUUID } from 'node:crypto';
import type { ApiTransactionInput } from '@vigil/contracts';
import { VigilError } from '@vigil/errors';
import { headerInt, headerText, pathOnly, rateLimitOf, type HeaderValue } from './headers.js';
import type { Publisher } from './publisher.js';

/** What the fetch/undici hook and the axios interceptor are told. */
export interface OutboundOptions {
  /**
   * The provider's name for a call (`payments-provider`), or undefined to not
   * record it. Default: the host name. Use it to keep internal calls out.
   */
  api?: (url: URL) => string | undefined;
  /** The calling application's name, recorded as clientId. */
  clientId?: string;
  /** Free labels on every event. */
  tags?: Readonly<Record<string, string>>;
}

/** The facts about one call to a third-party API, as a hook reads them. */
export interface OutboundFacts {
  url: URL;
  method: string;
  status: number;
  startedAt: number;
  /** Until the response headers arrived. */
  latencyMs: number;
  /** A response header by lower-case name. */
  header(name: string): HeaderValue;
  requestBytes?: number | undefined;
}

export function checkOutboundOptions(publisher: Publisher, options: OutboundOptions): void {
  if (!publisher || typeof publisher.publish !== 'function') throw new VigilError('VIGIL_ARGUMENT', 'a vigil outbound hook needs a publisher (createPublisher)');
  if (options.api !== undefined && typeof options.api !== 'function') throw new VigilError('VIGIL_ARGUMENT', 'options.api must be a function (url) => provider name or undefined');
}

/** Which provider a URL belongs to, or undefined when it is not recorded. */
export function providerOf(options: OutboundOptions, url: URL): string | undefined {
  return options.api ? options.api(url) || undefined : url.hostname || undefined;
}

/** Builds an outbound ApiTransaction v1 with the provider's rate-limit headers and hands it to the publisher. Never throws. */
export function recordOutbound(publisher: Publisher, options: OutboundOptions, api: string, facts: OutboundFacts): void {
  try {
    const event: ApiTransactionInput = {
      id: randomUUID(),
      timestamp: facts.startedAt,
      direction: 'outbound',
      api,
      method: facts.method.toUpperCase(),
      path: pathOnly(facts.url.pathname),
      status: facts.status,
      latencyMs: Math.round(facts.latencyMs * 1000) / 1000,
      requestBytes: facts.requestBytes,
      responseBytes: headerInt(facts.header('content-length')),
      clientId: options.clientId,
      contentType: headerText(facts.header('content-type'), 256),
      ...rateLimitOf(facts.header),
      tags: options.tags as Record<string, string> | undefined,
    };
    publisher.publish(event);
  } catch (err) {
    publisher.hookFailed(err, 'outbound');
  }
}
