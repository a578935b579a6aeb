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
