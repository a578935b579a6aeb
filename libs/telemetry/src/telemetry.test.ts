import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHealthServer, type HealthServer } from './health.js';
import { createLogger } from './logger.js';
import { Counter, createMetricsRegistry } from './metrics.js';
import { scrubSecrets } from './scrub.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('redacts authorization, cookie and token fields at any of the first levels', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'test', destination });
    log.info(
      {
        authorization: 'Bearer abc.def.ghi',
        req: { headers: { authorization: 'Basic dXNlcjpwYXNz', cookie: 'sid=123' } },
        channel: { token: 'tok-123', password: 'hunter2' },
        kept: 'visible',
      },
      'request',
    );
    const line = lines.join('\n');
    for (const secret of ['abc.def.ghi', 'dXNlcjpwYXNz', 'sid=123', 'tok-123', 'hunter2']) expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'test', level: 'info', kept: 'visible', msg: 'request' });
  });

  it('scrubs credentials out of logged error messages', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'test', destination });
    log.error({ err: new Error('POST https://bot:hunter2@hooks.example/x?token=abc123 failed') }, 'send failed');
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('abc123');
    expect(JSON.parse(lines[0]!).err.message).toBe('POST https://***@hooks.example/x?token=*** failed');
  });
});

describe('scrubSecrets', () => {
  it.each([
    ['redis://:pw@host:6379', 'redis://***@host:6379'],
    ['Authorization: Bearer eyJhbGciOi.x.y', 'Authorization: Bearer ***'],
    ['https://h/p?api_key=k1&x=1', 'https://h/p?api_key=***&x=1'],
    ['https://hooks.slack.com/services/T000/B000/XXXX', 'https://hooks.slack.com/services/***'],
    ['nothing to hide', 'nothing to hide'],
  ])('%s', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });
});

describe('health server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('serves /metrics from the injected registry, /healthz and /readyz with each check', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    new Counter({ name: 'vigil_events_consumed_total', help: 'events', registers: [registry] }).inc(3);
    let redisUp = true;
    server = buildHealthServer({
      registry,
      readiness: [
        { name: 'kafka', check: async () => true },
        { name: 'redis', check: async () => redisUp },
        { name: 'slow', check: () => new Promise<boolean>((r) => setTimeout(() => r(true), 10)) },
      ],
      checkTimeoutMs: 1000,
    });
    const { port } = await server.listen(0);
    const base = `http://127.0.0.1:${port}`;

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('vigil_events_consumed_total{service="test"} 3');

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { kafka: true, redis: true, slow: true } });

    redisUp = false;
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { checks: Record<string, boolean> }).checks.redis).toBe(false);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('counts a check that hangs as failed', async () => {
    server = buildHealthServer({ registry: createMetricsRegistry('t', { defaultMetrics: false }), readiness: [{ name: 'hung', check: () => new Promise<boolean>(() => undefined) }], checkTimeoutMs: 50 });
    const { port } = await server.listen(0);
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', checks: { hung: false } });
  });

  it('reports liveness from the live() callback', async () => {
    let live = true;
    server = buildHealthServer({ registry: createMetricsRegistry('t', { defaultMetrics: false }), live: () => live });
    const { port } = await server.listen(0);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    live = false;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(503);
  });
});

describe('the default process metrics', () => {
  it('carry _total only on counters (promtool check metrics refuses a gauge named so)', async () => {
    const registry = createMetricsRegistry('test');
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(10);
    const misnamed = metrics.filter((m) => m.name.endsWith('_total') && String(m.type) !== 'counter').map((m) => m.name);
    expect(misnamed).toEqual([]);
    // Their per-type siblings stay: summed by type, they give the same totals.
    expect(metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['vigil_nodejs_active_handles', 'vigil_nodejs_active_resources', 'vigil_process_cpu_seconds_total']));
  });
});
