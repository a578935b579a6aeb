import type { SendResult } from './types.js';

/** What HEC answers: `{"text": "...", "code": N, "ackId"?: N, "invalid-event-number"?: N}`. */
export interface HecAnswer {
  text?: string;
  code?: number;
  ackId?: number;
  'invalid-event-number'?: number;
}

/** HEC status codes a retry can cure: internal error (8), server busy (9), unhealthy: queues full or ack unavailable (18–20). */
const RETRYABLE_CODES = new Set([8, 9, 18, 19, 20]);

export function parseHecAnswer(text: string): HecAnswer {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as HecAnswer) : {};
  } catch {
    return {};
  }
}

/**
 * Classifies a HEC answer that is not a success. 5xx, 429, 408 and the
 * retryable HEC codes are retried; a refused token (401, 403) or refused data
 * (400, 404, 413) is permanent: sending the same again cannot succeed.
 */
export function hecFailure(channel: string, origin: string, status: number, answer: HecAnswer): Extract<SendResult, { ok: false }> {
  const retryable = status >= 500 || status === 429 || status === 408 || (answer.code !== undefined && RETRYABLE_CODES.has(answer.code));
  const what = status === 401 || status === 403 ? 'refused the token' : status === 400 ? 'refused the data' : status === 404 ? 'has no collector at this URL' : retryable ? 'is unavailable' : 'refused the request';
  const code = answer.code !== undefined ? ` (HEC code ${answer.code}: ${String(answer.text ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 120)})` : '';
  return { ok: false, retryable, reason: `splunk_hec channel ${channel}: ${origin} ${what}: HTTP ${status}${code}` };
}

/**
 * One result per event of a batch HEC refused. With `invalid-event-number`
 * (code 6) HEC names the first bad event: that one failed for good, and the
 * others are retried (the ones before may have been indexed; at least once).
 */
export function batchFailure(count: number, failure: Extract<SendResult, { ok: false }>, answer: HecAnswer): SendResult[] {
  const bad = answer['invalid-event-number'];
  if (bad === undefined || !Number.isInteger(bad) || bad < 0 || bad >= count) return Array.from({ length: count }, () => failure);
  return Array.from({ length: count }, (_, i) => (i === bad ? failure : { ok: false as const, retryable: true, reason: `${failure.reason}; event ${bad} of the batch was refused, this one is sent again` }));
}
