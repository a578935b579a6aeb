import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient, type Admin, type KafkaClient, type Producer } from '@vigil/kafka';
import { freePort, quietLogger, stackEnv, uniqueName, waitFor } from '../support/helpers.js';
import { dashboardExpressions, exportedNames, readDeployFiles, unknownMetrics } from '../support/metric-names.js';
import { fastRules, repo, startPrometheus, type PrometheusInstance } from '../support/prometheus.js';

const cli = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));

interface Service {
  child: ChildProcess;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

function startService(verb: 'detector' | 'notifier', env: NodeJS.ProcessEnv, port: number): Service {
  const child = spawn(process.execPath, [cli, verb], { env: { ...process.env, ...stackEnv(), HTTP_PORT: String(port), LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    port,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const ready = (s: Service, what: string) =>
  waitFor(async () => (await fetch(`http://127.0.0.1:${s.port}/readyz`)).status === 200, what, 60_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}\n${s.output().slice(-2000)}`);
  });

/**
 * A real Prometheus (Debian's package) scrapes a running detector and notifier
 * (processes from services/cli/dist/main.js) on loopback with vigil's real
 * rules. Only timing differs from deploy/prometheus: scrape and evaluation
 * every second, and every alert's `for` shortened to 2 s (fastRules), so the
 * real DLQ expression can reach `firing` within the test.
 */
describe('vigil under a real Prometheus', () => {
  const prefix = uniqueName('obs').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
  const topics = { transactions: uniqueName('obs.tx'), dlq: uniqueName('obs.dlq'), findings: uniqueName('obs.findings'), incidents: uniqueName('obs.incidents') };
  let detector: Service;
  let notifier: Service;
  let prometheus: PrometheusInstance | undefined;
  let kafka: KafkaClient;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    kafka = createKafkaClient({ brokers: stackEnv().KAFKA_BROKERS.split(','), clientId: 'vigil-it-observability' }, quietLogger());
    admin = await kafka.admin();
    producer = await kafka.producer();
    const shared = { REDIS_KEY_PREFIX: prefix, VIGIL_TOPIC_PARTITIONS: '2', VIGIL_TOPIC_FINDINGS: topics.findings };
    detector = startService(
      'detector',
      { ...shared, DETECTOR_GROUP_ID: uniqueName('obs-detector'), VIGIL_TOPIC_TRANSACTIONS: topics.transactions, VIGIL_TOPIC_DLQ: topics.dlq },
      await freePort(),
    );
    notifier = startService(
      'notifier',
      { ...shared, NOTIFIER_GROUP_ID: uniqueName('obs-notifier'), VIGIL_TOPIC_INCIDENTS: topics.incidents, NOTIFIER_API_TOKEN: 'obs-token-0123456789abcdef', NOTIFIER_API_PORT: String(await freePort()) },
      await freePort(),
    );
    await Promise.all([ready(detector, 'the detector to be ready'), ready(notifier, 'the notifier to be ready')]);
    const rules = Object.fromEntries(
      ['vigil-recording.yml', 'vigil-alerts.yml'].map((f) => [f, fastRules(readFileSync(join(repo, 'deploy/prometheus/rules', f), 'utf8'), { forDuration: '2s', interval: '1s' })]),
    );
    prometheus = await startPrometheus({
      targets: { 'vigil-detector': [`127.0.0.1:${detector.port}`], 'vigil-notifier': [`127.0.0.1:${notifier.port}`] },
      rules,
    });
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([detector?.stop(), notifier?.stop()]);
    await producer?.disconnect();
    await admin?.deleteTopics(Object.values(topics)).catch(() => undefined);
    await admin?.disconnect();
  }, 60_000);

  it('every metric name of the rules and the dashboard is exported by the running services', async () => {
    const scraped = await Promise.all([detector, notifier].map(async (s) => (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text()));
    const exported = new Set(scraped.flatMap((text) => [...exportedNames(text)]));
    expect(exported.has('vigil_events_rejected_total')).toBe(true);
    expect(exported.has('vigil_outbox_depth')).toBe(true);
    expect(unknownMetrics({ ...readDeployFiles(), exported })).toEqual([]);
  });

  it('after bad events the DLQ alert (the real expression) reaches firing, and the recording rules see them', async () => {
    const p = prometheus!;
    // Prometheus must hold the counters at 0 before the bad events, or rate() sees no increase.
    await waitFor(async () => (await p.query('count_over_time(vigil_events_rejected_total{job="vigil-detector"}[1m]) >= 2')).length > 0, 'two scrapes of the detector', 30_000, 250);
    expect((await p.query('up{job=~"vigil-detector|vigil-notifier"} == 1')).length).toBe(2);
    expect((await p.alerts()).filter((a) => a.labels.alertname === 'VigilDeadLetterRate')).toEqual([]);

    await producer.send(
      topics.transactions,
      Array.from({ length: 200 }, (_, i) => ({ key: `bad-${i}`, value: `{"id": "bad-${i}", this is not json` })),
    );
    await waitFor(
      async () => Number((await p.query(`sum(vigil_events_rejected_total{job="vigil-detector"})`))[0]?.value[1] ?? 0) >= 200,
      'prometheus to scrape the 200 rejections',
      60_000,
      250,
    );
    const firing = await waitFor(
      async () => (await p.alerts()).find((a) => a.labels.alertname === 'VigilDeadLetterRate' && a.state === 'firing'),
      'VigilDeadLetterRate to fire',
      30_000,
      250,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; alerts: ${JSON.stringify(await p.alerts())}\n${p.output().slice(-1500)}`);
    });
    expect(firing.labels).toMatchObject({ job: 'vigil-detector', severity: 'warning' });
    expect(Number(firing.value)).toBeCloseTo(1, 5); // every event read was dead-lettered
    const recorded = await p.query('job:vigil_events_rejected:rate5m');
    expect(recorded.map((r) => r.metric.reason)).toContain('VIGIL_DECODE_JSON_SYNTAX');
    // Nothing else fires on two healthy services.
    const others = (await p.alerts()).filter((a) => a.state === 'firing' && a.labels.alertname !== 'VigilDeadLetterRate');
    expect(others).toEqual([]);
  }, 120_000);

  it('every dashboard query is valid PromQL that Prometheus runs against these services', async () => {
    const p = prometheus!;
    const exprs = dashboardExpressions(readDeployFiles().dashboards);
    expect(exprs.length).toBeGreaterThan(15);
    let withData = 0;
    for (const { expr, where } of exprs) {
      const concrete = expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m').replaceAll('$detector_job', 'vigil-detector').replaceAll('$notifier_job', 'vigil-notifier').replaceAll('$api', '.*');
      const result = await p.query(concrete).catch((err: Error) => {
        throw new Error(`${where}: ${err.message}`);
      });
      if (result.length > 0) withData++;
    }
    // Most panels have data from two idle services (rates of 0, gauges, up); the rest need traffic.
    expect(withData).toBeGreaterThan(exprs.length / 2);
  }, 60_000);
});
