import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import type { InventoryEndpoint } from './model.js';
import { inventoryToOpenApi, inventoryToOpenApiByApi, operationName, templatePath } from './openapi.js';

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const GENERATED = Date.UTC(2025, 4, 8, 12, 0, 0);

function endpoint(over: Partial<InventoryEndpoint> & Pick<InventoryEndpoint, 'method' | 'route'>): InventoryEndpoint {
  return {
    api: 'shop',
    direction: 'inbound',
    firstSeen: T0,
    lastSeen: T0 + 3_600_000,
    callsPerDay: [{ day: '2025-05-01', calls: 10 }],
    calls: 10,
    statusCodes: { '200': 10 },
    latencyMs: { p50: 10, p95: 40 },
    responseBytes: { p50: 200, p95: 900 },
    signatures: [],
    contentTypes: [],
    authenticatedShare: 0,
    anonymousServed: 0,
    distinct: { principals: 1, addresses: 1, clients: 1 },
    ...over,
  };
}

const inventory: InventoryEndpoint[] = [
  endpoint({
    method: 'GET',
    route: '/users/{id}/account',
    calls: 1234,
    statusCodes: { '200': 1200, '404': 30, '500': 4, '0': 3, '999': 1, abc: 2 },
    contentTypes: [
      { value: 'application/json', firstSeen: T0 },
      { value: 'application/problem+json', firstSeen: T0 + 1000 },
    ],
    signatures: [
      { value: 'sig-b', firstSeen: T0 + 5000 },
      { value: 'sig-a', firstSeen: T0 },
    ],
    authenticatedShare: 0.9,
  }),
  endpoint({ method: 'DELETE', route: '/users/{id}/account', statusCodes: { '204': 5 }, contentTypes: [{ value: 'application/json', firstSeen: T0 }], authenticatedShare: 1 }),
  endpoint({ method: 'GET', route: '/orders/{id}', statusCodes: { '200': 7, '304': 3 }, contentTypes: [{ value: 'application/json', firstSeen: T0 }] }),
  endpoint({ method: 'POST', route: '/v1/charges', statusCodes: { '201': 2, '402': 1 } }),
  endpoint({ method: 'GET', route: '/teams/{id}/members/{id}', authenticatedShare: 0.4 }),
  endpoint({ method: 'GET', route: '/', statusCodes: {} }),
  endpoint({ method: 'OTHER', route: '/v1/charges', calls: 3, statusCodes: { '405': 3 } }),
  endpoint({ method: 'GET', route: '{other}', calls: 99 }),
  endpoint({ api: 'stripe', direction: 'outbound', method: 'POST', route: '/v1/charges' }),
];

/** Every `{name}` in a path is declared once at the path level, and nothing else is. */
function declaredParams(doc: Record<string, unknown>): void {
  for (const [path, item] of Object.entries(doc.paths as Record<string, { parameters?: { name: string; in: string; required: boolean }[] }>)) {
    const names = [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
    const declared = (item.parameters ?? []).map((p) => p.name);
    expect(declared, path).toEqual(names);
    expect(new Set(declared).size, path).toBe(declared.length);
    for (const p of item.parameters ?? []) expect(p).toMatchObject({ in: 'path', required: true, schema: { type: 'string' } });
  }
}

function operationIds(doc: Record<string, unknown>): string[] {
  return Object.values(doc.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((item) =>
    Object.values(item).flatMap((op) => (op && typeof op === 'object' && 'operationId' in op ? [op.operationId!] : [])),
  );
}

describe('inventoryToOpenApi', () => {
  it('writes a document the OpenAPI 3.1 schema accepts, with every path parameter declared and unique operation ids', async () => {
    const doc = inventoryToOpenApi(inventory, { api: 'shop', generatedAt: GENERATED });
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    declaredParams(doc);
    const ids = operationIds(doc);
    expect(ids.length).toBe(6);
    expect(new Set(ids.map((id) => id.toLowerCase())).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
  });

  it('keeps one path per route template, sorted, without the overflow route', () => {
    const doc = inventoryToOpenApi(inventory, { api: 'shop', generatedAt: GENERATED }) as { openapi: string; info: Record<string, unknown>; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'shop (observed by vigil)', version: '2025-05-08' });
    expect(Object.keys(doc.paths)).toEqual(['/', '/orders/{id}', '/teams/{id}/members/{id2}', '/users/{id}/account', '/v1/charges']);
    expect(JSON.stringify(doc)).not.toContain('{other}');
  });

  it('lists the exact status codes seen in 100–599, with content types where a body can be', () => {
    const doc = inventoryToOpenApi(inventory, { api: 'shop', generatedAt: GENERATED }) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const get = doc.paths['/users/{id}/account']!.get!;
    const responses = get.responses as Record<string, { description: string; content?: Record<string, unknown> }>;
    expect(Object.keys(responses)).toEqual(['200', '404', '500']);
    expect(responses['200']!.description).toBe('Seen 1,200 times');
    expect(Object.keys(responses['404']!.content!)).toEqual(['application/json', 'application/problem+json']);
    expect(responses['200']!.content!['application/json']).toMatchObject({ schema: {} });
    expect(get['x-vigil-response-signatures']).toEqual([
      { signature: 'sig-a', firstSeen: new Date(T0).toISOString() },
      { signature: 'sig-b', firstSeen: new Date(T0 + 5000).toISOString() },
    ]);
    expect(get['x-vigil-observed']).toMatchObject({ calls: 1234, firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0 + 3_600_000).toISOString(), authenticatedShare: 0.9 });
    const charges = doc.paths['/v1/charges']!.post!.responses as Record<string, Record<string, unknown>>;
    expect(charges['201']).toEqual({ description: 'Seen 2 times' });
    expect(charges['402']).toEqual({ description: 'Seen once' });
    expect((doc.paths['/users/{id}/account']!.delete!.responses as Record<string, unknown>)['204']).toEqual({ description: 'Seen 5 times' });
    expect((doc.paths['/orders/{id}']!.get!.responses as Record<string, Record<string, unknown>>)['304']!.content).toBeUndefined();
    expect(doc.paths['/']!.get!.responses).toBeUndefined();
    expect(doc.paths['/v1/charges']!['x-vigil-other-methods']).toMatchObject({ OTHER: { calls: 3 } });
  });

  it('marks operations mostly called with a principal as secured, by an inferred scheme', () => {
    const doc = inventoryToOpenApi(inventory, { api: 'shop', generatedAt: GENERATED }) as { paths: Record<string, Record<string, Record<string, unknown>>>; components: Record<string, Record<string, Record<string, unknown>>> };
    expect(doc.paths['/users/{id}/account']!.get!.security).toEqual([{ observedPrincipal: [] }]);
    expect(doc.paths['/teams/{id}/members/{id2}']!.get!.security).toBeUndefined();
    expect(doc.components.securitySchemes!.observedPrincipal).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes!.observedPrincipal!.description).toMatch(/inferred/i);
    const open = inventoryToOpenApi([endpoint({ method: 'GET', route: '/a' })], { generatedAt: GENERATED });
    expect(open.components).toBeUndefined();
  });

  it('describes an outbound provider when named, marking its calls', async () => {
    const doc = inventoryToOpenApi(inventory, { api: 'stripe', generatedAt: GENERATED, title: 'Stripe as we call it' }) as { info: Record<string, unknown>; paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(doc.info.title).toBe('Stripe as we call it');
    expect(Object.keys(doc.paths)).toEqual(['/v1/charges']);
    expect(doc.paths['/v1/charges']!.post!['x-vigil-direction']).toBe('outbound');
    expect((await new Validator().validate(doc)).valid).toBe(true);
  });

  it('takes inbound endpoints of one api by default, and refuses several apis without one named', () => {
    const doc = inventoryToOpenApi(inventory.filter((e) => e.api === 'shop'), { generatedAt: GENERATED }) as { info: Record<string, unknown> };
    expect(doc.info.title).toBe('shop (observed by vigil)');
    const two = [...inventory, endpoint({ api: 'admin', method: 'GET', route: '/x' })];
    expect(() => inventoryToOpenApi(two, { generatedAt: GENERATED })).toThrow(/admin, shop.*inventoryToOpenApiByApi/);
    const byApi = inventoryToOpenApiByApi(two, { generatedAt: GENERATED });
    expect([...byApi.keys()]).toEqual(['admin', 'shop', 'stripe']);
    expect(Object.keys((byApi.get('admin') as { paths: object }).paths)).toEqual(['/x']);
  });

  it('merges routes that differ only in parameter names, and is deterministic', async () => {
    const list = [
      endpoint({ method: 'GET', route: '/items/:itemId', calls: 10, authenticatedShare: 1, statusCodes: { '200': 10 } }),
      endpoint({ method: 'GET', route: '/items/{id}', calls: 30, authenticatedShare: 0, statusCodes: { '200': 20, '404': 10 } }),
      endpoint({ method: 'GET', route: '/files/<path:name>', statusCodes: { '200': 1 } }),
      endpoint({ method: 'GET', route: '/odd/{/x}', statusCodes: { '200': 1 } }),
    ];
    const doc = inventoryToOpenApi(list, { generatedAt: GENERATED }) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(Object.keys(doc.paths)).toEqual(['/files/{name}', '/items/{itemId}', '/odd/%7B/x%7D']);
    const get = doc.paths['/items/{itemId}']!.get!;
    expect(get['x-vigil-observed']).toMatchObject({ routes: ['/items/:itemId', '/items/{id}'], calls: 40, authenticatedShare: 0.25 });
    expect(get.responses).toEqual({ '200': { description: 'Seen 30 times' }, '404': { description: 'Seen 10 times' } });
    expect((await new Validator().validate(doc)).valid).toBe(true);
    declaredParams(doc);
    expect(JSON.stringify(inventoryToOpenApi([...list].reverse(), { generatedAt: GENERATED }))).toBe(JSON.stringify(doc));
  });
});

describe('path and operation names', () => {
  it('declares repeated parameter names once each', () => {
    expect(templatePath('/a/{id}/b/{id}/c/{id2}')).toEqual({ path: '/a/{id}/b/{id2}/c/{id22}', shape: '/a/{}/b/{}/c/{}', params: ['id', 'id2', 'id22'] });
    expect(templatePath('/x/{}')).toMatchObject({ path: '/x/{param}', params: ['param'] });
  });

  it('names operations from method and path, letters and digits only', () => {
    expect(operationName('GET', '/users/{id}/account')).toBe('getUsersByIdAccount');
    expect(operationName('POST', '/v1/charges')).toBe('postV1Charges');
    expect(operationName('GET', '/')).toBe('getRoot');
    expect(operationName('GET', '/files/{name}.{ext}')).toBe('getFilesByNameByExt');
    expect(operationName('PUT', '/user-settings/dark_mode')).toBe('putUserSettingsDarkMode');
  });
});
