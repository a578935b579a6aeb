import { describe, expect, it } from 'vitest';
import { endpointWindow, runDetector } from '../../testing-context.js';
import { unauthenticatedAccess } from './index.js';

const anonymous = (n: number) => ({ anonymousServed: n, anonymousEventIds: ['a1', 'a2'] });
const declared = (secured: boolean) => ({ inCurrent: true, deprecated: false, secured, dropped: false });

describe('unauthenticated_access', () => {
  it('fires (medium) on anonymous calls served by an endpoint whose calls on the previous days all carried a principal', () => {
    const [f, ...rest] = runDetector(unauthenticatedAccess, { endpoints: [endpointWindow({ ...anonymous(5), history: { calls: 5000, authenticated: 5000 } })] });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'medium', subject: { kind: 'route', value: 'GET /orders/{id}' }, evidence: { expectedFrom: 'history', historyCalls: 5000 }, eventIds: ['a1', 'a2'] });
  });

  it('stays silent on a public endpoint, with too little history, under the minimum of calls, and with a spec that does not secure it', () => {
    for (const o of [
      { ...anonymous(5), history: { calls: 5000, authenticated: 2500 } },
      { ...anonymous(5), history: { calls: 50, authenticated: 50 } },
      { ...anonymous(2), history: { calls: 5000, authenticated: 5000 } },
      { ...anonymous(5), declared: declared(false) },
      { ...anonymous(5) },
    ]) {
      expect(runDetector(unauthenticatedAccess, { endpoints: [endpointWindow(o)] })).toEqual([]);
    }
  });

  it('fires (high) when the declared spec secures the endpoint, with or without history', () => {
    expect(runDetector(unauthenticatedAccess, { endpoints: [endpointWindow({ ...anonymous(3), declared: declared(true) })] })).toMatchObject([{ severity: 'high', evidence: { expectedFrom: 'spec' } }]);
  });

  it('takes its thresholds from config', () => {
    const config = { unauthenticated_access: { minAnonymousCalls: 10, minAuthenticatedShare: 0.5 } };
    expect(runDetector(unauthenticatedAccess, { config, endpoints: [endpointWindow({ ...anonymous(5), history: { calls: 5000, authenticated: 2600 } })] })).toEqual([]);
    expect(runDetector(unauthenticatedAccess, { config, endpoints: [endpointWindow({ ...anonymous(12), history: { calls: 5000, authenticated: 2600 } })] })).toHaveLength(1);
  });
});
