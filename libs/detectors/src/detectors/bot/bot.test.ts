import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { runDetector, subjectWindow } from '../../testing.js';
import type { SubjectWindow } from '../../types.js';
import { bot } from './index.js';

/** bot over hand-built subject windows (contextFor): the timing, agent and breadth of one subject's 5 minutes. */
const ip = { kind: 'ip', value: '203.0.113.9' } as const;
const { windowStart, windowEnd } = subjectWindow();
const SCRIPT_UA = 'python-requests/2.31';

/** 40 calls in the window with `gaps` measured between them; human-looking unless overridden. */
function client(o: { cv?: number | undefined; meanMs?: number; gapsN?: number; agentN?: number; routes?: number; n?: number } = {}): SubjectWindow {
  const n = o.n ?? 40;
  return subjectWindow({
    subject: ip,
    n,
    gaps: { n: o.gapsN ?? n - 1, meanMs: o.meanMs ?? 7_000, cv: 'cv' in o ? o.cv : 0.9 },
    automationAgentN: o.agentN ?? 0,
    distinctRoutes: o.routes ?? 3,
    userAgents: o.agentN ? [SCRIPT_UA] : ['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'],
  });
}

const run = (s: SubjectWindow, config?: Record<string, unknown>) => runDetector(bot, { subjects: [s], config });
const severityOf = (s: SubjectWindow, config?: Record<string, unknown>) => run(s, config)[0]?.severity;

describe('bot (contextFor)', () => {
  it('flags 40 metronome-regular calls from an automation agent (medium), with its evidence', () => {
    const [f, ...rest] = run(client({ cv: 0.05, agentN: 40 }));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'bot', severity: 'medium', api: 'accounts', subject: ip, windowStart, windowEnd, owasp: 'API6:2023' });
    expect(f!.evidence).toMatchObject({
      requests: 40,
      gapsMeasured: 39,
      meanGapMs: 7000,
      distinctRoutes: 3,
      automationAgentShare: 1,
      minRequests: 30,
      maxGapCv: 0.15,
      gapCv: 0.05,
      userAgents: SCRIPT_UA,
    });
    // regularity 1 - 0.05/0.15 = 2/3; score 0.35 x 2/3 + 0.3 x 1 (agent share) = 0.5333; 0.5 + 0.49 x 0.5333 = 0.761
    expect(f!.confidence).toBe(0.761);
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it.each([
    ['regular, with an automation agent on one call of 40', client({ cv: 0.1, agentN: 1 }), 'medium'],
    ['regular and machine-fast (mean gap 800 ms), browser agent', client({ cv: 0.1, meanMs: 800 }), 'medium'],
    ['regular and broad (15 routes), browser agent', client({ cv: 0.1, routes: 15 }), 'medium'],
    ['regular alone: slow, narrow, browser agent', client({ cv: 0.1 }), undefined],
    ['irregular, automation agent on 50% of calls, 15 routes (a crawler)', client({ agentN: 20, routes: 15 }), 'low'],
    ['irregular, automation agent on 47.5% of calls, 15 routes', client({ agentN: 19, routes: 15 }), undefined],
    ['irregular, automation agent on every call, 14 routes', client({ agentN: 40, routes: 14 }), undefined],
    ['irregular, fast, automation agent, narrow', client({ meanMs: 500, agentN: 40 }), undefined],
    ['no measured cv, fast, automation agent, narrow', client({ cv: undefined, meanMs: 500, agentN: 40 }), undefined],
  ])('%s', (_, s, severity) => {
    expect(severityOf(s)).toBe(severity);
  });

  it('reports a crawler (low) by its agent share and breadth, with its irregular cv', () => {
    const [f] = run(client({ agentN: 20, routes: 15 }));
    expect(f!.evidence).toMatchObject({ automationAgentShare: 0.5, distinctRoutes: 15, gapCv: 0.9 });
    // score 0.3 x 0.5 (agent share) + 0.2 (broad) = 0.35; 0.5 + 0.49 x 0.35 = 0.6715
    expect(f!.confidence).toBe(0.672);
  });

  it('needs minRequests calls and enough measured gaps (half of minRequests)', () => {
    const regularScript = { cv: 0.05, agentN: 30 };
    expect(run(client({ ...regularScript, n: 29 }))).toEqual([]);
    expect(run(client({ ...regularScript, n: 30 }))).toHaveLength(1);
    expect(run(client({ ...regularScript, n: 30, gapsN: 14 }))).toEqual([]); // 14 gaps cannot show regularity
    expect(run(client({ ...regularScript, n: 30, gapsN: 15 }))).toHaveLength(1);
  });

  it('regular means a gap cv at most maxGapCv; fast means a mean gap at most maxMeanGapMs', () => {
    expect(severityOf(client({ cv: 0.15, agentN: 40 }))).toBe('medium');
    expect(severityOf(client({ cv: 0.16, agentN: 40 }))).toBeUndefined();
    expect(severityOf(client({ cv: 0.1, meanMs: 1_000 }))).toBe('medium');
    expect(severityOf(client({ cv: 0.1, meanMs: 1_001 }))).toBeUndefined();
  });

  it('follows its config', () => {
    expect(run(client({ cv: 0.05, agentN: 12, n: 12 }), { bot: { minRequests: 10 } })).toHaveLength(1);
    expect(run(client({ cv: 0.1, agentN: 40 }), { bot: { maxGapCv: 0.05 } })).toEqual([]);
    expect(run(client({ cv: 0.1, meanMs: 1_500 }), { bot: { maxMeanGapMs: 2_000 } })).toHaveLength(1);
    expect(run(client({ agentN: 20, routes: 10 }), { bot: { minDistinctRoutes: 10 } })).toHaveLength(1);
    expect(run(client({ agentN: 16, routes: 15 }), { bot: { minAutomationShare: 0.4 } })).toHaveLength(1);
    expect(severityOf(client({ cv: 0.05, agentN: 40 }), { bot: { severity: 'high' } })).toBe('high');
  });

  it('judges every subject window of the batch on its own', () => {
    const human = subjectWindow({ n: 60 });
    const script = client({ cv: 0.05, agentN: 40 });
    expect(runDetector(bot, { subjects: [human, script] }).map((f) => f.subject)).toEqual([ip]);
  });
});
