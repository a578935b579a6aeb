import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatRfc3339, toWireJson, incidentContract, type Incident } from '@vigil/contracts';
import { VigilError } from '@vigil/errors';
import type { Logger } from '@vigil/telemetry';
import { post, safeOrigin } from './http.js';
import { summary } from './summary.js';
import type { Channel, SendResult } from './types.js';

const DEFAULT_TIMEOUT_MS = 5000;

function requireUrl(name: string, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VigilError('VIGIL_ARGUMENT', `channel ${name}: the URL is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new VigilError('VIGIL_ARGUMENT', `channel ${name}: the URL must be http(s), got ${parsed.protocol}`);
}

/** The log channel: always on; writes the notification to the notifier's log. */
export function logChannel(logger: Logger): Channel {
  const log = logger.child({ component: 'channel', channel: 'log' });
  return {
    name: 'log',
    type: 'log',
    async send(m) {
      log.info({ key: m.key, kind: m.kind, tier: m.tier, incident: m.incident.id, detector: m.incident.detector, severity: m.incident.severity, api: m.incident.api, reason: m.reason, count: m.count }, summary(m));
      return { ok: true };
    },
  };
}

export interface WebhookOptions {
  name: string;
  url: string;
  /** Signs the body: header `x-vigil-signature: sha256=<hex HMAC-SHA256 of the body>`. */
  secret?: string;
  timeoutMs?: number;
}

/** Generic webhook: the incident as JSON, signed with HMAC-SHA256 when a secret is set. */
export function webhookChannel(o: WebhookOptions): Channel {
  requireUrl(o.name, o.url);
  return {
    name: o.name,
    type: 'webhook',
    send(m) {
      const body = JSON.stringify({ key: m.key, kind: m.kind, tier: m.tier, reason: m.reason, count: m.count, incident: toWireJson(incidentContract, m.incident) });
      const headers: Record<string, string> = { 'x-vigil-key': m.key };
      if (o.secret) headers['x-vigil-signature'] = `sha256=${createHmac('sha256', o.secret).update(body).digest('hex')}`;
      return post({ url: o.url, body, headers, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    },
  };
}

/** Verifies a webhook signature (for receivers, and for tests). Constant-time. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
  const given = Buffer.from(header.slice(7));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface SlackOptions {
  name: string;
  /** The incoming-webhook URL (itself a secret). */
  webhookUrl: string;
  timeoutMs?: number;
}

/** Slack incoming webhook with blocks. */
export function slackChannel(o: SlackOptions): Channel {
  requireUrl(o.name, o.webhookUrl);
  return {
    name: o.name,
    type: 'slack',
    send(m) {
      const i = m.incident;
      const fields = [
        `*Detector*\n${i.detector}`,
        `*Severity*\n${i.severity}`,
        `*API*\n${i.api}${i.route ? ` ${i.route}` : ''}`,
        `*Subject*\n${i.subject.kind} ${i.subject.value.slice(0, 200)}`,
        `*Findings*\n${i.findingCount}`,
        `*Since*\n${formatRfc3339(i.firstSeenAt)}`,
      ];
      const body = JSON.stringify({
        text: summary(m),
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: summary(m).slice(0, 150) } },
          { type: 'section', text: { type: 'mrkdwn', text: `${m.reason}${m.count ? ` (${m.count} notifications)` : ''}` } },
          { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
          { type: 'context', elements: [{ type: 'mrkdwn', text: `incident ${i.id} · ${i.state}` }] },
        ],
      });
      return post({ url: o.webhookUrl, body, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    },
  };
}

export interface PagerDutyOptions {
  name: string;
  routingKey: string;
  /** Default https://events.pagerduty.com/v2/enqueue */
  url?: string;
  timeoutMs?: number;
}

const pdSeverity = { info: 'info', low: 'info', medium: 'warning', high: 'error', critical: 'critical' } as const;

/** PagerDuty Events API v2: trigger, acknowledge, resolve, with dedup_key = incident id. */
export function pagerDutyChannel(o: PagerDutyOptions): Channel {
  const url = o.url ?? 'https://events.pagerduty.com/v2/enqueue';
  requireUrl(o.name, url);
  if (!o.routingKey) throw new VigilError('VIGIL_ARGUMENT', `channel ${o.name}: a routing key is required`);
  return {
    name: o.name,
    type: 'pagerduty',
    send(m) {
      const i = m.incident;
      const action = m.kind === 'acknowledge' ? 'acknowledge' : m.kind === 'resolve' ? 'resolve' : 'trigger';
      const event: Record<string, unknown> = { routing_key: o.routingKey, event_action: action, dedup_key: i.id };
      if (action === 'trigger') {
        event.payload = {
          summary: summary(m).slice(0, 1024),
          source: `vigil/${i.api}`,
          severity: pdSeverity[i.severity],
          component: i.route ?? i.api,
          class: i.detector,
          custom_details: { reason: m.reason, subject: `${i.subject.kind}:${i.subject.value}`, findings: i.findingCount, incident: i.id, tier: i.tier },
        };
      }
      return post({ url, body: JSON.stringify(event), timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    },
  };
}

export interface OpsgenieOptions {
  name: string;
  apiKey: string;
  /** Default https://api.opsgenie.com (use https://api.eu.opsgenie.com in the EU). */
  baseUrl?: string;
  timeoutMs?: number;
}

const ogPriority = { info: 'P5', low: 'P4', medium: 'P3', high: 'P2', critical: 'P1' } as const;

/** Opsgenie Alert API: create (alias = incident id), acknowledge, close. */
export function opsgenieChannel(o: OpsgenieOptions): Channel {
  const base = (o.baseUrl ?? 'https://api.opsgenie.com').replace(/\/+$/, '');
  requireUrl(o.name, base);
  if (!o.apiKey) throw new VigilError('VIGIL_ARGUMENT', `channel ${o.name}: an API key is required`);
  const headers = { authorization: `GenieKey ${o.apiKey}` };
  return {
    name: o.name,
    type: 'opsgenie',
    send(m) {
      const i = m.incident;
      const alias = encodeURIComponent(i.id);
      const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (m.kind === 'acknowledge') return post({ url: `${base}/v2/alerts/${alias}/acknowledge?identifierType=alias`, body: JSON.stringify({ note: m.reason }), headers, timeoutMs });
      if (m.kind === 'resolve') return post({ url: `${base}/v2/alerts/${alias}/close?identifierType=alias`, body: JSON.stringify({ note: m.reason }), headers, timeoutMs });
      const body = { message: summary(m).slice(0, 130), alias: i.id, description: m.reason, priority: ogPriority[i.severity], source: 'vigil', tags: [i.detector, i.api, i.tier], details: { subject: `${i.subject.kind}:${i.subject.value}`, findings: String(i.findingCount) } };
      return post({ url: `${base}/v2/alerts`, body: JSON.stringify(body), headers, timeoutMs });
    },
  };
}

export interface AlertmanagerOptions {
  name: string;
  /** Base URL of Alertmanager, e.g. http://alertmanager:9093 */
  url: string;
  timeoutMs?: number;
  /** How long a firing alert stays active without a repeat (Alertmanager resolves it after). */
  activeForMs?: number;
}

/** Prometheus Alertmanager API v2: POST /api/v2/alerts; a resolve sends endsAt = now. */
export function alertmanagerChannel(o: AlertmanagerOptions): Channel {
  const base = o.url.replace(/\/+$/, '');
  requireUrl(o.name, base);
  return {
    name: o.name,
    type: 'alertmanager',
    send(m) {
      const i = m.incident;
      const now = i.changedAt;
      const alert = {
        labels: { alertname: `vigil_${i.detector}`, incident: i.id, severity: i.severity, tier: i.tier, api: i.api, subject_kind: i.subject.kind },
        annotations: { summary: summary(m), description: m.reason, subject: i.subject.value.slice(0, 500) },
        startsAt: formatRfc3339(i.firstSeenAt),
        endsAt: formatRfc3339(m.kind === 'resolve' ? now : now + (o.activeForMs ?? 4 * 3_600_000)),
        generatorURL: `vigil://incidents/${encodeURIComponent(i.id)}`,
      };
      return post({ url: `${base}/api/v2/alerts`, body: JSON.stringify([alert]), timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    },
  };
}

export function describeChannel(c: Channel, url?: string): string {
  return `${c.name} (${c.type}${url ? ` → ${safeOrigin(url)}` : ''})`;
}

export type { Incident, SendResult };
