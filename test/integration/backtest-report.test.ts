import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `vigil backtest --format combined FILE --report r.html` as a person runs it from a fresh clone: the
 * built CLI as a process, no stack (no Kafka, Redis or registry in its environment), over an access log
 * the simulator writes in the combined format with attacker-controlled text mixed in; then the report
 * opened in Debian's headless Chromium (stack.sh tools installs it), with every network request refused,
 * to see that the charts drew (pixels of the traffic line, the baseline band and the finding marks on
 * the canvas) and that no input text became markup.
 */
// The page's globals, in the functions run inside Chromium (the tests compile without the DOM's types).
declare const window: { vigilReport?: { charts: number; drawn: number; errors: string[] } };
declare const document: { querySelectorAll(selector: string): ArrayLike<unknown> & Iterable<{ width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }> };

const cli = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
// The flags this machine's notes give for headless Chromium on a closed network, as root.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The CLI with nothing of the stack in its environment. */
function vigil(args: string[], stdout?: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KAFKA_|SCHEMA_REGISTRY|REDIS_|VIGIL_)/.test(k) && k !== 'NODE_ENV'));
  const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (stdout) writeFileSync(stdout, r.stdout);
  return r;
}

describe('vigil backtest --report: an access log to a report a person reads in a browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-report-'));
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: 'deploy/local/stack.sh tools' installs Debian's chromium`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs without a stack over a simulated combined log, and the report renders in Chromium with its charts drawn', async () => {
    // A morning of a shop with an enumeration three hours in, as NGINX would log it with $request_time.
    const sim = vigil(['simulate', '--scenario', 'bola-sequential', '--hours', '4', '--format', 'combined']);
    expect(sim.status, sim.stderr).toBe(0);
    const hostile = '<svg/onload=alert(document.title)>';
    const log = sim.stdout
      // The enumerating user's name is text from the log: it must reach the page as text.
      .replaceAll(' - mallory [', ` - ${hostile} [`)
      .concat('203.0.113.66 - - [<img src=x onerror=alert(1)>] "GET / HTTP/1.1" 200 1\n', '</script><script>alert(2)</script>\n', '203.0.113.66 - - [18/Nov/2026:13:30:00 +0000] "-" 400 0 "-" "-" 0.000\n');
    const lines = log.trimEnd().split('\n').length;
    expect(lines).toBeGreaterThan(5000);
    const access = join(dir, 'access.log');
    writeFileSync(access, log);
    const report = join(dir, 'r.html');

    const run = vigil(['backtest', '--format', 'combined', access, '--report', report], join(dir, 'findings.ndjson'));
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stderr.trim().split('\n').at(-1)!).summary;
    expect(summary).toMatchObject({ format: 'combined', lines, events: lines - 3, rejected: 3, report });
    expect(run.stderr).toMatch(/vigil backtest: line \d+: time "<img src=x onerror=alert\(1\)>" is not dd\/Mon\/yyyy/);
    const findings = readFileSync(join(dir, 'findings.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(findings.some((f) => f.detector === 'bola_enumeration' && f.subject.value === hostile)).toBe(true);

    const html = readFileSync(report, 'utf8');
    // One file, nothing to fetch: no external script, stylesheet or image, and a policy that allows no request.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toContain(`content="default-src 'none'`);
    expect(html).not.toContain(hostile);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;svg/onload=alert(document.title)&gt;');

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${report}`);
    const state = await page.waitForFunction(() => {
      const s = window.vigilReport;
      return s && s.drawn === s.charts && s;
    }, null, { timeout: 15_000 });
    expect(await state.jsonValue()).toEqual({ charts: 1, drawn: 1, errors: [] });
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([`file://${report}`]);

    // The pixels on the chart's canvas: the traffic line, the band and the marks in their colours.
    const pixels = await page.evaluate(() => {
      const near = (d: Uint8ClampedArray, i: number, [r, g, b]: number[], alpha = 200) => Math.abs(d[i]! - r!) < 24 && Math.abs(d[i + 1]! - g!) < 24 && Math.abs(d[i + 2]! - b!) < 24 && d[i + 3]! > alpha;
      const counts = { line: 0, band: 0, critical: 0, high: 0, canvases: 0 };
      for (const canvas of document.querySelectorAll('#charts canvas')) {
        counts.canvases++;
        const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < d.length; i += 4) {
          if (near(d, i, [15, 118, 110])) counts.line++;
          // The band: rgba(15, 118, 110, 0.16) on the canvas, which is transparent (the page's white shows through).
          else if (near(d, i, [15, 118, 110], 20) && d[i + 3]! < 80) counts.band++;
          else if (near(d, i, [185, 28, 28])) counts.critical++;
          else if (near(d, i, [234, 88, 12])) counts.high++;
        }
      }
      return counts;
    });
    expect(pixels.canvases).toBe(1);
    expect(pixels.line).toBeGreaterThan(500);
    expect(pixels.band).toBeGreaterThan(2000);
    expect(pixels.critical + pixels.high).toBeGreaterThan(20);

    // Input text shown as text: the hostile name is in the page's text, and made no element.
    const text = await page.textContent('body');
    expect(text).toContain(hostile);
    expect(text).toContain('<img src=x onerror=alert(1)>');
    expect(await page.evaluate(() => document.querySelectorAll('svg, img, [onload], [onerror]').length)).toBe(0);
    // The tables a person reads: findings by detector and severity, the top subject, what the input lacked.
    expect(await page.textContent('table.matrix')).toMatch(/bola_enumeration/);
    expect(await page.textContent('table.fields')).toMatch(/requestBytes\s*0%\s*never in combined logs/);
    expect(await page.textContent('table.rejected')).toContain('no request line ("-")');

    const shot = process.env.VIGIL_REPORT_SCREENSHOT ?? join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).length).toBeGreaterThan(50_000);
    await page.close();
  });
});
