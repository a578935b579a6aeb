import { scrubSecrets } from '@vigil/telemetry';
import type { SendResult } from './types.js';

export interface PostOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/**
 * POSTs and classifies the outcome: 2xx is delivered; 5xx, 429, timeouts and
 * network errors are retryable; other 4xx are not (retrying will not help).
 * Reasons never contain the URL's secrets or tokens.
 */
export async function post(options: PostOptions): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil-notifier', ...options.headers },
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const what = e.name === 'TimeoutError' ? `timed out after ${options.timeoutMs} ms` : `${e.cause?.code ?? e.name}: ${e.message}`;
    return { ok: false, retryable: true, reason: scrubSecrets(`request to ${safeOrigin(options.url)} failed: ${what}`) };
  }
  // Drain the body so the connection can be reused.
  const text = await response.text().catch(() => '');
  if (response.ok) return { ok: true };
  const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
  return { ok: false, retryable, reason: scrubSecrets(`${safeOrigin(options.url)} answered ${response.status}: ${text.slice(0, 200)}`) };
}

/** Scheme, host and port only: paths of webhook URLs often are the secret. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
