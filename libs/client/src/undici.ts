import diagnostics from 'node:diagnostics_channel';
import type { HeaderValue } from './headers.js';
import { checkOutboundOptions, providerOf, recordOutbound, type OutboundOptions } from './outbound.js';
import type { Publisher } from './publisher.js';

/** The part of undici's request object the hook reads (global fetch and the undici package alike). */
interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path?: string;
}

interface Started {
  api: string;
  url: URL;
  method: string;
  startedAt: number;
  t0: number;
}

/**
 * Records calls made with Node's global `fetch` or the `undici` package as
 * outbound ApiTransaction v1 events, through undici's diagnostics channels
 * (`undici:request:create` and `undici:request:headers`): nothing is
 * patched, and every undici in the process is covered. The latency is the
 * time to the response headers. Returns a function that stops recording.
 */
export function instrumentUndici(publisher: Publisher, options: OutboundOptions = {}): () => void {
  checkOutboundOptions(publisher, options);
  const started = new WeakMap<object, Started>();

  const onCreate = (message: unknown): void => {
    try {
      const request = (message as { request: UndiciRequest }).request;
      const url = new URL(request.path ?? '/', String(request.origin));
      const api = providerOf(options, url);
      if (api === undefined) return;
      started.set(request, { api, url, method: request.method ?? 'GET', startedAt: Date.now(), t0: performance.now() });
    } catch (err) {
      publisher.hookFailed(err, 'undici');
    }
  };

  const onHeaders = (message: unknown): void => {
    try {
      const { request, response } = message as { request: object; response: { statusCode: number; headers: readonly (Buffer | string)[] } };
      const call = started.get(request);
      if (!call) return;
      started.delete(request);
      const headers = rawHeaders(response.headers);
      recordOutbound(publisher, options, call.api, {
        url: call.url,
        method: call.method,
        status: response.statusCode,
        startedAt: call.startedAt,
        latencyMs: performance.now() - call.t0,
        header: (name) => headers.get(name),
      });
    } catch (err) {
      publisher.hookFailed(err, 'undici');
    }
  };

  diagnostics.subscribe('undici:request:create', onCreate);
  diagnostics.subscribe('undici:request:headers', onHeaders);
  return () => {
    diagnostics.unsubscribe('undici:request:create', onCreate);
    diagnostics.unsubscribe('undici:request:headers', onHeaders);
  };
}

/** undici's raw headers (name, value, name, value…) as a lower-case map; repeated names keep the first value. */
function rawHeaders(raw: readonly (Buffer | string)[]): Map<string, HeaderValue> {
  const out = new Map<string, HeaderValue>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString().toLowerCase();
    if (!out.has(name)) out.set(name, raw[i + 1]!.toString());
  }
  return out;
}
