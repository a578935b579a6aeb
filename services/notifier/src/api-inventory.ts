import { directions } from '@vigil/contracts';
import { inventoryToOpenApi, readInventory, type InventoryEndpoint, type InventoryQuery } from '@vigil/detectors';
import { StateError } from '@vigil/errors';
import type { RedisClient } from '@vigil/redis';
import { HttpError, type ApiRoute } from './api-http.js';
import { apiName, oneOfParam, singleParam, timeParam } from './api-params.js';
import { NotFoundError } from './errors.js';

/** Reads the API inventory the detector keeps (readInventory's query: api, direction, since in epoch ms). */
export type InventoryReader = (q: InventoryQuery) => Promise<InventoryEndpoint[]>;

/** The inventory in Redis under the detector's key prefix (REDIS_KEY_PREFIX); a failed read is retriable (503), as the incident store's. */
export function redisInventory(redis: RedisClient, prefix: string): InventoryReader {
  return async (q) => {
    try {
      return await readInventory(redis, prefix, q);
    } catch (err) {
      throw new StateError('VIGIL_REDIS_COMMAND', `inventory: ${(err as Error).message}`, { cause: err, retriable: true });
    }
  };
}

/** An API without an inventory source: every api has none. */
export const noInventory: InventoryReader = () => Promise.resolve([]);

/** `direction`, `since` (RFC 3339, endpoints first seen at or after it) and, where `withApi`, `api`; absent ones are left out. */
export function inventoryQuery(query: URLSearchParams, withApi: boolean): InventoryQuery {
  const q: InventoryQuery = {};
  const direction = oneOfParam(query, 'direction', directions);
  if (direction !== undefined) q.direction = direction;
  const since = timeParam(query, 'since');
  if (since !== undefined) q.since = since;
  const api = singleParam(query, 'api');
  if (api !== undefined && !withApi) throw new HttpError(400, 'the api is named in the path; drop the api query parameter');
  if (api !== undefined) q.api = apiName(api);
  return q;
}

/** The latest call of the endpoints (now, if a damaged entry leaves none): an OpenAPI document's date. */
function latestCall(endpoints: readonly InventoryEndpoint[]): number {
  const latest = Math.max(...endpoints.map((e) => e.lastSeen).filter(Number.isFinite));
  return Number.isFinite(latest) ? latest : Date.now();
}

/**
 * The inventory routes, read-only: every api's endpoints, one api's, and
 * one api's OpenAPI 3.1 document rebuilt from traffic. One api with no
 * endpoints at all is a 404; a filter that leaves none is an empty list.
 */
export function inventoryRoutes(read: InventoryReader): ApiRoute[] {
  async function ofApi(segment: string, filters: InventoryQuery): Promise<{ api: string; endpoints: InventoryEndpoint[] }> {
    const api = apiName(segment);
    const endpoints = await read({ ...filters, api });
    const filtered = filters.direction !== undefined || filters.since !== undefined;
    if (endpoints.length === 0 && (!filtered || (await read({ api })).length === 0)) throw new NotFoundError(`no inventory for api ${JSON.stringify(api)}`);
    return { api, endpoints };
  }

  return [
    {
      method: 'GET',
      template: '/inventory',
      pattern: /^\/inventory$/,
      async handle(_p, _b, query) {
        return [200, { endpoints: await read(inventoryQuery(query, true)) }];
      },
    },
    {
      method: 'GET',
      template: '/inventory/{api}',
      pattern: /^\/inventory\/([^/]+)$/,
      async handle([api], _b, query) {
        return [200, await ofApi(api!, inventoryQuery(query, false))];
      },
    },
    {
      method: 'GET',
      template: '/inventory/{api}/openapi',
      pattern: /^\/inventory\/([^/]+)\/openapi$/,
      async handle([segment]) {
        // The whole api, both directions: the document is dated by the latest call in it.
        const { api, endpoints } = await ofApi(segment!, {});
        return [200, inventoryToOpenApi(endpoints, { api, generatedAt: latestCall(endpoints) })];
      },
    },
  ];
}
