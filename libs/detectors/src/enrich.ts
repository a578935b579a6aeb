import type { ApiTransaction } from '@vigil/contracts';
import { deriveRoute, objectIdOf } from './route-template.js';
import type { EnrichedEvent } from './types.js';

/** User agents of automation clients and headless browsers (not mobile HTTP stacks such as okhttp). */
export const AUTOMATION_AGENT = /\b(curl|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|libwww-perl|scrapy|headlesschrome|phantomjs|puppeteer|playwright|selenium|httpie|java\/\d|apache-httpclient|masscan|nikto|sqlmap|zgrab)\b|\b(bot|crawler|spider)\b/i;

export function createEnricher(loginRoutePattern: string): (event: ApiTransaction) => EnrichedEvent {
  const login = new RegExp(loginRoutePattern, 'i');
  return (event) => {
    const route = event.route ?? deriveRoute(event.path);
    const enriched: EnrichedEvent = {
      ...event,
      route,
      login: event.direction === 'inbound' && login.test(route),
      automationAgent: event.userAgent !== undefined && AUTOMATION_AGENT.test(event.userAgent.slice(0, 512)),
    };
    const objectId = objectIdOf(event.path, route);
    if (objectId !== undefined) enriched.objectId = objectId;
    return enriched;
  };
}
