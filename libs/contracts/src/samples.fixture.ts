import type { Finding } from './finding.js';

/** An ApiTransaction in wire form with every field set: the shared valid sample of the contract tests. */
export const fullTransaction: Readonly<Record<string, unknown>> = Object.freeze({
  id: 'evt-1',
  timestamp: '2026-11-23T10:15:30.123Z',
  direction: 'inbound',
  api: 'accounts',
  method: 'GET',
  path: '/users/42/account',
  route: '/users/{id}/account',
  status: 200,
  latencyMs: 12.5,
  requestBytes: 0,
  responseBytes: 1834,
  clientIp: '203.0.113.7',
  principal: 'user-42',
  clientId: 'web',
  userAgent: 'Mozilla/5.0',
  responseSignature: 'a1b2c3',
  contentType: 'application/json',
  rateLimitLimit: 10,
  rateLimitRemaining: 3,
  tags: Object.freeze({ env: 'prod', region: 'eu-west-1' }),
});

let findingSeq = 0;
/** A valid Finding (in memory: epoch-ms times) about one IP on accounts at `at`; ids are unique unless given. */
export function sampleFinding(over: Partial<Finding> = {}, at = Date.UTC(2026, 10, 23, 14, 0, 0)): Finding {
  findingSeq++;
  return {
    id: `f-${findingSeq}`,
    detector: 'burst',
    severity: 'low',
    confidence: 0.7,
    api: 'accounts',
    subject: { kind: 'ip', value: '198.51.100.7' },
    windowStart: at,
    windowEnd: at + 60_000,
    detectedAt: at,
    title: 'burst',
    description: 'd',
    evidence: {},
    eventIds: [],
    ...over,
  };
}
