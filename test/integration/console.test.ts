import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveThreatsDocument } from '@vigil/state';
import { tx } from '../../libs/detectors/src/testing.js';
import { detectorRig, type DetectorRig } from '../support/detector.js';
import { freePort, stackEnv, uniqueName, waitFor } from '../support/helpers.js';
import { startVigilProcess, type VigilProcess } from '../support/vigil-process.js';

/**
 * The incident console in Debian's headless Chromium, against `vigil notifier` run as a process from
 * the build (so the console's files are found from dist/) on the real stack, fed by a real detector:
 * events go in on Kafka, the detector's known_threat findings come out, the notifier makes incidents.
 * Some events carry script and markup in their path, user agent and principal, and in the reason of
 * the threat entry they match: all of it must show as text and nothing may run.
 */
// The page's globals, in the functions run inside Chromium (the tests compile without the DOM's types).
declare const window: { __pwned?: unknown; __violations: string[] };
declare const sessionStorage: { getItem(key: string): string | null };
declare const document: {
  activeElement: { tagName: string } | null;
  documentElement: { scrollWidth: number };
  querySelectorAll(selector: string): ArrayLike<unknown>;
  addEventListener(type: string, listener: (e: { violatedDirective: string; sourceFile: string }) => void): void;
};

const CHROMIUM = '/usr/bin/chromium';
// The flags this machine's notes give for headless Chromium on a closed network, as root.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'console-operator-token-0123456789';
const READ_TOKEN = 'console-viewer-token-0123456789';
/** Screenshots for docs/console.md go to docs/images when asked (VIGIL_CONSOLE_SCREENSHOTS=1), else to a scratch directory. */
const DOC_IMAGES = resolve('docs/images');

const ACK_IP = '203.0.113.71';
const FP_IP = '203.0.113.72';
const UA_IP = '203.0.113.73';
const LIVE_IP = '203.0.113.74';
const HOSTILE_PRINCIPAL = '<img src=x onerror=window.__pwned=1>';
const HOSTILE_PATH = '/users/<script>window.__pwned=2</script>';
const HOSTILE_AGENT_PATTERN = '<svg onload=window.__pwned=3>';
const HOSTILE_UA = `"> ${HOSTILE_AGENT_PATTERN}`;
const HOSTILE_REASON = '<b>bold</b><iframe src=javascript:window.__pwned=4>';

interface IncidentView {
  id: string;
  state: string;
  title: string;
  acknowledgedBy?: string;
  subject: { kind: string; value: string };
}

describe('the incident console in a browser', () => {
  let detector: DetectorRig;
  let notifier: VigilProcess;
  let base = '';
  let browser: Browser;
  let shots = '';
  const incidentsTopic = uniqueName('it.incidents');
  const contexts: BrowserContext[] = [];

  const api = (path: string, init: RequestInit = {}, token = TOKEN) => fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });
  const incidents = async () => ((await (await api('/incidents?limit=1000')).json()) as { incidents: IncidentView[] }).incidents;
  const incidentAbout = (value: string) => waitFor(async () => (await incidents()).find((i) => i.subject.value === value), `the incident about ${value}`, 60_000, 250);

  /** Three calls at now (event time), keyed as DESIGN.md says. */
  async function calls(over: Parameters<typeof tx>[0], tag: string): Promise<void> {
    const now = Date.now();
    const events = [0, 1, 2].map((i) => tx({ id: `console-${tag}-${now}-${i}`, timestamp: now - 2000 + i * 500, route: undefined, path: `/accounts/${i}`, ...over }));
    await detector.producer.send(detector.topics.transactions, events.map((e) => ({ key: e.principal ?? e.clientIp ?? 'none', value: JSON.stringify({ ...e, timestamp: new Date(e.timestamp).toISOString() }) })));
  }

  /** A page that records what must never happen: dialogs, CSP violations, requests leaving the notifier. */
  async function openPage(viewport = { width: 1280, height: 900 }): Promise<{ page: Page; dialogs: string[]; foreign: string[]; errors: string[] }> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    // Runs before the page's own scripts, from the driver (not subject to the page's CSP).
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.sourceFile}`));
    });
    const page = await context.newPage();
    const dialogs: string[] = [];
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(`${base}/`)) foreign.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    return { page, dialogs, foreign, errors };
  }

  async function signIn(page: Page, token: string, name = 'alice'): Promise<void> {
    await page.goto(`${base}/`);
    await page.waitForSelector('form.signin');
    // The keyboard alone: type the token, tab to the name, submit with Enter.
    await page.focus('#token');
    await page.keyboard.type(token);
    await page.keyboard.press('Tab');
    await page.keyboard.type(name);
    await page.keyboard.press('Enter');
    await page.waitForSelector('table.incidents tbody tr');
  }

  /** Waits for an incident page to show its findings (it polls, so a slow first load heals); a timeout says what the page showed. */
  async function incidentShown(page: Page): Promise<void> {
    await page.waitForSelector('.timeline .finding').catch(async (err: Error) => {
      throw new Error(`${err.message}\nat ${page.url()}, the page said: ${(await page.locator('main').innerText().catch(() => '?')).slice(0, 500)}`);
    });
  }

  /** Submits the filter form and waits for the new list (the old one gone, the new one loaded); returns its rows. */
  async function applyFilters(page: Page): Promise<number> {
    const old = await page.$('table.incidents');
    await page.click('form.filters button[type=submit]');
    await old!.waitForElementState('hidden');
    await page.waitForSelector('.status.ok');
    return page.locator('table.incidents tbody tr').count();
  }

  beforeAll(async () => {
    if (!readFileSync(CHROMIUM).length) throw new Error(`${CHROMIUM} is missing: 'deploy/local/stack.sh tools' installs Debian's chromium`);
    shots = process.env.VIGIL_CONSOLE_SCREENSHOTS === '1' ? DOC_IMAGES : mkdtempSync(join(tmpdir(), 'vigil-console-shots-'));
    mkdirSync(shots, { recursive: true });
    detector = await detectorRig();
    await saveThreatsDocument(detector.redis, detector.prefix, [
      { kind: 'ip', value: ACK_IP, reason: 'listed scanner' },
      { kind: 'ip', value: FP_IP, reason: 'listed scanner' },
      { kind: 'key_id', value: HOSTILE_PRINCIPAL, reason: HOSTILE_REASON },
      { kind: 'ip', value: LIVE_IP, reason: 'listed scanner' },
      { kind: 'user_agent', value: HOSTILE_AGENT_PATTERN, reason: 'markup in the user agent' },
    ]);
    await detector.start();
    const port = await freePort();
    notifier = await startVigilProcess('notifier', {
      ...stackEnv(),
      NOTIFIER_API_TOKEN: TOKEN,
      NOTIFIER_API_READ_TOKEN: READ_TOKEN,
      NOTIFIER_API_PORT: String(port),
      NOTIFIER_GROUP_ID: uniqueName('it-console'),
      NOTIFIER_START: 'earliest',
      REDIS_KEY_PREFIX: detector.prefix,
      VIGIL_TOPIC_FINDINGS: detector.topics.findings,
      VIGIL_TOPIC_INCIDENTS: incidentsTopic,
      VIGIL_TOPIC_PARTITIONS: '3',
    });
    await notifier.ready();
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });

    // Half an hour of ordinary calls first, so the chart has traffic to show around the incidents.
    const now = Date.now();
    const background = Array.from({ length: 30 }, (_, m) => Array.from({ length: 4 + ((m * 7) % 5) }, (_, i) => tx({ id: `console-bg-${now}-${m}-${i}`, timestamp: now - (30 - m) * 60_000 + i * 7000, clientIp: `198.51.100.${10 + (i % 5)}`, path: `/accounts/${i % 3}` }))).flat();
    await detector.producer.send(detector.topics.transactions, background.map((e) => ({ key: e.clientIp!, value: JSON.stringify({ ...e, timestamp: new Date(e.timestamp).toISOString() }) })));
    await calls({ clientIp: ACK_IP }, 'ack');
    await calls({ clientIp: FP_IP }, 'fp');
    await calls({ clientIp: '198.51.100.90', principal: HOSTILE_PRINCIPAL, path: HOSTILE_PATH, userAgent: HOSTILE_UA }, 'principal');
    await calls({ clientIp: UA_IP, path: HOSTILE_PATH, userAgent: HOSTILE_UA }, 'agent');
    await Promise.all([ACK_IP, FP_IP, HOSTILE_PRINCIPAL, UA_IP].map(incidentAbout));
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    const logged = notifier?.output() ?? '';
    await notifier?.stop();
    await detector?.admin.deleteTopics([incidentsTopic]).catch(() => undefined);
    await detector?.close();
    if (shots && shots !== DOC_IMAGES) rmSync(shots, { recursive: true, force: true });
    // Neither token is ever written to the log, whatever was asked of the notifier.
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(READ_TOKEN);
  });

  it('sends the security headers and exact content types on the console and the API', async () => {
    const expectations: [string, string, number, string | null][] = [
      ['/console/', '', 200, 'text/html; charset=utf-8'],
      ['/console/js/main.js', '', 200, 'text/javascript; charset=utf-8'],
      ['/console/console.css', '', 200, 'text/css; charset=utf-8'],
      ['/incidents', '', 401, 'application/json; charset=utf-8'],
      ['/incidents', TOKEN, 200, 'application/json; charset=utf-8'],
    ];
    for (const [path, token, status, type] of expectations) {
      const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status, type });
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) expect(csp).toContain(directive);
      expect(csp).not.toContain('unsafe');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/console/']);
  });

  it('refuses a wrong token at sign-in and keeps the page', async () => {
    const { page } = await openPage();
    await page.goto(`${base}/console/`);
    expect(await page.isVisible('#signout')).toBe(false);
    await page.fill('#token', 'not-the-right-token-000000');
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('.status.error');
    expect(await page.textContent('.status.error')).toBe('That token is not accepted.');
    expect(await page.evaluate(() => sessionStorage.getItem('vigil.token'))).toBeNull();
  });

  it('signs in, lists the incidents with live updates, filters them, and stays on the notifier', async () => {
    const { page, dialogs, foreign, errors } = await openPage();
    await signIn(page, TOKEN);
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    expect(await page.evaluate(() => sessionStorage.getItem('vigil.token'))).toBe(TOKEN);
    const rows = async () => page.locator('table.incidents tbody tr').count();
    expect(await rows()).toBeGreaterThanOrEqual(4);
    expect(await page.textContent('#who')).toBe('operator');

    // A new incident shows up without a reload (the list polls every 5 s).
    const before = await rows();
    await calls({ clientIp: LIVE_IP }, 'live');
    await page.waitForFunction((n) => document.querySelectorAll('table.incidents tbody tr').length > n, before, { timeout: 30_000 });
    expect(await page.locator('table.incidents').innerText()).toContain(`ip: ${LIVE_IP}`);

    // The filter form narrows the list through the API's query.
    await page.selectOption('#f-detector', 'bola_enumeration');
    expect(await applyFilters(page)).toBe(0);
    expect(page.url()).toContain('detector=bola_enumeration');
    await page.selectOption('#f-detector', 'known_threat');
    await page.fill('#f-api', 'accounts');
    await page.selectOption('#f-range', '1h');
    expect(await applyFilters(page)).toBeGreaterThanOrEqual(5);
    // An explicit range that ends before any of them leaves none; clearing it brings them back.
    await page.fill('#f-to', '2020-01-01T00:00');
    expect(await applyFilters(page)).toBe(0);
    expect(await page.textContent('.status')).toMatch(/^0 incidents;/);
    await page.fill('#f-to', '');
    expect(await applyFilters(page)).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: join(shots, 'console-incidents.png'), fullPage: true });
    expect({ dialogs, foreign, errors, violations: await page.evaluate(() => window.__violations) }).toEqual({ dialogs: [], foreign: [], errors: [], violations: [] });
  });

  it('opens an incident with its findings and traffic chart, and acknowledging it changes its state in the API', async () => {
    const incident = await incidentAbout(ACK_IP);
    const { page, dialogs, foreign, errors } = await openPage();
    await signIn(page, TOKEN);
    await page.click(`tr[data-id="${incident.id}"] a`);
    await incidentShown(page);
    expect(await page.textContent('h1')).toBe(incident.title);
    expect(await page.textContent('.finding h3')).toContain(`IP ${ACK_IP}`);
    expect(await page.textContent('.finding .evidence')).toContain('matchKind');
    // The chart: the detector's per-minute counts of the api, drawn as a path of the SVG.
    await page.waitForSelector('svg.chart rect.calls');
    expect(Number(await page.getAttribute('svg.chart rect.calls', 'height'))).toBeGreaterThan(1);
    expect(await page.textContent('svg.chart rect.calls title')).toMatch(/^\d\d:\d\d: \d+ calls$/);
    expect(await page.textContent('figure.chart-figure figcaption')).toContain('calls per minute to accounts (inbound)');
    await page.screenshot({ path: join(shots, 'console-incident.png'), fullPage: true });

    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.badge.state-acknowledged').length > 0);
    expect(await page.textContent('.status.ok')).toBe('Acknowledged.');
    // Acknowledged: acknowledging again is not offered, resolving still is.
    expect(await page.getByRole('button', { name: 'Acknowledge' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Resolve' }).isDisabled()).toBe(false);
    const shown = (await (await api(`/incidents/${incident.id}`)).json()) as { incident: IncidentView };
    expect(shown.incident).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'alice' });

    // Silence it for an hour, with every other incident of its detector; the silence is listed, then deleted.
    await page.selectOption('#s-duration', '3600000');
    await page.check('#m-detector');
    await page.fill('#s-comment', 'maintenance window');
    await page.getByRole('button', { name: 'Silence' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.status.ok').length > 0 && document.querySelectorAll('.facts dt').length > 0);
    await page.waitForSelector('text=Silenced; the silence');
    const { silences } = (await (await api('/silences')).json()) as { silences: { id: string; matcher: unknown; comment: string }[] };
    const silence = silences.find((x) => x.comment === 'maintenance window');
    expect(silence?.matcher).toEqual({ detector: ['known_threat'] });
    await page.click('nav a[href="#/silences"]');
    const row = page.locator(`tr[data-id="${silence!.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('detector = known_threat');
    await row.getByRole('button', { name: `Delete ${silence!.id}` }).click();
    await row.waitFor({ state: 'detached' });
    expect(((await (await api('/silences')).json()) as { silences: { id: string }[] }).silences.map((x) => x.id)).not.toContain(silence!.id);
    expect({ dialogs, foreign, errors, violations: await page.evaluate(() => window.__violations) }).toEqual({ dialogs: [], foreign: [], errors: [], violations: [] });
  });

  it('marks a false positive with a note, and the suppression is listed in the API and on the suppressions page', async () => {
    const incident = await incidentAbout(FP_IP);
    const { page } = await openPage();
    await signIn(page, TOKEN);
    await page.goto(`${base}/console/#/incidents/${incident.id}`);
    await incidentShown(page);
    await page.selectOption('#v-verdict', 'false_positive');
    await page.selectOption('#v-scope', 'subject');
    await page.fill('#v-reason', 'our own scanner <b>really</b>');
    await page.getByRole('button', { name: 'Record verdict' }).click();
    await page.waitForSelector('.status.ok');
    expect(await page.textContent('.status.ok')).toMatch(/^False positive recorded: suppression sup-[\w-]{20}\.$/);

    const { suppressions } = (await (await api('/suppressions')).json()) as { suppressions: { id: string; incidentId: string; reason: string; createdBy: string }[] };
    const suppression = suppressions.find((s) => s.incidentId === incident.id);
    expect(suppression).toMatchObject({ reason: 'our own scanner <b>really</b>', createdBy: 'alice' });
    expect(((await (await api(`/incidents/${incident.id}`)).json()) as { incident: IncidentView }).incident.state).toBe('resolved');

    await page.click('nav a[href="#/suppressions"]');
    const row = page.locator(`tr[data-id="${suppression!.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('our own scanner <b>really</b>');
    expect(await row.textContent()).toContain(`ip: ${FP_IP}`);
    expect(await row.getByRole('button', { name: `Delete ${suppression!.id}` }).count()).toBe(1);
  });

  it('gives the read-only token no actions, and the API refuses its POST and DELETE with 403', async () => {
    const incident = await incidentAbout(UA_IP);
    const { page } = await openPage();
    await signIn(page, READ_TOKEN, 'viewer');
    expect(await page.textContent('#who')).toBe('viewer (read-only)');
    await page.goto(`${base}/console/#/incidents/${incident.id}`);
    await incidentShown(page);
    expect(await page.textContent('.note.viewer')).toContain('read-only token');
    expect(await page.locator('section.actions').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await page.click('nav a[href="#/suppressions"]');
    await page.waitForSelector('table.records tbody tr');
    expect(await page.locator('table.records button').count()).toBe(0);
    await page.click('nav a[href="#/inventory"]');
    await page.waitForSelector('table.inventory tbody tr');
    expect(await page.locator('table.inventory').innerText()).toContain('accounts');
    // Even from the page itself, with the token it holds, the API does not let it act.
    const status = await page.evaluate(
      async ([id, token]) => (await fetch(`/incidents/${id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })).status,
      [incident.id, READ_TOKEN],
    );
    expect(status).toBe(403);
    expect((await api('/suppressions/sup-AAAAAAAAAAAAAAAAAAAA', { method: 'DELETE' }, READ_TOKEN)).status).toBe(403);
    expect(((await (await api(`/incidents/${incident.id}`)).json()) as { incident: IncidentView }).incident.state).toBe('open');
  });

  it('shows script and markup from traffic as text, and runs none of it', async () => {
    const byPrincipal = await incidentAbout(HOSTILE_PRINCIPAL);
    const byAgent = await incidentAbout(UA_IP);
    expect(byPrincipal.title).toContain(HOSTILE_PRINCIPAL);
    const { page, dialogs, foreign, errors } = await openPage();
    await signIn(page, TOKEN);
    const listed = await page.locator('table.incidents').innerText();
    expect(listed).toContain(`principal: ${HOSTILE_PRINCIPAL}`);

    for (const incident of [byPrincipal, byAgent]) {
      await page.goto(`${base}/console/#/incidents/${incident.id}`);
      await incidentShown(page);
      expect(await page.textContent('h1')).toBe(incident.title);
      const text = await page.locator('main').innerText();
      expect(text).toContain(HOSTILE_PATH);
      if (incident === byPrincipal) {
        expect(text).toContain(`principal: ${HOSTILE_PRINCIPAL}`);
        expect(text).toContain(HOSTILE_REASON);
      } else expect(text).toContain(HOSTILE_AGENT_PATTERN);
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/console/#/incidents/${byPrincipal.id}`);
    await incidentShown(page);
    // Nothing of it became markup: no such elements, no handler ran, no dialog, no blocked inline code.
    const injected = await page.evaluate(() => ({
      pwned: window.__pwned ?? null,
      imgs: document.querySelectorAll('img').length,
      iframes: document.querySelectorAll('iframe').length,
      bold: document.querySelectorAll('main b').length,
      scripts: document.querySelectorAll('script').length,
      svgs: document.querySelectorAll('svg:not(.chart)').length,
      violations: window.__violations,
    }));
    expect(injected).toEqual({ pwned: null, imgs: 0, iframes: 0, bold: 0, scripts: 1, svgs: 0, violations: [] });
    expect({ dialogs, foreign, errors }).toEqual({ dialogs: [], foreign: [], errors: [] });
  });

  it('fits a phone-width screen: no sideways scrolling on the list or an incident', async () => {
    const incident = await incidentAbout(ACK_IP);
    const { page } = await openPage({ width: 390, height: 844 });
    await signIn(page, TOKEN);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'console-incidents-phone.png'), fullPage: true });
    await page.goto(`${base}/console/#/incidents/${incident.id}`);
    await page.waitForSelector('svg.chart');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'console-incident-phone.png'), fullPage: true });
    for (const name of ['console-incidents.png', 'console-incident.png', 'console-incidents-phone.png', 'console-incident-phone.png']) {
      expect(readFileSync(join(shots, name)).subarray(1, 4).toString()).toBe('PNG');
    }
  });
});
