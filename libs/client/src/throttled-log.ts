import type { Logger } from '@vigil/telemetry';

/**
 * Logs a recurring condition (dropped events, a broker that does not answer)
 * at most once per interval, with how many times it happened since the last
 * line, so a host under load or in an outage gets a few lines, not a flood.
 */
export interface ThrottledLog {
  /** Counts one occurrence; logs when the interval since the last line has passed. */
  note(fields: Record<string, unknown>, message: string): void;
}

export function throttledLog(logger: Logger, level: 'warn' | 'error', intervalMs: number, now: () => number = Date.now): ThrottledLog {
  let last = -Infinity;
  let since = 0;
  return {
    note(fields, message) {
      since++;
      const t = now();
      if (t - last < intervalMs) return;
      logger[level]({ ...fields, occurrences: since }, message);
      last = t;
      since = 0;
    },
  };
}
