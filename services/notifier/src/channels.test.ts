import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vigil/errors';
import { parseEscalationConfig } from '@vigil/notifier-core';
import { buildChannels } from './channels.js';

const config = parseEscalationConfig({
  tiers: { notify: ['slack'], wake_up: ['pd'] },
  channels: {
    slack: { type: 'slack', webhookUrl: { env: 'SLACK_URL' } },
    pd: { type: 'pagerduty', routingKey: { file: '/run/secrets/pd' }, url: 'http://127.0.0.1:9/enqueue' },
    mail: { type: 'email', host: '127.0.0.1', port: 2525, from: 'vigil@example.com', to: ['oncall@example.com'] },
  },
});

describe('building channels from the escalation config', () => {
  it('resolves secrets from the environment and from files', () => {
    const channels = buildChannels(config, { SLACK_URL: 'https://hooks.slack.test/T000/B000/XXXX' }, (p) => (p === '/run/secrets/pd' ? 'routing-key\n' : ''));
    expect([...channels.keys()].sort()).toEqual(['mail', 'pd', 'slack']);
    expect(channels.get('pd')!.type).toBe('pagerduty');
    expect(channels.get('mail')!.type).toBe('email');
  });

  it('a missing secret names the channel and key and what to provide, never a value', () => {
    try {
      buildChannels(config, {}, () => {
        throw Object.assign(new Error('ENOENT: /run/secrets/pd'), { code: 'ENOENT' });
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.issues.map((i) => i.path).sort()).toEqual(['channels.pd.routingKey', 'channels.slack.webhookUrl']);
      expect(e.message).toContain('escalation config at channels.slack.webhookUrl: environment variable SLACK_URL is not set (set it, or change channels.slack.webhookUrl)');
      expect(e.message).toContain('escalation config at channels.pd.routingKey: cannot read the file /run/secrets/pd: ENOENT');
    }
  });

  it('builds the SIEM channels, their token and TLS CA from secrets; a missing token names its key, never a value', () => {
    const siem = parseEscalationConfig({
      channels: {
        sys: { type: 'syslog', host: '127.0.0.1', tls: { ca: { file: '/run/secrets/ca.pem' } } },
        plain: { type: 'syslog', host: '127.0.0.1', structuredData: false },
        hec: { type: 'splunk_hec', url: 'https://127.0.0.1:8088', token: { env: 'HEC_TOKEN' }, useAck: true },
      },
    });
    const reads: string[] = [];
    const channels = buildChannels(siem, { HEC_TOKEN: 'hec-token-value' }, (p) => (reads.push(p), '-----BEGIN CERTIFICATE-----\n'));
    expect([...channels.values()].map((c) => [c.name, c.type, c.rateLimitPerMinute])).toEqual([
      ['sys', 'syslog', 6000],
      ['plain', 'syslog', 6000],
      ['hec', 'splunk_hec', 6000],
    ]);
    expect(reads).toEqual(['/run/secrets/ca.pem']);
    try {
      buildChannels(siem, { HEC_TOKEN: '' }, () => 'pem');
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['channels.hec.token: environment variable HEC_TOKEN is not set (set it, or change channels.hec.token)']);
    }
  });
});
