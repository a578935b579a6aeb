import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stackEnv, waitFor } from '../support/helpers.js';
import { metricValue } from '../support/detector.js';
import { API_TOKEN, finding, notifierRig, type NotifierRig } from '../support/notifier.js';
import { promtoolCheckMetrics } from '../support/prometheus.js';
import { startHttpSink, type HttpSink } from '../support/receivers.js';

const cli = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));
const WEBHOOK_SECRET = 'proc-webhook-secret-value';
const URL_TOKEN = 'T0KEN1N7HEPATH';

interface Run {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

describe('vigil notifier as a process', () => {
  let rig: NotifierRig;
  let sink: HttpSink;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let metricsPort: number;

  function run(extra: NodeJS.ProcessEnv = {}): Run {
    const child = spawn(process.execPath, [cli, 'notifier'], { env: { ...env, ...extra }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  }
  const ready = (r: Run) =>
    waitFor(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200, 'the notifier to be ready', 60_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${r.output().slice(-3000)}`);
    });
  const incidentIds = () => new Set(sink.received.map((r) => (r.body as { incident: { id: string } }).incident.id));

  beforeAll(async () => {
    // A slow receiver: each notification takes 150 ms, so a kill lands mid-delivery.
    sink = await startHttpSink({ delayMs: 150 });
    rig = await notifierRig({});
    dir = mkdtempSync(join(tmpdir(), 'vigil-notifier-proc-'));
    writeFileSync(join(dir, 'webhook-secret'), `${WEBHOOK_SECRET}\n`);
    writeFileSync(
      join(dir, 'escalation.yaml'),
      [
        'notify: { minSeverity: high }',
        'rateLimitPerMinute: 1000',
        'tiers: { notify: [hook] }',
        'channels:',
        '  hook:',
        '    type: webhook',
        '    url: { env: IT_HOOK_URL }',
        `    secret: { file: ${join(dir, 'webhook-secret')} }`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'notifier.json'), JSON.stringify({ delivery: { leaseMs: 3000, pollMs: 100, backoffInitialMs: 200, backoffMaxMs: 1000 }, tickMs: 200 }));
    metricsPort = await freePort();
    env = {
      ...process.env,
      ...stackEnv(),
      VIGIL_CONFIG: join(dir, 'notifier.json'),
      NOTIFIER_ESCALATION_FILE: join(dir, 'escalation.yaml'),
      NOTIFIER_API_TOKEN: API_TOKEN,
      NOTIFIER_API_PORT: String(await freePort()),
      NOTIFIER_GROUP_ID: rig.groupId,
      NOTIFIER_START: 'earliest',
      HTTP_PORT: String(metricsPort),
      LOG_LEVEL: 'debug',
      REDIS_KEY_PREFIX: rig.prefix,
      VIGIL_TOPIC_FINDINGS: rig.topics.findings,
      VIGIL_TOPIC_INCIDENTS: rig.topics.incidents,
      VIGIL_TOPIC_PARTITIONS: '3',
      IT_HOOK_URL: `${sink.url}/hooks/${URL_TOKEN}`,
    };
  }, 60_000);

  afterAll(async () => {
    await rig?.close();
    await sink?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('after kill -9 mid-delivery and a restart, nothing queued is lost, and no secret reaches its log', async () => {
    const first = run();
    const outputs: string[] = [];
    try {
      await ready(first);
      await rig.publish(Array.from({ length: 40 }, (_, i) => finding({ severity: 'high', subject: { kind: 'principal', value: `proc-user-${i}` } })));
      await waitFor(() => sink.received.length >= 8, 'the first notifications', 60_000, 20);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe(null);
    } finally {
      first.child.kill('SIGKILL');
      outputs.push(first.output());
    }
    const atKill = sink.received.length;
    expect(atKill).toBeLessThan(40);

    const second = run();
    try {
      await ready(second);
      await waitFor(() => incidentIds().size === 40, 'all 40 notifications after the restart', 60_000);
      await waitFor(async () => metricValue(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), 'vigil_outbox_depth') === 0, 'the outbox to empty', 30_000);
      // The live scrape passes Prometheus's own lint: no gauge named like a counter, every name well formed.
      expect(promtoolCheckMetrics(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text())).toEqual({ status: 0, out: '' });
      // At least once: the one request in flight when the process died may be sent again; nothing else is.
      expect(sink.received.length - 40).toBeLessThanOrEqual(1);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      second.child.kill('SIGKILL');
      outputs.push(second.output());
    }
    const logs = outputs.join('\n');
    expect(logs).toContain('notifier consuming');
    for (const secret of [WEBHOOK_SECRET, URL_TOKEN, API_TOKEN]) expect(logs).not.toContain(secret);
  }, 180_000);

  it('refuses to start on an escalation file with a typo, naming the path of the bad key', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'notify: { minSeverity: high, findngs: 3 }\ntiers: { notify: [hoook] }\n');
    const r = run({ NOTIFIER_ESCALATION_FILE: bad });
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain('VIGIL_CONFIG_INVALID');
    expect(r.output()).toContain(`file ${bad} at notify: Unrecognized key(s) in object: 'findngs'`);
    expect(r.output()).toContain(`file ${bad} at tiers.notify.0: no channel named "hoook" under channels`);
  }, 60_000);
});
