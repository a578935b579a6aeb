/**
 * @vigil/client: get API calls onto vigil's `api.transactions` topic from
 * Node. The publisher is here; the Express and Fastify middleware and the
 * outbound hooks are in `@vigil/client/express`, `/fastify`, `/undici` and
 * `/axios`, so an app loads only what it uses.
 */
export { buildPublisher, createPublisher, exponentialBackoff, keyOf, type FlushResult, type Publisher, type PublisherDeps, type PublisherStats, type SendOutcome, type Transport } from './publisher.js';
export { parsePublisherOptions, publisherOptionsSchema, type PublisherConfig, type PublisherOptions } from './options.js';
export { keyPaths, responseSignature, defaultSignatureLimits, type SignatureLimits } from './signature.js';
export { headerInt, rateLimitOf, rateLimitHeaders, routeTemplate } from './headers.js';
export type { InboundOptions } from './inbound.js';
export type { OutboundOptions } from './outbound.js';
export type { ApiTransaction, ApiTransactionInput } from '@vigil/contracts';
