import type { DetectorsConfig } from '../config.js';
import type { SubjectHorizon, TrailHorizon } from '../types.js';

/**
 * The least a subject's window must hold for any detector to judge it, from the config. Windows below it are not
 * built: most subjects' windows are, and building them all would cost more than counting their calls.
 */
export interface WindowGates {
  /** Calls in a subject's window, per horizon (bot, burst)… */
  subjectCalls: Readonly<Record<SubjectHorizon, number>>;
  /** …or failed logins (credential_stuffing per IP)… */
  subjectAuthFailures: Readonly<Record<SubjectHorizon, number>>;
  /** …or response bytes in a short window (response_size of a principal: a few calls may pull a lot). */
  subjectBytes: number;
  /** Calls on a route with object ids, per horizon (bola_enumeration: its distinct ids are at most its calls). */
  trailCalls: Readonly<Record<TrailHorizon, number>>;
}

export function windowGates(config: DetectorsConfig): WindowGates {
  return {
    subjectCalls: { short: Math.min(config.bot.minRequests, config.burst.minRequestsPerMinute), long: config.bot.longMinRequests },
    subjectAuthFailures: { short: config.credential_stuffing.minFailuresPerIp, long: config.credential_stuffing.longMinFailuresPerIp },
    subjectBytes: config.response_size.principalMinBytes,
    trailCalls: { fast: config.bola_enumeration.minDistinctIds, slow: config.bola_enumeration.slowMinDistinctIds },
  };
}
