import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { headerInt, headerText } from './headers.js';
import { checkInboundOptions, recordInbound, type InboundOptions } from './inbound.js';
import type { Publisher } from './publisher.js';

export { createPublisher, type Publisher } from './publisher.js';
export type { PublisherOptions } from './options.js';

export type FastifyOptions = InboundOptions<FastifyRequest>;

const BODY = 'vigilJsonBody';

declare module 'fastify' {
  interface FastifyRequest {
    /** The object a handler returned, kept by @vigil/client for the response signature. */
    [BODY]: unknown;
  }
}

/**
 * Fastify plugin (v5): one ApiTransaction v1 per request, built in the
 * `onResponse` hook. It applies to every route of the instance it is
 * registered on (it is not encapsulated):
 * `await app.register(vigilFastify(publisher, { api: 'accounts' }))`.
 * The route template is `request.routeOptions.url`; a payload Fastify
 * serializes as JSON gets a response signature.
 */
export function vigilFastify(publisher: Publisher, options: FastifyOptions): FastifyPluginCallback {
  checkInboundOptions(publisher, options);
  const signing = options.signatureMaxBytes !== 0;
  const plugin: FastifyPluginCallback = (app, _opts, done) => {
    if (signing) {
      if (!app.hasRequestDecorator(BODY)) app.decorateRequest(BODY, undefined);
      app.addHook('preSerialization', (request, _reply, payload, next) => {
        request[BODY] = payload;
        next(null, payload);
      });
    }
    app.addHook('onResponse', (request, reply, next) => {
      try {
        if (!options.ignore?.(request)) {
          const latencyMs = reply.elapsedTime;
          recordInbound(publisher, options, request, {
            method: request.method,
            url: request.url,
            route: request.routeOptions.url,
            status: reply.statusCode,
            startedAt: Date.now() - Math.round(latencyMs),
            latencyMs,
            requestBytes: headerInt(request.headers['content-length']),
            responseBytes: headerInt(reply.getHeader('content-length')),
            clientIp: request.ip,
            userAgent: headerText(request.headers['user-agent'], 2048),
            contentType: headerText(reply.getHeader('content-type'), 256),
            jsonBody: request[BODY],
          });
        }
      } catch (err) {
        publisher.hookFailed(err, 'fastify');
      }
      next();
    });
    done();
  };
  // What fastify-plugin does: the hooks apply to the whole instance, not a child context.
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  Object.defineProperty(plugin, Symbol.for('fastify.display-name'), { value: 'vigil' });
  return plugin;
}
