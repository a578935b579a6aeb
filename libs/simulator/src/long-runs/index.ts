import { bau } from './bau.js';
import { busyApi } from './busy-api.js';
import type { LongRun } from './long-run.js';
import { slowAttacks } from './slow-attacks.js';

/** The scenarios over hours and days that judge detection over time: what must stay quiet, what must still be found. */
export const longRuns: Record<string, LongRun> = {
  bau,
  'slow-attacks': slowAttacks,
  'busy-api': busyApi,
};

export type { LongRun, LongRunContext, LongRunTraffic } from './long-run.js';
