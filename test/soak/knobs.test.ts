import { describe, expect, it } from 'vitest';
import { soakKnobs } from '../../bench/src/soak-knobs.js';
import type { SoakOptions } from './types.js';

describe("npm run soak's knobs", () => {
  it("are the rig's options (typed as SoakOptions here), read from the environment", () => {
    const options: SoakOptions = soakKnobs({ SOAK_MINUTES: '2', SOAK_RATE: '500', SOAK_TIME_SCALE: '45', SOAK_TRACE_GC: '0', SOAK_REDIS_DB: '3', SOAK_KEEP_STATE: '1', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(JSON.parse(JSON.stringify(options))).toEqual({ minutes: 2, rate: 500, timeScale: 45, partitions: 6, traceGc: false, redisDb: 3, redisUrl: 'redis://127.0.0.1:6379', keepLogs: true, keepState: true });
  });

  it('default to 30 minutes at 5,000 events/s over 6 partitions, with --trace-gc, keeping the logs', () => {
    expect(soakKnobs({})).toMatchObject({ minutes: 30, rate: 5000, partitions: 6, traceGc: true, keepLogs: true, keepState: false });
  });

  it('name a knob that is not a positive number', () => {
    expect(() => soakKnobs({ SOAK_RATE: 'fast' })).toThrow('SOAK_RATE must be a positive number, got "fast"');
    expect(() => soakKnobs({ SOAK_MINUTES: '-1' })).toThrow('SOAK_MINUTES must be a positive number, got "-1"');
  });
});
