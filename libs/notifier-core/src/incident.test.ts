import { describe, expect, it } from 'vitest';
import { validate, incidentContract, toWireJson, type Finding } from '@vigil/contracts';
import { sampleFinding } from '../../contracts/src/samples.fixture.js';
import { parseEscalationConfig } from './config.js';
import { acknowledge, applyFinding, groupKeyOf, inQuietHours, resolve, silence, tick, type IncidentState, type Notification } from './incident.js';

const T = Date.UTC(2026, 10, 23, 14, 0, 0); // a Monday, 14:00 UTC
const MIN = 60_000;
const finding = (over: Partial<Finding> = {}): Finding => sampleFinding(over, T);

const config = parseEscalationConfig({});

/** Feeds findings (at their detectedAt) through one incident; collects notifications and published changes. */
function run(findings: Finding[], cfg = config) {
  let state: IncidentState | undefined;
  const notifications: Notification[] = [];
  const changes: string[] = [];
  for (const f of findings) {
    const t = applyFinding(state, f, cfg, f.detectedAt);
    state = t.state;
    notifications.push(...t.notifications);
    if (t.change) changes.push(t.change.change);
  }
  return { state: state!, notifications, changes };
}

describe('incidents', () => {
  it('one low finding is logged and sent nowhere', () => {
    const { state, notifications, changes } = run([finding()]);
    expect(state.tier).toBe('log');
    expect(notifications).toEqual([]);
    expect(changes).toEqual(['opened']);
  });

  it('the same issue five times in 10 minutes gives one notify, not five', () => {
    const { state, notifications } = run(Array.from({ length: 5 }, (_, i) => finding({ detectedAt: T + i * 2 * MIN, windowStart: T + i * 2 * MIN })));
    expect(state.tier).toBe('notify');
    expect(state.findingCount).toBe(5);
    expect(notifications).toEqual([{ tier: 'notify', kind: 'trigger', reason: '3 findings within 10 min' }]);
  });

  it('findings spread wider than the window stay at log', () => {
    const { state } = run(Array.from({ length: 5 }, (_, i) => finding({ detectedAt: T + i * 20 * MIN })));
    expect(state.tier).toBe('log');
  });

  it('a window published again, revised or raised (evidence updates), is the same finding grown: not a repetition', () => {
    const first = finding({ id: 'bot-w1', detectedAt: T });
    const revisions = [1, 2, 3].map((k) => finding({ id: `bot-w1-r${k}`, detectedAt: T + k * MIN, evidence: { ...first.evidence, revised: 1, updates: 'bot-w1' } }));
    const { state, notifications, changes } = run([first, ...revisions]);
    expect(state.tier).toBe('log');
    expect(state.findingCount).toBe(1);
    expect(notifications).toEqual([]);
    expect(changes).toEqual(['opened', 'updated', 'updated', 'updated']);
    // The same three as findings of their own windows notify.
    const windows = [1, 2, 3].map((k) => finding({ id: `bot-w${k + 1}`, detectedAt: T + k * MIN }));
    expect(run([first, ...windows]).state.tier).toBe('notify');
    // An update of a window the incident does not hold counts as a finding.
    const stranger = finding({ id: 'bot-x-r2', detectedAt: T + 2 * MIN, evidence: { updates: 'bot-x' } });
    expect(run([first, revisions[0]!, stranger]).state.findingCount).toBe(2);
    // Read out of order (a window's publications sit on different partitions): its first after its update is the same window.
    expect(run([revisions[1]!, first, revisions[0]!]).state.findingCount).toBe(1);
    expect(run([stranger, finding({ id: 'bot-x', detectedAt: T + 3 * MIN })]).state.findingCount).toBe(1);
  });

  it('an episode that lasts notify.sustainedMs notifies, unless it is usual for its subject', () => {
    const long = (minutes: number, evidence: Finding['evidence'] = {}) => finding({ id: `bot-w-${minutes}`, windowStart: T, windowEnd: T + minutes * MIN, detectedAt: T + minutes * MIN, evidence });
    expect(run([long(14)]).state.tier).toBe('log');
    const { state, notifications } = run([long(15)]);
    expect(state.tier).toBe('notify');
    expect(notifications).toEqual([{ tier: 'notify', kind: 'trigger', reason: 'sustained for 15 min' }]);
    expect(run([long(60, { usual: '~150 at :00 every hour, seen 6 times before' })]).state.tier).toBe('log');
    expect(run([long(60)], parseEscalationConfig({ notify: { sustainedMs: 0 } })).state.tier).toBe('log');
  });

  it('a replayed finding id changes nothing', () => {
    const f = finding();
    const first = applyFinding(undefined, f, config, T);
    const again = applyFinding(first.state, f, config, T + MIN);
    expect(again.state).toBe(first.state);
    expect(again.change).toBeUndefined();
    expect(again.notifications).toEqual([]);
  });

  it('a critical known_threat wakes someone up at once', () => {
    const { state, notifications } = run([finding({ detector: 'known_threat', severity: 'critical' })]);
    expect(state.tier).toBe('wake_up');
    expect(notifications).toEqual([{ tier: 'wake_up', kind: 'trigger', reason: 'known_threat is a known breach' }]);
  });

  it('a confirmed enumeration (critical bola) wakes someone up; a probe (high) notifies', () => {
    expect(run([finding({ detector: 'bola_enumeration', severity: 'critical' })]).state.tier).toBe('wake_up');
    expect(run([finding({ detector: 'bola_enumeration', severity: 'high' })]).state.tier).toBe('notify');
  });

  it('an unacknowledged notify escalates to wake up after its timeout; an ack stops that', () => {
    const { state } = run([finding({ severity: 'high' })]);
    expect(state.tier).toBe('notify');
    expect(tick(state, config, T + 14 * MIN).notifications).toEqual([]);
    const late = tick(state, config, T + 15 * MIN);
    expect(late.state.tier).toBe('wake_up');
    expect(late.change?.change).toBe('escalated');
    expect(late.notifications).toEqual([{ tier: 'wake_up', kind: 'trigger', reason: 'unacknowledged for 15 min' }]);

    const acked = acknowledge(state, 'alice', T + 5 * MIN);
    expect(acked.notifications).toEqual([{ tier: 'notify', kind: 'acknowledge', reason: 'acknowledged by alice' }]);
    const after = tick(acked.state, config, T + 20 * MIN);
    expect(after.state.tier).toBe('notify');
    expect(after.notifications).toEqual([]);
  });

  it('reminds an open incident each repeat interval, and resolves after a quiet period', () => {
    const cfg = parseEscalationConfig({ wakeUp: { ackTimeoutMs: 0 }, repeatIntervalMs: 20 * MIN, resolveAfterMs: 45 * MIN });
    const { state } = run([finding({ severity: 'high' })], cfg);
    const repeat = tick(state, cfg, T + 20 * MIN);
    expect(repeat.notifications).toEqual([{ tier: 'notify', kind: 'repeat', reason: 'still open after 20 min' }]);
    const resolved = tick(repeat.state, cfg, T + 45 * MIN);
    expect(resolved.state.state).toBe('resolved');
    expect(resolved.notifications).toEqual([{ tier: 'notify', kind: 'resolve', reason: 'no new finding for 45 min' }]);
    // A finding after the resolve opens a new incident.
    const next = applyFinding(resolved.state, finding({ detectedAt: T + 50 * MIN, windowStart: T + 50 * MIN }), cfg, T + 50 * MIN);
    expect(next.change?.change).toBe('opened');
    expect(next.state.id).not.toBe(state.id);
  });

  it('quiet hours hold notify until they end, but never wake up', () => {
    const cfg = parseEscalationConfig({ quietHours: { from: '22:00', to: '07:00' } });
    const night = Date.UTC(2026, 10, 23, 23, 30);
    const held = run([finding({ severity: 'high', detectedAt: night })], cfg);
    expect(held.notifications).toEqual([]);
    expect(held.state.held).toBe(true);
    expect(tick(held.state, cfg, night + 60 * MIN).notifications).toEqual([]);
    const morning = tick(held.state, cfg, Date.UTC(2026, 10, 24, 7, 0));
    expect(morning.notifications).toEqual([{ tier: 'notify', kind: 'trigger', reason: 'held by quiet hours' }]);
    expect(run([finding({ detector: 'known_threat', severity: 'critical', detectedAt: night })], cfg).notifications).toHaveLength(1);
  });

  it('rules choose the starting tier; a log rule mutes', () => {
    const cfg = parseEscalationConfig({
      rules: [
        { name: 'admin routes', match: { route: ['/admin/*'] }, tier: 'wake_up' },
        { name: 'search is noisy', match: { api: ['search'] }, tier: 'log' },
      ],
    });
    expect(run([finding({ route: '/admin/users' })], cfg).state.tier).toBe('wake_up');
    expect(run([finding({ api: 'search', severity: 'high' })], cfg).state.tier).toBe('log');
    expect(run([finding({ route: '/users' })], cfg).state.tier).toBe('log');
  });

  it('measures the quiet period on the wall clock a finding arrived at, not on its event time', () => {
    const cfg = parseEscalationConfig({ resolveAfterMs: 30 * MIN, wakeUp: { ackTimeoutMs: 0 }, repeatIntervalMs: 0 });
    // Event time runs an hour ahead of the wall clock (a replay at ×60, a skewed producer).
    const t = applyFinding(undefined, finding({ detectedAt: T + 60 * MIN }), cfg, T);
    expect(tick(t.state, cfg, T + 29 * MIN).state.state).toBe('open');
    expect(tick(t.state, cfg, T + 30 * MIN).state.state).toBe('resolved');
  });

  it('a silence records a change and keeps the incident open', () => {
    const open = applyFinding(undefined, finding({ severity: 'high' }), config, T).state;
    const t = silence(open, T + 60 * MIN, 'alice', T + MIN);
    expect(t.state.silencedUntil).toBe(T + 60 * MIN);
    expect(t.state.state).toBe('open');
    expect(t.change?.change).toBe('silenced');
    expect(t.change?.version).toBe(open.version + 1);
    expect(t.notifications).toEqual([]);
  });

  it('groups by the configured key', () => {
    const f = finding({ route: '/x' });
    expect(groupKeyOf(f, config)).toBe('burst|accounts|ip:198.51.100.7');
    expect(groupKeyOf(f, parseEscalationConfig({ groupBy: ['detector', 'route'] }))).toBe('burst|/x');
  });

  it('every published change is a valid Incident v1, with versions that grow', () => {
    let state: IncidentState | undefined;
    const versions: number[] = [];
    for (const f of [finding(), finding({ severity: 'high' }), finding()]) {
      const t = applyFinding(state, f, config, f.detectedAt);
      state = t.state;
      versions.push(t.change!.version);
      expect(validate(incidentContract, toWireJson(incidentContract, t.change!))).toEqual(t.change);
    }
    const r = resolve(state!, 'bob', T + MIN);
    versions.push(r.change!.version);
    expect(versions).toEqual([1, 2, 3, 4]);
  });
});

describe('quiet hours', () => {
  it('span midnight, honour the offset and the days', () => {
    const cfg = parseEscalationConfig({ quietHours: { from: '22:00', to: '07:00', utcOffsetMinutes: 60, days: [1, 2, 3, 4, 5] } });
    expect(inQuietHours(cfg, Date.UTC(2026, 10, 23, 21, 30))).toBe(true); // 22:30 local, Monday
    expect(inQuietHours(cfg, Date.UTC(2026, 10, 23, 20, 30))).toBe(false);
    expect(inQuietHours(cfg, Date.UTC(2026, 10, 22, 21, 30))).toBe(false); // Sunday
  });
});
