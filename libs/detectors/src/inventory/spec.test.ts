import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSpecMatcher, loadDeclaredSpec, matchDeclared, serverPath, type DeclaredSpec } from './spec.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const YAML_SPEC = `
openapi: 3.0.3
info:
  title: Shop
  version: 2.1.0
servers:
  - url: https://shop.example.com/api/v2
security:
  - bearer: []
paths:
  /users/{userId}:
    get:
      responses: { '200': { description: ok } }
    delete:
      deprecated: true
      responses: { '204': { description: gone } }
  /users/me:
    get:
      responses: { '200': { description: ok } }
  /health:
    get:
      security: []
      responses: { '200': { description: ok } }
  /login:
    post:
      security: [{}]
      responses: { '200': { description: ok } }
  /files/{name}/:
    get:
      security: [{}, { bearer: [] }]
      responses: { '200': { description: ok } }
  /reports/report-{id}.pdf:
    get:
      responses: { '200': { description: ok } }
  x-internal: true
`;

const JSON_SPEC = {
  openapi: '3.1.0',
  info: { title: 'Payments', version: '1' },
  servers: [{ url: '{scheme}://pay.example.com/{base}', variables: { scheme: { default: 'https' }, base: { default: 'v1' } } }],
  paths: {
    '/charges': { post: { security: [{ key: [] }], responses: {} }, get: {} },
    '/charges/{chargeId}/refunds': { post: { servers: [{ url: '/internal' }] } },
  },
};

describe('loadDeclaredSpec', () => {
  it('reads a YAML 3.0 spec: servers prefix, deprecated, security inherited or overridden', () => {
    const spec = loadDeclaredSpec(file('shop.yaml', YAML_SPEC));
    expect(spec.title).toBe('Shop');
    expect(spec.version).toBe('2.1.0');
    expect(spec.operations).toEqual([
      { method: 'GET', path: '/api/v2/users/{userId}', deprecated: false, secured: true },
      { method: 'DELETE', path: '/api/v2/users/{userId}', deprecated: true, secured: true },
      { method: 'GET', path: '/api/v2/users/me', deprecated: false, secured: true },
      { method: 'GET', path: '/api/v2/health', deprecated: false, secured: false },
      { method: 'POST', path: '/api/v2/login', deprecated: false, secured: false },
      { method: 'GET', path: '/api/v2/files/{name}/', deprecated: false, secured: false },
      { method: 'GET', path: '/api/v2/reports/report-{id}.pdf', deprecated: false, secured: true },
    ]);
  });

  it('reads a JSON 3.1 spec: server variables, operation servers, no top-level security', () => {
    const spec = loadDeclaredSpec(file('pay.json', JSON.stringify(JSON_SPEC)));
    expect(spec.operations).toEqual([
      { method: 'GET', path: '/v1/charges', deprecated: false, secured: false },
      { method: 'POST', path: '/v1/charges', deprecated: false, secured: true },
      { method: 'POST', path: '/internal/charges/{chargeId}/refunds', deprecated: false, secured: false },
    ]);
  });

  it('takes the path of a server url, whatever its form', () => {
    expect(serverPath([{ url: 'https://x.example.com' }])).toBe('');
    expect(serverPath([{ url: 'https://x.example.com/' }])).toBe('');
    expect(serverPath([{ url: '/api/' }])).toBe('/api');
    expect(serverPath([{ url: 'api/v3' }])).toBe('/api/v3');
    expect(serverPath([{ url: '//cdn.example.com/a?x=1' }])).toBe('/a');
    expect(serverPath([{ url: './' }])).toBe('');
    expect(serverPath([])).toBeUndefined();
    expect(serverPath(undefined)).toBeUndefined();
  });

  it('names the file and what is wrong with it', () => {
    const cases: [string, string, RegExp][] = [
      ['swagger.yaml', 'swagger: "2.0"\ninfo: { title: x, version: "1" }\npaths: {}\n', /swagger\.yaml: is Swagger 2\.0, not OpenAPI 3/],
      ['noversion.yaml', 'info: { title: x }\npaths: {}\n', /noversion\.yaml: is not OpenAPI 3 \("openapi" is missing\)/],
      ['four.json', '{"openapi": "4.0.0", "paths": {}}', /four\.json: is not OpenAPI 3 \("openapi" is "4\.0\.0"\)/],
      ['nopaths.yaml', 'openapi: 3.1.0\ninfo: { title: x, version: "1" }\n', /nopaths\.yaml: has no "paths" mapping/],
      ['empty-paths.yaml', 'openapi: 3.1.0\npaths: {}\n', /empty-paths\.yaml: declares no operations/],
      ['list.yaml', '- a\n- b\n', /list\.yaml: does not hold a mapping/],
      ['broken.yaml', 'openapi: 3.1.0\npaths:\n  /a: [unclosed\n  /b: {}\n', /broken\.yaml: not valid YAML: .*line 4/],
      ['broken.json', '{\n  "openapi": "3.1.0",\n  "paths": {,}\n}', /broken\.json: not valid JSON: .*line 3/],
    ];
    for (const [name, text, message] of cases) expect(() => loadDeclaredSpec(file(name, text)), name).toThrow(message);
    expect(() => loadDeclaredSpec(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read it \(ENOENT\)/);
  });
});

describe('matching vigil routes against the spec', () => {
  const spec = loadDeclaredSpec(file('shop-match.yaml', YAML_SPEC));

  it('matches templated segments whatever the parameter names, and literal segments exactly', () => {
    expect(matchDeclared(spec, 'GET', '/api/v2/users/{id}')).toMatchObject({ method: 'GET', path: '/api/v2/users/{userId}' });
    expect(matchDeclared(spec, 'DELETE', '/api/v2/users/{id}')).toMatchObject({ deprecated: true });
    expect(matchDeclared(spec, 'GET', '/api/v2/users/me')).toMatchObject({ path: '/api/v2/users/me' });
    expect(matchDeclared(spec, 'GET', '/api/v2/users/42')).toMatchObject({ path: '/api/v2/users/{userId}' });
    expect(matchDeclared(spec, 'GET', '/api/v2/Users/{id}')).toBeUndefined();
    expect(matchDeclared(spec, 'GET', '/api/v2/{id}/me')).toBeUndefined();
    expect(matchDeclared(spec, 'GET', '/users/{id}')).toBeUndefined();
  });

  it('lets a spec template match a concrete segment, including inside a segment', () => {
    expect(matchDeclared(spec, 'GET', '/api/v2/files/report.pdf')).toMatchObject({ path: '/api/v2/files/{name}/' });
    expect(matchDeclared(spec, 'GET', '/api/v2/reports/report-2024.pdf')).toMatchObject({ path: '/api/v2/reports/report-{id}.pdf' });
    expect(matchDeclared(spec, 'GET', '/api/v2/reports/{id}')).toMatchObject({ path: '/api/v2/reports/report-{id}.pdf' });
    expect(matchDeclared(spec, 'GET', '/api/v2/reports/summary.pdf')).toBeUndefined();
  });

  it('ignores trailing slashes on either side', () => {
    expect(matchDeclared(spec, 'GET', '/api/v2/files/{id}')).toMatchObject({ path: '/api/v2/files/{name}/' });
    expect(matchDeclared(spec, 'GET', '/api/v2/health/')).toMatchObject({ path: '/api/v2/health' });
  });

  it('needs the method to match, and never matches the overflow route', () => {
    expect(matchDeclared(spec, 'POST', '/api/v2/users/{id}')).toBeUndefined();
    expect(matchDeclared(spec, 'get', '/api/v2/health')).toMatchObject({ method: 'GET' });
    expect(matchDeclared(spec, 'OTHER', '/api/v2/health')).toBeUndefined();
    const root: DeclaredSpec = { operations: [{ method: 'GET', path: '/{tenant}', deprecated: false, secured: false }] };
    expect(matchDeclared(root, 'GET', '/acme')).toBeDefined();
    expect(matchDeclared(root, 'GET', '{other}')).toBeUndefined();
  });

  it('answers the same through the cached matcher, within its bound', () => {
    const match = createSpecMatcher(spec, 2);
    const routes = ['/api/v2/users/{id}', '/api/v2/users/me', '/api/v2/nope', '/api/v2/users/{id}', '/api/v2/nope', '/api/v2/health/'];
    for (let round = 0; round < 3; round++) {
      for (const route of routes) for (const method of ['GET', 'DELETE', 'PUT']) expect(match(method, route), `${method} ${route}`).toBe(matchDeclared(spec, method, route));
    }
  });
});
