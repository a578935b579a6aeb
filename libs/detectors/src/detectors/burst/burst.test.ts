import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { contextFor, routeWindow, runDetector, slotCalls, subjectWindow } from '../../testing.js';
import { burst, peakMinutes } from './index.js';

/** burst over hand-built contexts (contextFor): no engine, no traffic, just the windows it judges. */
const warmApi = routeWindow({ api: 'accounts', baselineHours: 24 });
const windowStart = subjectWindow().windowStart;

describe('burst (contextFor)', () => {
  it('takes the busiest minute of the window as the peak, the earliest of equals', () => {
    const { ctx } = contextFor({ subjects: [subjectWindow({ slotCalls: slotCalls([3, 9, 9, 0, 1]) }), subjectWindow({ slotCalls: slotCalls([0, 0, 0, 0, 0]) })] });
    const peaks = peakMinutes(ctx);
    expect(peaks).toEqual([
      { minuteN: 9, minuteStart: windowStart + 60_000 },
      { minuteN: 0, minuteStart: windowStart },
    ]);
  });

  it('flags a minute of 120 calls from a subject whose usual rate is 5 a minute (24x), medium', () => {
    const [f, ...rest] = runDetector(burst, { routes: [warmApi], subjects: [subjectWindow({ slotCalls: slotCalls([4, 120, 3, 0, 0]), n: 127, baselinePerMinute: 5 })] });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'burst', severity: 'medium', windowStart: windowStart + 60_000, windowEnd: windowStart + 120_000, owasp: 'API4:2023' });
    expect(f!.evidence).toMatchObject({ requestsThisMinute: 120, baselinePerMinute: 5, baselineKind: 'previous_hour', ratio: 24, requestsThis5Min: 127 });
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it('makes 5 x minRatio high, and judges a subject without history against the new-client floor', () => {
    expect(runDetector(burst, { routes: [warmApi], subjects: [subjectWindow({ slotCalls: slotCalls([600, 0, 0, 0, 0]), baselinePerMinute: 5 })] })[0]?.severity).toBe('high');
    const [f] = runDetector(burst, { routes: [warmApi], subjects: [subjectWindow({ slotCalls: slotCalls([70, 0, 0, 0, 0]), baselinePerMinute: undefined })] });
    expect(f?.evidence).toMatchObject({ baselinePerMinute: 3, baselineKind: 'new_subject_floor' });
  });

  it('stays quiet under either threshold, and while the api warms up', () => {
    const busy = subjectWindow({ slotCalls: slotCalls([120, 0, 0, 0, 0]), baselinePerMinute: 5 });
    expect(runDetector(burst, { routes: [warmApi], subjects: [subjectWindow({ slotCalls: slotCalls([59, 0, 0, 0, 0]), baselinePerMinute: 1 })] })).toEqual([]); // under 60/min
    expect(runDetector(burst, { routes: [warmApi], subjects: [subjectWindow({ slotCalls: slotCalls([150, 0, 0, 0, 0]), baselinePerMinute: 10 })] })).toEqual([]); // 15x
    expect(runDetector(burst, { routes: [routeWindow({ baselineHours: 1 })], subjects: [busy] })).toEqual([]); // 1 hour of api history
    expect(runDetector(burst, { routes: [], subjects: [busy] })).toEqual([]);
    expect(runDetector(burst, { routes: [warmApi], subjects: [busy], config: { burst: { minRatio: 30 } } })).toEqual([]);
  });
});
