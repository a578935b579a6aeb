import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '@vigil/channels';
import { createSchemaRegistry } from '@vigil/contracts';
import { buildNotifier, createEscalationSource } from '@vigil/notifier';
import { createMetricsRegistry } from '@vigil/telemetry';
import { quietLogger, stackEnv, uniqueName, waitFor } from '../support/helpers.js';
import { metricValue, sample } from '../support/detector.js';
import { API_TOKEN, finding, notifierRig, type NotifierRig } from '../support/notifier.js';
import { startAlertmanager, startHttpSink, startPagerDutySink, startSmtpSink, type Alertmanager, type HttpSink, type SmtpSink } from '../support/receivers.js';

const MIN = 60_000;
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const WEBHOOK_SECRET = 'it-webhook-secret';

interface WebhookBody {
  key: string;
  kind: string;
  tier: string;
  count?: number;
  incident: { id: string; subject: { value: string } };
}

const webhookFor = (sink: HttpSink, incidentId: string) => sink.received.filter((r) => (r.body as WebhookBody).incident.id === incidentId);
const slackFor = (sink: HttpSink, incidentId: string) => sink.received.filter((r) => r.text.includes(`incident ${incidentId}`));
const pdFor = (sink: HttpSink, incidentId: string) => sink.received.filter((r) => (r.body as { dedup_key: string }).dedup_key === incidentId);

describe('the notifier against the real Kafka, Redis and receivers', () => {
  let rig: NotifierRig;
  let api: string;
  let hook: HttpSink;
  let slack: HttpSink;
  let pd: HttpSink;
  let smtp: SmtpSink;
  let am: Alertmanager;
  let metricsText: () => Promise<string>;
  let subject = 0;
  const nextSubject = () => `203.0.113.${++subject}`;

  const escalation = () => ({
    notify: { findings: 3, withinMs: 10 * MIN, minSeverity: 'high' },
    wakeUp: { ackTimeoutMs: 15 * MIN },
    repeatIntervalMs: 0,
    resolveAfterMs: 24 * 60 * MIN,
    tiers: { notify: ['hook', 'slack', 'mail'], wake_up: ['pd', 'am'] },
    rateLimitPerMinute: 1000,
    channels: {
      hook: { type: 'webhook', url: `${hook.url}/hook`, secret: WEBHOOK_SECRET, timeoutMs: 2000 },
      slack: { type: 'slack', webhookUrl: `${slack.url}/services/T000/B000/XXXXXXXX`, timeoutMs: 2000 },
      mail: { type: 'email', host: '127.0.0.1', port: smtp.port, from: 'vigil@example.com', to: ['oncall@example.com'], timeoutMs: 5000 },
      pd: { type: 'pagerduty', routingKey: ROUTING_KEY, url: `${pd.url}/v2/enqueue`, timeoutMs: 2000 },
      am: { type: 'alertmanager', url: am.url, timeoutMs: 2000 },
    },
  });

  /** The incident a subject's findings formed, as the API lists it. */
  async function incidentOf(value: string, tier?: string): Promise<{ id: string; tier: string; state: string; findingCount: number }> {
    return waitFor(async () => {
      const res = await rig.api('/incidents?limit=1000');
      const { incidents } = (await res.json()) as { incidents: { id: string; tier: string; state: string; findingCount: number; subject: { value: string } }[] };
      return incidents.find((i) => i.subject.value === value && (tier === undefined || i.tier === tier));
    }, `the incident of ${value}${tier ? ` at ${tier}` : ''}`);
  }

  beforeAll(async () => {
    [hook, slack, pd, smtp, am] = await Promise.all([startHttpSink(), startHttpSink(), startPagerDutySink(), startSmtpSink(), startAlertmanager()]);
    rig = await notifierRig(escalation());
    const started = await rig.start();
    api = started.api;
    metricsText = () => started.metrics.metrics();
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
    await Promise.all([hook?.stop(), slack?.stop(), pd?.stop(), smtp?.stop(), am?.stop()]);
  });

  it('one low finding is logged and sent nowhere', async () => {
    const ip = nextSubject();
    const incidents = await rig.incidents();
    await rig.publish([finding({ subject: { kind: 'ip', value: ip } })]);
    const inc = await incidentOf(ip);
    expect(inc.tier).toBe('log');
    // Its change reaches api.incidents through the same outbox pass that would have carried any notification.
    await waitFor(() => incidents.changes.find((c) => c.id === inc.id), 'the incident change on api.incidents');
    await incidents.stop();
    expect(webhookFor(hook, inc.id)).toEqual([]);
    expect(slackFor(slack, inc.id)).toEqual([]);
    expect(pdFor(pd, inc.id)).toEqual([]);
    expect(smtp.mails.filter((m) => m.raw.includes(inc.id))).toEqual([]);
    expect(rig.logs.find((l) => l.incident === inc.id && l.change === 'opened' && l.tier === 'log')).toBeDefined();
  });

  it('the same issue five times in 10 minutes gives one notify, not five, on every notify channel', async () => {
    const ip = nextSubject();
    const t0 = Date.now() - 10 * MIN;
    await rig.publish(Array.from({ length: 5 }, (_, i) => finding({ subject: { kind: 'ip', value: ip }, windowStart: t0 + i * 2 * MIN, windowEnd: t0 + (i + 1) * 2 * MIN, detectedAt: t0 + (i + 1) * 2 * MIN })));
    const inc = await waitFor(async () => {
      const i = await incidentOf(ip);
      return i.findingCount === 5 ? i : undefined;
    }, 'five findings in one incident');
    expect(inc.tier).toBe('notify');
    await waitFor(() => webhookFor(hook, inc.id).length >= 1 && slackFor(slack, inc.id).length >= 1 && smtp.mails.some((m) => m.raw.includes(inc.id)), 'the notify on webhook, Slack and email');
    // Everything queued with those five findings has been delivered once the incident's last change is on the topic.
    const incidents = await rig.incidents();
    await waitFor(() => incidents.changes.filter((c) => c.id === inc.id).length >= 5, 'the incident changes on api.incidents');
    await incidents.stop();
    const hooks = webhookFor(hook, inc.id);
    expect(hooks.map((r) => (r.body as WebhookBody).kind)).toEqual(['trigger']);
    expect(verifySignature(WEBHOOK_SECRET, hooks[0]!.text, hooks[0]!.headers['x-vigil-signature'] as string)).toBe(true);
    const slacks = slackFor(slack, inc.id);
    expect(slacks).toHaveLength(1);
    expect((slacks[0]!.body as { blocks: { type: string }[] }).blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    const mails = smtp.mails.filter((m) => m.raw.includes(inc.id));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['oncall@example.com']);
    expect(mails[0]!.raw).toMatch(/Subject: \[vigil notify\] New: /);
  });

  it('a critical known_threat reaches the wake_up receivers within 2 s of being published', async () => {
    const ip = nextSubject();
    const published = Date.now();
    await rig.publish([finding({ detector: 'known_threat', severity: 'critical', subject: { kind: 'ip', value: ip }, title: `Known-bad IP ${ip}` })]);
    const atPd = await waitFor(() => pd.received.find((r) => (r.body as { payload?: { custom_details?: { subject?: string } } }).payload?.custom_details?.subject === `ip:${ip}`), 'the PagerDuty trigger', 10_000, 20);
    const pdDelay = atPd.at - published;
    const amAlert = await waitFor(async () => (await am.alerts()).find((a) => a.annotations.subject === ip), 'the Alertmanager alert', 10_000, 50);
    const amDelay = Date.now() - published;
    console.info(JSON.stringify({ wakeUpDelayMs: { pagerduty: pdDelay, alertmanagerSeenBy: amDelay } }));
    expect(pdDelay).toBeLessThanOrEqual(2000);
    expect(amDelay).toBeLessThanOrEqual(2000);
    expect((atPd.body as { event_action: string; payload: { severity: string } }).event_action).toBe('trigger');
    expect((atPd.body as { payload: { severity: string } }).payload.severity).toBe('critical');
    expect(amAlert.labels).toMatchObject({ alertname: 'vigil_known_threat', severity: 'critical', tier: 'wake_up' });
    const inc = await incidentOf(ip);
    expect(inc.tier).toBe('wake_up');
    expect(amAlert.labels.incident).toBe(inc.id);

    // Resolving by hand resolves it on PagerDuty and ends the Alertmanager alert.
    expect((await rig.api(`/incidents/${inc.id}/resolve`, { method: 'POST', json: { by: 'alice' } })).status).toBe(200);
    await waitFor(() => pdFor(pd, inc.id).some((r) => (r.body as { event_action: string }).event_action === 'resolve'), 'the PagerDuty resolve');
    await waitFor(async () => !(await am.alerts()).some((a) => a.labels.incident === inc.id), 'the Alertmanager alert to end');
  });

  it('an unacknowledged notify escalates to wake_up after its timeout, and an ack stops that', async () => {
    const [ignored, acked] = [nextSubject(), nextSubject()];
    await rig.publish([finding({ severity: 'high', subject: { kind: 'ip', value: ignored } }), finding({ severity: 'high', subject: { kind: 'ip', value: acked } })]);
    const [a, b] = [await incidentOf(ignored, 'notify'), await incidentOf(acked, 'notify')];
    const ack = await rig.api(`/incidents/${b.id}/ack`, { method: 'POST', json: { by: 'bob' } });
    expect(ack.status).toBe(200);
    expect(((await ack.json()) as { incident: { state: string; acknowledgedBy: string } }).incident).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'bob' });
    expect(pdFor(pd, a.id)).toEqual([]);

    rig.skew.ms += 16 * MIN; // the ack timeout (15 min) passes
    await waitFor(() => pdFor(pd, a.id).length > 0, 'the escalation of the ignored incident to PagerDuty');
    expect((await incidentOf(ignored)).tier).toBe('wake_up');
    // The same tick pass looked at the acknowledged one: it stays at notify and never pages.
    expect((await incidentOf(acked)).tier).toBe('notify');
    expect(pdFor(pd, b.id)).toEqual([]);
    // Its notify channels heard about the ack.
    await waitFor(() => webhookFor(hook, b.id).some((r) => (r.body as WebhookBody).kind === 'acknowledge'), 'the acknowledge on the webhook');
  });

  it('with the webhook receiver down for 30 s, every notification arrives exactly once after it returns', async () => {
    await hook.down();
    const ips = [nextSubject(), nextSubject(), nextSubject(), nextSubject(), nextSubject()];
    const downSince = Date.now();
    await rig.publish(ips.map((ip) => finding({ severity: 'high', subject: { kind: 'ip', value: ip } })));
    const ids = await Promise.all(ips.map(async (ip) => (await incidentOf(ip, 'notify')).id));
    await waitFor(async () => sample(await metricsText(), 'vigil_notifications_failed_total', 'channel="hook"') >= 5, 'failed sends to the webhook', 30_000);
    // The receiver stays down for 30 s; the others keep working meanwhile.
    await waitFor(() => ids.every((id) => slackFor(slack, id).length === 1), 'Slack to get its notifications while the webhook is down');
    await waitFor(() => Date.now() - downSince >= 30_000, '30 s of downtime', 40_000, 500);
    expect(ids.flatMap((id) => webhookFor(hook, id))).toEqual([]);
    await hook.up();
    await waitFor(() => ids.every((id) => webhookFor(hook, id).length >= 1), 'every notification after the receiver returns', 30_000);
    // Give a duplicate the chance to show up: drain the outbox once more.
    await waitFor(async () => metricValue(await metricsText(), 'vigil_outbox_depth') === 0, 'the outbox to empty', 30_000);
    for (const id of ids) expect(webhookFor(hook, id).map((r) => (r.body as WebhookBody).key)).toHaveLength(1);
  }, 120_000);

  it('a config with a typo gets an error naming the path, and the service keeps running on the previous config', async () => {
    const before = rig.logs.length;
    rig.writeEscalation({ ...escalation(), wakeUp: { ackTimeoutMS: 5 } });
    const error = await waitFor(() => rig.logs.slice(before).find((l) => l.msg && String(l.msg).startsWith('escalation config not reloaded')), 'the reload error in the log', 10_000);
    expect(error.issues).toEqual(expect.arrayContaining([expect.stringMatching(/^wakeUp: Unrecognized key\(s\) in object: 'ackTimeoutMS'/)]));
    expect(error.level).toBe('error');
    expect(sample(await metricsText(), 'vigil_config_reloads_total', 'result="invalid"')).toBe(1);
    // Still running on the previous config: a high finding notifies through the webhook as before.
    const ip = nextSubject();
    await rig.publish([finding({ severity: 'high', subject: { kind: 'ip', value: ip } })]);
    const inc = await incidentOf(ip, 'notify');
    await waitFor(() => webhookFor(hook, inc.id).length === 1, 'the notify under the previous config');
    // A fixed file is taken.
    rig.writeEscalation(escalation());
    await waitFor(() => rig.logs.slice(before).find((l) => l.msg === 'escalation config reloaded'), 'the good reload', 10_000);
  });

  it('replaying the findings topic from offset 0 sends nothing twice', async () => {
    const counts = () => ({ hook: hook.received.length, slack: slack.received.length, pd: pd.received.length, mail: smtp.mails.length });
    await waitFor(async () => metricValue(await metricsText(), 'vigil_outbox_depth') === 0, 'the outbox to empty', 30_000);
    const before = counts();
    // A second notifier with a new consumer group reads the whole topic again, on the same Redis state.
    const replayGroup = uniqueName('it-notifier-replay');
    const metrics = createMetricsRegistry('notifier-replay', { defaultMetrics: false });
    const replay = buildNotifier({
      kafka: rig.kafka,
      registry: createSchemaRegistry({ url: stackEnv().SCHEMA_REGISTRY_URL }),
      redis: rig.redis,
      redisPrefix: rig.prefix,
      escalation: createEscalationSource({ file: rig.escalationFile, env: {}, checkMs: 1000, logger: quietLogger() }),
      logger: quietLogger(),
      metrics,
      topics: rig.topics,
      groupId: replayGroup,
      fromBeginning: true,
      api: { token: API_TOKEN, maxBodyBytes: 4096 },
      delivery: { pollMs: 100, claimLimit: 1000, leaseMs: 10_000, maxAttempts: 100, backoffInitialMs: 500, backoffMaxMs: 4000 },
      tickMs: 200,
      clock: () => Date.now() + rig.skew.ms,
    });
    await replay.start();
    try {
      await waitFor(async () => {
        const lag = await rig.admin.lag(replayGroup, rig.topics.findings);
        return lag.length > 0 && lag.every((p) => p.lag === 0);
      }, 'the replay to read the whole topic', 60_000, 250);
      const text = await metrics.metrics();
      expect(sample(text, 'vigil_notifier_findings_total', 'outcome="replay"')).toBeGreaterThan(10);
      expect(sample(text, 'vigil_notifier_findings_total', 'outcome="new_incident"')).toBe(0);
      expect(sample(text, 'vigil_notifier_findings_total', 'outcome="updated"')).toBe(0);
      await waitFor(async () => metricValue(await metricsText(), 'vigil_outbox_depth') === 0, 'the outbox to empty', 30_000);
      await replay.drain();
      expect(counts()).toEqual(before);
    } finally {
      await replay.stop();
    }
  }, 120_000);

  it('refuses API requests without the token, with a wrong token, with an oversize body or a malformed id', async () => {
    expect((await fetch(`${api}/incidents`)).status).toBe(401);
    expect((await fetch(`${api}/incidents`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${api}/incidents`, { headers: { authorization: API_TOKEN } })).status).toBe(401);
    const oversize = await rig.api('/incidents/inc-AAAAAAAAAAAAAAAAAAAA/ack', { method: 'POST', json: { by: 'x'.repeat(10_000) } });
    expect(oversize.status).toBe(413);
    expect((await rig.api("/incidents/inc-1' OR '1'='1/ack", { method: 'POST', json: {} })).status).toBe(400);
    expect((await rig.api('/incidents/%7B%7D%0D%0AFLUSHALL', { method: 'GET' })).status).toBe(400);
    expect((await rig.api('/incidents/inc-AAAAAAAAAAAAAAAAAAAA', { method: 'GET' })).status).toBe(404);
    expect((await rig.api('/incidents/inc-AAAAAAAAAAAAAAAAAAAA/ack', { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await rig.api('/incidents', { method: 'DELETE' })).status).toBe(405);
    const bad = await rig.api('/incidents/inc-AAAAAAAAAAAAAAAAAAAA/verdict', { method: 'POST', json: { verdict: 'maybe' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: string[] }).details[0]).toMatch(/^verdict: /);
    // Nothing the client sent reached the log.
    expect(JSON.stringify(rig.logs)).not.toContain('wrong-token-0123456789');
    expect(JSON.stringify(rig.logs)).not.toContain(API_TOKEN);
  });

  it('never writes channel secrets to its log', () => {
    const text = JSON.stringify(rig.logs);
    expect(rig.logs.length).toBeGreaterThan(10);
    for (const secret of [ROUTING_KEY, WEBHOOK_SECRET, 'XXXXXXXX']) expect(text).not.toContain(secret);
  });
});
