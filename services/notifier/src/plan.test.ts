import { describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { acknowledge, applyFinding, parseEscalationConfig } from '@vigil/notifier-core';
import { sampleFinding } from '../../../libs/contracts/src/samples.fixture.js';
import { channelsFor, plan } from './plan.js';

const T = Date.UTC(2026, 10, 23, 14, 0, 0);
const hook = { type: 'webhook', url: 'http://127.0.0.1:1/h' };
const config = parseEscalationConfig({
  tiers: { notify: ['slack', 'hook'], wake_up: ['pd'] },
  channels: { slack: { type: 'slack', webhookUrl: 'http://127.0.0.1:1/s' }, hook, pd: { type: 'pagerduty', routingKey: 'k', url: 'http://127.0.0.1:1/p' } },
});
const finding = (over: Partial<Finding> = {}): Finding => sampleFinding({ severity: 'high', ...over }, T);

describe('planning outbox entries', () => {
  it('sends a trigger to its tier only; an ack or resolve also to the lower tiers', () => {
    expect(channelsFor('trigger', 'wake_up', config)).toEqual(['pd']);
    expect(channelsFor('acknowledge', 'wake_up', config)).toEqual(['slack', 'hook', 'pd']);
    expect(channelsFor('trigger', 'log', config)).toEqual([]);
  });

  it('queues the incident change and one notification per channel, under ids derived from the revision', () => {
    const t = applyFinding(undefined, finding(), config, T);
    const { entries, muted } = plan(t, 1, config, T, T);
    expect(muted).toBe(0);
    expect(entries.map((e) => e.id)).toEqual([`${t.state.id}.r1.incident`, `${t.state.id}.r1.trigger.slack`, `${t.state.id}.r1.trigger.hook`]);
    expect(entries[0]!.delivery).toMatchObject({ to: 'incidents', incident: { change: 'opened', tier: 'notify' } });
    expect(entries[1]!.delivery).toMatchObject({ to: 'channel', channel: 'slack', message: { kind: 'trigger', tier: 'notify', key: `${t.state.id}.r1.trigger` } });
    // The same transition planned again (a retried batch) gives the same ids: the outbox queues nothing twice.
    expect(plan(t, 1, config, T + 5, T).entries.map((e) => e.id)).toEqual(entries.map((e) => e.id));
    // The next revision gives new ids.
    const ack = acknowledge(t.state, 'alice', T + 1000);
    expect(plan(ack, 2, config, T + 1000, T).entries.map((e) => e.id)).toEqual([`${t.state.id}.r2.incident`, `${t.state.id}.r2.acknowledge.slack`, `${t.state.id}.r2.acknowledge.hook`]);
  });

  it('a low finding queues the incident change and no notification', () => {
    const t = applyFinding(undefined, finding({ severity: 'low' }), config, T);
    expect(plan(t, 1, config, T, T).entries.map((e) => e.delivery.to)).toEqual(['incidents']);
  });

  it('a silenced incident records its change but sends nothing, and counts what it muted', () => {
    const t = applyFinding(undefined, finding(), config, T);
    const byMatcher = plan(t, 1, config, T, T, true);
    expect(byMatcher.entries.map((e) => e.delivery.to)).toEqual(['incidents']);
    expect(byMatcher.muted).toBe(2);
    const own = { ...t, state: { ...t.state, silencedUntil: T + 60_000 } };
    expect(plan(own, 1, config, T, T).muted).toBe(2);
    expect(plan(own, 1, config, T + 60_000, T).muted).toBe(0);
  });

  it('feeds every finding to the findingChannels, silenced or not, under ids of the same revision', () => {
    const siem = parseEscalationConfig({ ...config, findingChannels: ['siem'], channels: { ...config.channels, siem: { type: 'syslog', host: '127.0.0.1' } } });
    const f = finding({ severity: 'low' });
    const t = applyFinding(undefined, f, siem, T);
    const { entries } = plan(t, 1, siem, T, T, true, f);
    expect(entries.map((e) => e.id)).toEqual([`${t.state.id}.r1.incident`, `${t.state.id}.r1.finding.siem`]);
    expect(entries[1]!.delivery).toMatchObject({ to: 'channel', channel: 'siem', message: { kind: 'finding', key: `${t.state.id}.r1.finding`, finding: { id: f.id }, incident: { id: t.state.id } } });
    // Without the finding (a tick, an API action) nothing goes to the feed.
    expect(plan(t, 1, siem, T, T).entries.map((e) => e.id)).toEqual([`${t.state.id}.r1.incident`]);
  });
});
