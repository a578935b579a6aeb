import type { ApiTransaction } from '@vigil/contracts';
import { deriveRoute, objectIdOf } from './route-template.js';
import type { EnrichedEvent } from './types.js';

/** User agents of automation clients and headless browsers (not mobile HTTP stacks such as okhttp). */
export const AUTOMATION_AGENT = /\b(curl|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|libwww-perl|scrapy|headlesschrome|phantomjs|puppeteer|playwright|selenium|httpie|java\/\d|apache-httpclient|masscan|nikto|sqlmap|zgrab)\b|\b(bot|crawler|spider)\b/i;

export function createEnricher(loginRoutePattern: string): (event: ApiTransaction) => EnrichedEvent {
  const login = new RegExp(loginRoutePattern, 'i');
  // Routes and user agents repeat: their verdicts are remembered (bounded).
  const loginRoutes = new Map<string, boolean>();
  const agents = new Map<string, boolean>();
  const remember = <K>(cache: Map<K, boolean>, key: K, compute: () => boolean): boolean => {
    let v = cache.get(key);
    if (v === undefined) {
      v = compute();
      if (cache.size >= 10_000) cache.clear();
      cache.set(key, v);
    }
    return v;
  };
  return (event) => {
    const route = event.route ?? deriveRoute(event.path);
    const ua = event.userAgent;
    const enriched: EnrichedEvent = {
      ...event,
      route,
      login: event.direction === 'inbound' && remember(loginRoutes, route, () => login.test(route)),
      automationAgent: ua !== undefined && remember(agents, ua, () => AUTOMATION_AGENT.test(ua.slice(0, 512))),
    };
    const objectId = objectIdOf(event.path, route);
    if (objectId !== undefined) enriched.objectId = objectId;
    return enriched;
  };
}
