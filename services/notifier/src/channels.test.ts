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
});
