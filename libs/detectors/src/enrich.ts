import type { ApiTransaction } from '@vigil/contracts';
import { createRouteTemplater, idAt, idPosition, isDigits, isIdSegment, type IdPosition } from './route-template.js';
import type { EnrichedEvent } from './types.js';

/** User agents of automation clients and headless browsers (not mobile HTTP stacks such as okhttp). */
export const AUTOMATION_AGENT = /\b(curl|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|libwww-perl|scrapy|headlesschrome|phantomjs|puppeteer|playwright|selenium|httpie|java\/\d|apache-httpclient|masscan|nikto|sqlmap|zgrab)\b|\b(bot|crawler|spider)\b/i;

/** `compute` with its results remembered (bounded): routes, route segments and user agents repeat. */
function remembered<T>(compute: (text: string) => T): (text: string) => T {
  const results = new Map<string, T>();
  return (text) => {
    let v = results.get(text);
    if (v === undefined) {
      v = compute(text);
      if (results.size >= 10_000) results.clear();
      results.set(text, v);
    }
    return v;
  };
}

export function createEnricher(loginRoutePattern: string): (event: ApiTransaction) => EnrichedEvent {
  const login = new RegExp(loginRoutePattern, 'i');
  const isLoginRoute = remembered((route) => login.test(route));
  const isAutomationAgent = remembered((ua) => AUTOMATION_AGENT.test(ua.slice(0, 512)));
  const idPositionOf = remembered<IdPosition>(idPosition);
  // Digit runs are told apart at once; other segments (words, mostly) are remembered.
  const isWordId = remembered(isIdSegment);
  const isId = (segment: string) => isDigits(segment) || isWordId(segment);
  const routeOf = createRouteTemplater(isId);
  // Every enriched event has the same fields in the same order (absent ones undefined): one object
  // shape, so the engine and the detectors read them at monomorphic speed.
  return (event) => {
    const route = event.route ?? routeOf(event.path);
    const ua = event.userAgent;
    return {
      id: event.id,
      timestamp: event.timestamp,
      direction: event.direction,
      api: event.api,
      method: event.method,
      path: event.path,
      route,
      status: event.status,
      latencyMs: event.latencyMs,
      requestBytes: event.requestBytes,
      responseBytes: event.responseBytes,
      clientIp: event.clientIp,
      principal: event.principal,
      clientId: event.clientId,
      userAgent: ua,
      responseSignature: event.responseSignature,
      contentType: event.contentType,
      rateLimitLimit: event.rateLimitLimit,
      rateLimitRemaining: event.rateLimitRemaining,
      tags: event.tags,
      objectId: idAt(event.path, idPositionOf(route)),
      login: event.direction === 'inbound' && isLoginRoute(route),
      automationAgent: ua !== undefined && isAutomationAgent(ua),
    };
  };
}
