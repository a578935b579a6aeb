import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vigil/errors';
import { parseEscalationConfig } from './config.js';

describe('escalation config', () => {
  it('has defaults for everything', () => {
    const c = parseEscalationConfig({});
    expect(c.groupBy).toEqual(['detector', 'api', 'subject']);
    expect(c.notify).toEqual({ findings: 3, withinMs: 600_000, minSeverity: 'high', sustainedMs: 900_000 });
    expect(c.wakeUp.ackTimeoutMs).toBe(900_000);
  });

  it('names the path of every bad key, typos included', () => {
    try {
      parseEscalationConfig({ notfy: {}, rules: [{ match: { detector: ['burts'] }, tier: 'page' }], quietHours: { from: '25:00', to: '07:00' }, wakeUp: { ackTimeoutMs: 5 } }, 'escalation.yaml');
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const paths = (err as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['', 'rules.0.match.detector.0', 'rules.0.tier', 'quietHours.from']));
      expect((err as ConfigError).message).toContain("escalation.yaml at (top level): Unrecognized key(s) in object: 'notfy'");
    }
  });

  it('a tier naming a channel that is not defined is an error at its path', () => {
    expect(() => parseEscalationConfig({ tiers: { notify: ['slak'] }, channels: { slack: { type: 'slack', webhookUrl: { env: 'X' } } } })).toThrow(/tiers\.notify\.0: no channel named "slak" under channels/);
    expect(() => parseEscalationConfig({ channels: { pd: { type: 'pagerduty', routingKey: { env: 'lower-case!' } } } })).toThrow(/channels\.pd\.routingKey/);
  });

  it('checks cross-field rules', () => {
    expect(() => parseEscalationConfig({ wakeUp: { ackTimeoutMs: 30_000 } })).toThrow(/wakeUp\.ackTimeoutMs: must be 0 \(never\) or at least 60000 ms/);
  });
});

describe('SIEM channels', () => {
  const issues = (doc: unknown): string[] => {
    try {
      parseEscalationConfig(doc, 'escalation.yaml');
      return [];
    } catch (err) {
      return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
  };

  it('has defaults: local4, OCSF, structured data, a SIEM-sized rate limit; HEC batching and acks off', () => {
    const c = parseEscalationConfig({
      findingChannels: ['sys', 'hec'],
      channels: { sys: { type: 'syslog', host: 'siem.example' }, hec: { type: 'splunk_hec', url: 'https://splunk.example:8088', token: { env: 'HEC_TOKEN' } } },
    });
    expect(c.channels.sys).toMatchObject({ facility: 'local4', format: 'ocsf', appName: 'vigil', structuredData: 'vigil@32473', maxMessageBytes: 65_536, rateLimitPerMinute: 6000 });
    expect(c.channels.sys).not.toHaveProperty('port');
    expect(c.channels.hec).toMatchObject({ format: 'ocsf', source: 'vigil', useAck: false, ackTimeoutMs: 30_000, batch: { lingerMs: 200, maxEvents: 100, maxBytes: 1_000_000 } });
    expect(c.findingChannels).toEqual(['sys', 'hec']);
  });

  it('names the key of every bad SIEM setting', () => {
    expect(
      issues({
        channels: {
          sys: { type: 'syslog', host: 'h', facility: 'local9', format: 'cef', appName: 'my app', structuredData: 'vigil', tls: { ca: { file: '/ca.pem' }, rejectUnauthorised: false } },
          hec: { type: 'splunk_hec', url: 'https://s', batch: { maxEvents: 0 }, useAck: 'yes' },
        },
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^channels\.sys\.facility: /),
        expect.stringMatching(/^channels\.sys\.format: /),
        expect.stringMatching(/^channels\.sys\.appName: expected printable US-ASCII without spaces/),
        expect.stringMatching(/^channels\.sys\.structuredData: /),
        expect.stringMatching(/^channels\.sys\.tls: Unrecognized key\(s\) in object: 'rejectUnauthorised'/),
        expect.stringMatching(/^channels\.hec\.token: /),
        expect.stringMatching(/^channels\.hec\.batch\.maxEvents: /),
        expect.stringMatching(/^channels\.hec\.useAck: /),
      ]),
    );
  });

  it('only SIEM channels that exist can be fed every finding', () => {
    const doc = { findingChannels: ['hook', 'nope'], channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:1/h' } } };
    expect(issues(doc)).toEqual(['findingChannels.0: channel "hook" is a webhook channel; only syslog and splunk_hec channels take every finding', 'findingChannels.1: no channel named "nope" under channels']);
  });
});

describe('the shipped example', () => {
  it('deploy/notifier/escalation.example.yaml is valid', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const doc = parse(readFileSync(new URL('../../../deploy/notifier/escalation.example.yaml', import.meta.url), 'utf8')) as unknown;
    const c = parseEscalationConfig(doc, 'escalation.example.yaml');
    expect(c.rules).toHaveLength(2);
    expect(c.tiers.wake_up).toEqual(['pagerduty', 'alertmanager']);
    expect(Object.keys(c.channels).sort()).toEqual(['alertmanager', 'email', 'pagerduty', 'slack', 'webhook']);
    expect(c.channels.slack).toEqual({ type: 'slack', webhookUrl: { env: 'SLACK_WEBHOOK_URL' }, timeoutMs: 5000 });
    expect(c.quietHours?.utcOffsetMinutes).toBe(60);
  });
});
