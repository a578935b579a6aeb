import type { ApiTransaction } from '@vigil/contracts';
import { trackedFields, type OptionalField } from './types.js';

/** A rejected line as reported: its number and why. */
export interface Rejection {
  line: number;
  reason: string;
}

/** What an input held and lacked: lines read, events made, lines rejected (the first few named), and per field how many events carried it. */
export interface InputTally {
  lines: number;
  events: number;
  rejected: number;
  /** The first `MAX_LISTED_REJECTIONS` rejected lines. */
  rejections: Rejection[];
  /** Per optional field, the events that carried it (`latencyMs`: the source had a duration). */
  present: Record<OptionalField, number>;
}

/** Rejected lines are named one by one up to this many; all are counted. */
export const MAX_LISTED_REJECTIONS = 20;
/** A reason is cut to this many characters (it may quote hostile input). */
const MAX_REASON_CHARS = 300;

export function emptyTally(): InputTally {
  return { lines: 0, events: 0, rejected: 0, rejections: [], present: Object.fromEntries(trackedFields.map((f) => [f, 0])) as Record<OptionalField, number> };
}

/** Counts an event's optional fields into `t`. */
export function countEvent(t: InputTally, e: ApiTransaction, latencyKnown: boolean): void {
  t.events++;
  const p = t.present;
  if (latencyKnown) p.latencyMs++;
  if (e.principal !== undefined) p.principal++;
  if (e.clientIp !== undefined) p.clientIp++;
  if (e.userAgent !== undefined) p.userAgent++;
  if (e.requestBytes !== undefined) p.requestBytes++;
  if (e.responseBytes !== undefined) p.responseBytes++;
  if (e.contentType !== undefined) p.contentType++;
  if (e.clientId !== undefined) p.clientId++;
  if (e.route !== undefined) p.route++;
  if (e.responseSignature !== undefined) p.responseSignature++;
  if (e.rateLimitRemaining !== undefined) p.rateLimitRemaining++;
}

/** Counts a rejected line into `t`; returns true when it is one of the first listed. */
export function countRejection(t: InputTally, line: number, reason: string): boolean {
  t.rejected++;
  if (t.rejections.length >= MAX_LISTED_REJECTIONS) return false;
  t.rejections.push({ line, reason: reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…` });
  return true;
}

/**
 * What the detectors cannot see for want of a field (docs/ingest.md). A detector that needs a field
 * stays silent, or judges with less, when the input never carries it.
 */
export const detectorsNeeding: Readonly<Partial<Record<OptionalField, readonly string[]>>> = {
  latencyMs: ['latency_degradation'],
  principal: ['bola_enumeration (by principal; by IP still works)', 'credential_stuffing (across principals)', 'unauthenticated_access'],
  clientIp: ['known_threat (IPs and CIDRs)', 'bot, burst and bola_enumeration by IP'],
  userAgent: ['bot (automation user agents)', 'known_threat (user agents)'],
  responseBytes: ['response_size', 'large_response'],
  responseSignature: ['schema_drift'],
  rateLimitRemaining: ['rate_limit_exhaustion (outbound calls)'],
};
