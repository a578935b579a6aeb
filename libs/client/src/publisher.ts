import { transactionContract, validate, type ApiTransaction, type ApiTransactionInput } from '@vigil/contracts';
import type { Producer } from '@vigil/kafka';
import { createLogger, type Logger } from '@vigil/telemetry';
import { parsePublisherOptions, type PublisherConfig, type PublisherOptions } from './options.js';
import { Ring } from './ring.js';
import { throttledLog } from './throttled-log.js';
import { directTransport, type SendOutcome, type Transport } from './transport.js';
import { workerTransport } from './worker-transport.js';

export { keyOf } from './transport.js';
export type { SendOutcome, Transport } from './transport.js';

/** What happened to the events a publisher was given, since it was created. */
export interface PublisherStats {
  /** Accepted into the buffer. */
  accepted: number;
  /** Acknowledged by the brokers. */
  sent: number;
  /** Dropped because the buffer was full (during an outage, or faster than the brokers take them). */
  droppedFull: number;
  /** Dropped because they are not valid ApiTransaction v1 events. */
  droppedInvalid: number;
  /** Given after close() began. */
  droppedClosed: number;
  /** Held now, waiting to be sent or in a send not yet acknowledged. */
  buffered: number;
  /** Kafka sends or connections that failed (each retried with backoff). */
  failedSends: number;
  /** Errors caught inside middleware or hooks (never passed to the host). */
  hookErrors: number;
}

export interface FlushResult {
  /** True when everything buffered at the call was sent. */
  delivered: boolean;
  /** Events still held when it returned. */
  pending: number;
}

export interface Publisher {
  /**
   * Validates the event and buffers it; returns at once and never throws.
   * False when it was dropped (invalid, buffer full, or closing): counted in
   * stats() and logged at most once per logIntervalMs.
   */
  publish(event: ApiTransactionInput): boolean;
  /** Sends what is buffered now; resolves when it is acknowledged or when `timeoutMs` passes (never rejects). */
  flush(timeoutMs?: number): Promise<FlushResult>;
  /** Stops accepting events, flushes (within `timeoutMs`) and disconnects. */
  close(timeoutMs?: number): Promise<FlushResult>;
  stats(): PublisherStats;
  /** For middleware and hooks: counts and logs an error they caught. */
  hookFailed(err: unknown, hook: string): void;
  readonly logger: Logger;
}

/**
 * What the publisher needs from the outside; tests pass fakes. Either a
 * producer and an encoder (events are then encoded and sent on the calling
 * thread), or a transport that does both (createPublisher's runs in a worker).
 */
export type PublisherDeps = {
  logger: Logger;
  /** Milliseconds to wait before retry number `attempt` (1-based). */
  backoffMs?(attempt: number): number;
} & (
  | {
      connect(): Promise<Producer>;
      encode(event: ApiTransaction): Buffer | Promise<Buffer>;
    }
  | { transport: Transport }
);

/**
 * Creates a publisher for the given brokers and topic. The Kafka client and
 * the encoding run in a worker thread the publisher owns (started now,
 * connecting in the background, never keeping the process alive); the
 * host's event loop only validates events, buffers them and hands the
 * worker a batch per linger period. Nothing here blocks or throws after the
 * options are valid.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const config = parsePublisherOptions(options);
  const logger = (config.logger ?? createLogger({ service: 'vigil-client', level: 'warn' })).child({ component: 'vigil-publisher' });
  return buildPublisher(config, { transport: workerTransport(config, logger), logger });
}

export function exponentialBackoff(initialMs: number, maxMs: number, random: () => number = Math.random): (attempt: number) => number {
  return (attempt) => {
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };
}


export function buildPublisher(config: PublisherConfig, deps: PublisherDeps): Publisher {
  const { logger } = deps;
  const backoff = deps.backoffMs ?? exponentialBackoff(config.retryBackoffMs.initial, config.retryBackoffMs.max);
  const transport =
    'transport' in deps
      ? deps.transport
      : directTransport({
          topic: config.topic,
          connect: deps.connect,
          encode: deps.encode,
          onDisconnectError: (err) => logger.warn({ err }, 'vigil publisher: disconnect failed'),
        });
  /** The JSON text of each validated event: a string array is the cheapest thing to hand to a worker (measured: docs/performance.md). */
  const buffer = new Ring<string>(config.bufferSize);
  const counts = { accepted: 0, sent: 0, droppedFull: 0, droppedInvalid: 0, droppedClosed: 0, failedSends: 0, hookErrors: 0 };
  const dropLog = throttledLog(logger, 'warn', config.logIntervalMs);
  const invalidLog = throttledLog(logger, 'warn', config.logIntervalMs);
  const sendLog = throttledLog(logger, 'warn', config.logIntervalMs);
  const hookLog = throttledLog(logger, 'error', config.logIntervalMs);

  let timer: NodeJS.Timeout | undefined;
  let timerDue = Infinity;
  let sending: Promise<void> | undefined;
  /** Events taken from the buffer for the send in flight (handed to the worker): they count against bufferSize until acknowledged or put back. */
  let inFlight = 0;
  let failures = 0;
  let closing = false;
  let closed = false;
  /** Resolvers of flush() calls, woken after each send settles. */
  const waiters = new Set<() => void>();

  function schedule(delayMs: number): void {
    if (sending) return; // the send in flight reschedules when it settles
    const due = Date.now() + delayMs;
    if (timer && timerDue <= due) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(drain, delayMs);
    timer.unref();
  }

  function drain(): void {
    timer = undefined;
    timerDue = Infinity;
    if (sending || closed || buffer.size === 0) return;
    sending = sendBatch().finally(() => {
      sending = undefined;
      for (const wake of waiters) wake();
      if (buffer.size > 0) schedule(failures > 0 ? backoff(failures) : buffer.size >= config.batchSize || closing ? 0 : config.lingerMs);
    });
  }

  async function sendBatch(): Promise<void> {
    const batch = buffer.take(config.batchSize);
    inFlight = batch.length;
    try {
      const outcome: SendOutcome = await transport.send(batch).catch((err: unknown) => ({ sent: 0, invalid: [], error: err }));
      if (outcome.invalid.length > 0) drop(outcome.invalid.length, 'invalid', outcome.problem);
      if (outcome.error === undefined) {
        counts.sent += outcome.sent;
        if (failures > 0) logger.info({ failedAttempts: failures, buffered: buffer.size }, 'vigil publisher: sending again');
        failures = 0;
        return;
      }
      failures++;
      counts.failedSends++;
      // Always fits: the buffer kept room for the batch in flight. Events that could not be encoded are not retried.
      const invalid = new Set(outcome.invalid);
      buffer.unshiftAll(invalid.size === 0 ? batch : batch.filter((_, i) => !invalid.has(i)));
      sendLog.note({ err: outcome.error, attempt: failures, buffered: buffer.size }, 'vigil publisher: could not send events; keeping them and retrying');
    } finally {
      inFlight = 0;
    }
  }

  function drop(n: number, reason: 'full' | 'invalid' | 'closed', detail?: string): void {
    if (reason === 'full') {
      counts.droppedFull += n;
      dropLog.note({ dropped: counts.droppedFull, bufferSize: config.bufferSize, policy: config.whenFull }, 'vigil publisher: buffer full; dropping events');
    } else if (reason === 'invalid') {
      counts.droppedInvalid += n;
      invalidLog.note({ dropped: counts.droppedInvalid, problem: detail }, 'vigil publisher: dropping an invalid event');
    } else counts.droppedClosed += n;
  }

  function publish(event: ApiTransactionInput): boolean {
    try {
      if (closing) {
        drop(1, 'closed');
        return false;
      }
      let valid: ApiTransaction;
      try {
        valid = validate(transactionContract, event);
      } catch (err) {
        drop(1, 'invalid', (err as Error).message);
        return false;
      }
      if (buffer.size + inFlight >= config.bufferSize) {
        drop(1, 'full');
        if (config.whenFull === 'drop-newest' || buffer.size === 0) return false;
        buffer.shift();
      }
      buffer.push(JSON.stringify(valid));
      counts.accepted++;
      if (!sending) schedule(buffer.size >= config.batchSize ? 0 : config.lingerMs);
      return true;
    } catch (err) {
      hookFailed(err, 'publish');
      return false;
    }
  }

  function hookFailed(err: unknown, hook: string): void {
    counts.hookErrors++;
    hookLog.note({ err, hook }, 'vigil: an instrumentation hook failed; the request was not affected');
  }

  async function flush(timeoutMs = 10_000): Promise<FlushResult> {
    const deadline = Date.now() + timeoutMs;
    while (buffer.size > 0 || sending) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (!sending && failures === 0) drain();
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        function done() {
          clearTimeout(t);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
    return { delivered: buffer.size === 0 && !sending, pending: buffer.size };
  }

  return Object.freeze({
    publish,
    flush,
    async close(timeoutMs = 10_000) {
      closing = true;
      const result = await flush(timeoutMs);
      if (timer) clearTimeout(timer);
      closed = true;
      // Disconnects, and stops the worker thread. Never rejects.
      await transport.close().catch((err: unknown) => logger.warn({ err }, 'vigil publisher: close failed'));
      return result;
    },
    stats: () => ({ ...counts, buffered: buffer.size + inFlight }),
    hookFailed,
    logger,
  });
}
