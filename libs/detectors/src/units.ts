/** Time units in milliseconds, and how a time is shown: one home for what every detector and the engine use. */
export const SECOND = 1000;
export const MINUTE = 60_000;
export const FIVE_MINUTES = 5 * MINUTE;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** An event time (epoch ms) as RFC 3339, as findings' descriptions show it. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
