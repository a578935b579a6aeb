import { readFileSync } from 'node:fs';
import { alertmanagerChannel, emailChannel, opsgenieChannel, pagerDutyChannel, slackChannel, splunkHecChannel, syslogChannel, webhookChannel, type Channel } from '@vigil/channels';
import { ConfigError, type ConfigIssue } from '@vigil/errors';
import type { ChannelConfig, EscalationConfig, SecretRef } from '@vigil/notifier-core';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds the channels the escalation config defines. Secrets and endpoints
 * come from the environment or from files; a missing one is a ConfigError
 * that names the config file, the channel and key, and the variable or file
 * to provide, never the value. `source` names the config (`file /etc/…yaml`).
 */
export function buildChannels(config: EscalationConfig, env: Env, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'), source = 'escalation config'): Map<string, Channel> {
  const issues: ConfigIssue[] = [];
  const channels = new Map<string, Channel>();
  for (const [name, c] of Object.entries(config.channels)) {
    const secret = (ref: SecretRef | undefined, key: string): string | undefined => {
      if (ref === undefined) return undefined;
      if (typeof ref === 'string') return ref;
      const path = `channels.${name}.${key}`;
      const at = `${source} at ${path}`;
      if ('env' in ref) {
        const v = env[ref.env];
        if (v === undefined || v === '') issues.push({ source: at, path, message: `environment variable ${ref.env} is not set (set it, or change ${path})` });
        return v ?? '';
      }
      try {
        return readFile(ref.file).trim();
      } catch (err) {
        issues.push({ source: at, path, message: `cannot read the file ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
        return '';
      }
    };
    const channel = build(name, c, secret);
    if (channel) channels.set(name, channel);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return channels;
}

function build(name: string, c: ChannelConfig, secret: (ref: SecretRef | undefined, key: string) => string | undefined): Channel | undefined {
  switch (c.type) {
    case 'webhook': {
      const url = secret(c.url, 'url');
      return url ? webhookChannel({ name, url, secret: secret(c.secret, 'secret'), timeoutMs: c.timeoutMs }) : undefined;
    }
    case 'slack': {
      const webhookUrl = secret(c.webhookUrl, 'webhookUrl');
      return webhookUrl ? slackChannel({ name, webhookUrl, timeoutMs: c.timeoutMs }) : undefined;
    }
    case 'pagerduty': {
      const routingKey = secret(c.routingKey, 'routingKey');
      return routingKey ? pagerDutyChannel({ name, routingKey, url: secret(c.url, 'url'), timeoutMs: c.timeoutMs }) : undefined;
    }
    case 'opsgenie': {
      const apiKey = secret(c.apiKey, 'apiKey');
      return apiKey ? opsgenieChannel({ name, apiKey, baseUrl: c.baseUrl, timeoutMs: c.timeoutMs }) : undefined;
    }
    case 'alertmanager': {
      const url = secret(c.url, 'url');
      return url ? alertmanagerChannel({ name, url, activeForMs: c.activeForMs, timeoutMs: c.timeoutMs }) : undefined;
    }
    case 'email':
      return emailChannel({ name, host: c.host, port: c.port, secure: c.secure, user: secret(c.user, 'user'), password: secret(c.password, 'password'), from: c.from, to: c.to, timeoutMs: c.timeoutMs });
    case 'syslog':
    case 'splunk_hec':
      return buildSiem(name, c, secret);
  }
}

type SiemConfig = Extract<ChannelConfig, { type: 'syslog' | 'splunk_hec' }>;

/** The SIEM channels; a TLS CA is a secret reference too (usually a file). */
function buildSiem(name: string, c: SiemConfig, secret: (ref: SecretRef | undefined, key: string) => string | undefined): Channel | undefined {
  const tls = c.tls ? { ...c.tls, ca: secret(c.tls.ca, 'tls.ca') || undefined } : undefined;
  if (c.type === 'syslog') {
    const { hostname, appName, facility, format, maxMessageBytes, rateLimitPerMinute, timeoutMs } = c;
    const sdId = c.structuredData === false ? undefined : c.structuredData;
    return syslogChannel({ name, host: c.host, port: c.port ?? (tls ? 6514 : 514), tls, facility, format, hostname, appName, sdId, maxMessageBytes, rateLimitPerMinute, timeoutMs });
  }
  const url = secret(c.url, 'url');
  const token = secret(c.token, 'token');
  if (!url || !token) return undefined;
  const { format, index, source, sourcetype, host, batch, useAck, ackTimeoutMs, ackPollMs, rateLimitPerMinute, timeoutMs } = c;
  return splunkHecChannel({ name, url, token, format, index, source, sourcetype, host, batch, useAck, ackTimeoutMs, ackPollMs, tls, rateLimitPerMinute, timeoutMs });
}
