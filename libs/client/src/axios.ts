import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { HeaderValue } from './headers.js';
import { checkOutboundOptions, providerOf, recordOutbound, type OutboundOptions } from './outbound.js';
import type { Publisher } from './publisher.js';

/**
 * Records the calls an axios instance makes as outbound ApiTransaction v1
 * events, with the provider's rate-limit headers; failed calls that got a
 * response (4xx, 5xx) are recorded too, and the error still reaches the
 * caller untouched. Returns a function that removes the interceptors.
 */
export function instrumentAxios(instance: AxiosInstance, publisher: Publisher, options: OutboundOptions = {}): () => void {
  checkOutboundOptions(publisher, options);
  const started = new WeakMap<object, { startedAt: number; t0: number }>();

  const record = (response: AxiosResponse | undefined): void => {
    try {
      if (!response) return;
      const call = started.get(response.config);
      if (!call) return;
      started.delete(response.config);
      const url = new URL(instance.getUri(response.config));
      const api = providerOf(options, url);
      if (api === undefined) return;
      const headers = response.headers as { get?: (name: string) => unknown } & Record<string, unknown>;
      recordOutbound(publisher, options, api, {
        url,
        method: response.config.method ?? 'get',
        status: response.status,
        startedAt: call.startedAt,
        latencyMs: performance.now() - call.t0,
        header: (name) => (typeof headers.get === 'function' ? headers.get(name) : headers[name]) as HeaderValue,
      });
    } catch (err) {
      publisher.hookFailed(err, 'axios');
    }
  };

  const requestId = instance.interceptors.request.use((config: InternalAxiosRequestConfig) => {
    started.set(config, { startedAt: Date.now(), t0: performance.now() });
    return config;
  });
  const responseId = instance.interceptors.response.use(
    (response) => {
      record(response);
      return response;
    },
    (error: AxiosError) => {
      record(error?.response);
      return Promise.reject(error);
    },
  );
  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}
