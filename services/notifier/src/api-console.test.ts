import { get } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '@vigil/notifier-core';
import { consoleDir, loadConsoleAssets } from './api-console.js';
import { contentSecurityPolicy } from './api-headers.js';
import { stubbedApi } from './api.testing.js';
import type { IncidentStore } from './store.js';

const token = 'operator-token-0123456789';
const readToken = 'viewer-token-0123456789';
const T = Date.UTC(2026, 10, 23, 10, 0, 0);

function incident(over: Partial<IncidentState>): IncidentState {
  return {
    id: 'inc-AAAAAAAAAAAAAAAAAAAA',
    groupKey: 'g',
    version: 1,
    state: 'open',
    tier: 'notify',
    detector: 'burst',
    severity: 'high',
    api: 'accounts',
    subject: { kind: 'ip', value: '203.0.113.7' },
    title: 'Burst',
    findingCount: 1,
    findingIds: ['f-1'],
    lastFindingId: 'f-1',
    recent: [T],
    firstSeenAt: T,
    lastSeenAt: T + 60_000,
    changedAt: T + 60_000,
    ...over,
  };
}

const incidents = [
  incident({}),
  incident({ id: 'inc-BBBBBBBBBBBBBBBBBBBB', tier: 'wake_up', detector: 'known_threat', api: 'payments', state: 'acknowledged', firstSeenAt: T - 5 * 3_600_000, lastSeenAt: T - 4 * 3_600_000 }),
  incident({ id: 'inc-CCCCCCCCCCCCCCCCCCCC', tier: 'log', state: 'resolved', severity: 'low' }),
];

describe('the console, the read-only token and the security headers', () => {
  const reads: number[] = [];
  const store = { recent: (n: number) => (reads.push(n), Promise.resolve(incidents.slice(0, n))) } as unknown as IncidentStore;
  const api = stubbedApi('api-console-test', {
    token,
    readToken,
    escalator: { act: () => Promise.reject(new Error('must not be reached')) } as never,
    store,
    suppressions: { store: { list: () => Promise.resolve([]) } } as never,
    silences: { store: { list: () => Promise.resolve([]), remove: () => Promise.reject(new Error('must not be reached')) } } as never,
  });
  let base = '';
  beforeAll(async () => {
    base = `http://127.0.0.1:${(await api.listen(0)).port}`;
  });
  afterAll(() => api.close());
  const as = (who: string, path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init, headers: { authorization: `Bearer ${who}`, ...(init.headers as Record<string, string> | undefined) } });

  it('serves the console without a token, each file with its own type, and redirects / to it', async () => {
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    expect((await fetch(`${base}/console`, { redirect: 'manual' })).headers.get('location')).toBe('/console/');
    const index = await fetch(`${base}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await index.text();
    expect(html).toContain('<script type="module" src="js/main.js"></script>');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=|<style/); // no inline style
    for (const [path, type] of [['/console/js/main.js', 'text/javascript; charset=utf-8'], ['/console/console.css', 'text/css; charset=utf-8'], ['/console/favicon.svg', 'image/svg+xml']]) {
      const res = await fetch(`${base}${path}`);
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 200, type });
    }
  });

  it('answers unknown files 404, writes 405, a known ETag 304 and HEAD without a body', async () => {
    for (const path of ['/console/nope.js', '/console/tsconfig.json', '/console/js/', '/console/js/main.js.map']) expect({ path, status: (await fetch(`${base}${path}`)).status }).toEqual({ path, status: 404 });
    // A dot-dot path leaves /console/ when the URL is parsed: the API's token check answers it, never a file.
    for (const path of ['/console/../package.json', '/console/%2e%2e/src/api.ts']) {
      const raw = await new Promise<number>((resolve, reject) => get(`${base}${path}`, (res) => resolve(res.statusCode!)).on('error', reject));
      expect({ path, raw }).toEqual({ path, raw: 401 });
    }
    expect((await fetch(`${base}/console/`, { method: 'POST' })).status).toBe(405);
    const first = await fetch(`${base}/console/console.css`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    expect((await fetch(`${base}/console/console.css`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const head = await fetch(`${base}/console/console.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    expect(await head.text()).toBe('');
  });

  it('sends the security headers on console files, API answers and errors alike', async () => {
    const answers = [await fetch(`${base}/console/`), await fetch(`${base}/console/js/main.js`), await fetch(`${base}/`, { redirect: 'manual' }), await as(token, '/incidents'), await fetch(`${base}/incidents`), await as(token, '/nothing-here'), await fetch(`${base}/console/missing`)];
    for (const res of answers) {
      expect(res.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(contentSecurityPolicy).toContain("default-src 'none'");
    expect(contentSecurityPolicy).toContain("script-src 'self'");
    expect(contentSecurityPolicy).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy).not.toContain('unsafe');
  });

  it('tells a token what it may do: GET /session', async () => {
    expect(await (await as(token, '/session')).json()).toEqual({ role: 'operator', canAct: true });
    expect(await (await as(readToken, '/session')).json()).toEqual({ role: 'viewer', canAct: false });
    expect((await as('not-the-token-at-all-000', '/session')).status).toBe(401);
  });

  it('lets the read-only token GET but answers 403 to every POST and DELETE, before anything is done', async () => {
    expect((await as(readToken, '/incidents')).status).toBe(200);
    expect((await as(readToken, '/suppressions')).status).toBe(200);
    for (const [method, path] of [['POST', '/incidents/inc-AAAAAAAAAAAAAAAAAAAA/ack'], ['POST', '/incidents/inc-AAAAAAAAAAAAAAAAAAAA/verdict'], ['DELETE', '/silences/sil-AAAAAAAAAAAAAAAA']]) {
      const res = await as(readToken, path!, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(((await res.json()) as { error: string }).error).toBe('this token is read-only: it may list and show, not act');
    }
  });

  it('filters GET /incidents by tier, state, detector, api and time, reading deeper when narrowed', async () => {
    const ids = async (q: string) => ((await (await as(token, `/incidents${q}`)).json()) as { incidents: { id: string }[] }).incidents.map((i) => i.id.slice(4, 5));
    reads.splice(0);
    expect(await ids('?limit=2')).toEqual(['A', 'B']);
    expect(reads).toEqual([2]);
    expect(await ids('?tier=wake_up')).toEqual(['B']);
    expect(reads.at(-1)).toBe(1000);
    expect(await ids('?state=resolved')).toEqual(['C']);
    expect(await ids('?detector=burst&api=accounts')).toEqual(['A', 'C']);
    expect(await ids(`?since=${new Date(T - 3_600_000).toISOString()}`)).toEqual(['A', 'C']);
    expect(await ids(`?until=${new Date(T - 3_600_000).toISOString()}`)).toEqual(['B']);
    expect(await ids('?severity=low')).toEqual(['C']);
  });

  it('answers bad filters with 400 and a message that names the fix', async () => {
    const cases: [string, string][] = [
      ['?tier=page', 'tier must be one of log, notify, wake_up'],
      ['?state=closed', 'state must be one of open, acknowledged, resolved'],
      ['?detector=nope', 'detector must be one of bola_enumeration'],
      ['?severity=urgent', 'severity must be one of info, low, medium, high, critical'],
      ['?since=yesterday', 'since must be an RFC 3339 time'],
      ['?since=2026-11-23T10:00:00Z&until=2026-11-23T09:00:00Z', 'since must not be after until'],
      ['?limit=0', 'limit must be an integer from 1 to 1000'],
      ['?limit=1e2', 'limit must be an integer from 1 to 1000'],
      ['?tier=log&tier=notify', 'tier must be given at most once'],
      [`?api=${'a'.repeat(257)}`, 'api must be 1 to 256 characters'],
    ];
    for (const [q, message] of cases) {
      const res = await as(token, `/incidents${q}`);
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
      expect(((await res.json()) as { error: string }).error).toContain(message);
    }
  });
});

describe('the console files', () => {
  it('are found next to the sources (and so next to dist/)', () => {
    const assets = loadConsoleAssets(consoleDir);
    expect([...assets.keys()]).toEqual(expect.arrayContaining(['index.html', 'console.css', 'js/main.js', 'js/api.js', 'js/dom.js', 'js/incident.js', 'js/chart.js']));
    expect(assets.has('tsconfig.json')).toBe(false);
  });

  it('never put data through HTML parsing: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    for (const [name, asset] of loadConsoleAssets(consoleDir)) {
      if (!name.endsWith('.js')) continue;
      expect({ name, unsafe: asset.body.toString().match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(['"]style/g) }).toEqual({ name, unsafe: null });
    }
  });

  it('type-check as JavaScript with the DOM types (console/tsconfig.json: checkJs, strict)', () => {
    const configPath = join(consoleDir, 'tsconfig.json');
    const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, consoleDir);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(parsed.fileNames.length).toBeGreaterThanOrEqual(8);
    expect(problems).toEqual([]);
  }, 30_000);

  it('refuses to start without index.html', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-console-'));
    try {
      mkdirSync(join(dir, 'js'));
      writeFileSync(join(dir, 'js', 'a.js'), '');
      expect(() => loadConsoleAssets(dir)).toThrow("the console's index.html is missing");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
