import type { Request, RequestHandler, Response } from 'express';
import { headerInt, headerText } from './headers.js';
import { checkInboundOptions, recordInbound, type InboundOptions } from './inbound.js';
import type { Publisher } from './publisher.js';

export { createPublisher, type Publisher } from './publisher.js';
export type { PublisherOptions } from './options.js';

export type ExpressOptions = InboundOptions<Request>;

/**
 * Express middleware (4 and 5): one ApiTransaction v1 per request, built
 * once the response has been sent. Mount it before the routes:
 * `app.use(vigilExpress(publisher, { api: 'accounts' }))`.
 * The route template comes from the route that matched (`req.baseUrl` +
 * `req.route.path`); a body sent with `res.json` gets a response signature.
 */
export function vigilExpress(publisher: Publisher, options: ExpressOptions): RequestHandler {
  checkInboundOptions(publisher, options);
  const signing = options.signatureMaxBytes !== 0;
  return function vigil(req, res, next) {
    try {
      if (!options.ignore?.(req)) observe(req, res);
    } catch (err) {
      publisher.hookFailed(err, 'express');
    }
    next();
  };

  function observe(req: Request, res: Response): void {
    const startedAt = Date.now();
    const t0 = performance.now();
    let jsonBody: unknown;
    if (signing) {
      const json = res.json;
      res.json = function captureJson(this: Response, body: unknown) {
        jsonBody = body;
        return json.call(this, body);
      };
    }
    res.once('finish', () => {
      recordInbound(publisher, options, req, {
        method: req.method,
        url: req.originalUrl,
        route: routeOf(req),
        status: res.statusCode,
        startedAt,
        latencyMs: performance.now() - t0,
        requestBytes: headerInt(req.headers['content-length']),
        responseBytes: headerInt(res.getHeader('content-length')),
        clientIp: req.ip,
        userAgent: headerText(req.headers['user-agent'], 2048),
        contentType: headerText(res.getHeader('content-type'), 256),
        jsonBody,
      });
    });
  }
}

/** The matched route's full template, mount path included; undefined when no route matched (a 404). */
function routeOf(req: Request): string | undefined {
  const path: unknown = req.route?.path;
  if (typeof path !== 'string') return undefined;
  const full = `${req.baseUrl ?? ''}${path}`;
  return full.length > 1 && full.endsWith('/') ? full.slice(0, -1) : full || '/';
}
