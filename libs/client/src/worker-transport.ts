import { Worker } from 'node:worker_threads';
import { KafkaError, VigilError } from '@vigil/errors';
import type { Logger } from '@vigil/telemetry';
import type { PublisherConfig } from './options.js';
import { throttledLog } from './throttled-log.js';
import type { SendOutcome, Transport } from './transport.js';
import type { FromWorker, PlainError, ToWorker, WorkerInit } from './worker-protocol.js';

/**
 * A transport whose Kafka client runs in a worker thread (send-worker.ts):
 * the host's event loop only copies each batch (an array of JSON strings)
 * to the worker and reads back a small result. The worker is started at
 * once, never keeps the process alive (unref; close() refs it while it
 * disconnects), is started again if it dies (the batch in flight is
 * retried), and is terminated by close().
 */
export interface WorkerTransport extends Transport {
  /** The worker thread now, if one runs (for tests). */
  readonly worker: Worker | undefined;
}

export interface WorkerTransportOptions {
  /** Where the worker's code is; default: send-worker.js beside this module, or its TypeScript source when running from src. */
  entry?: WorkerEntry;
  /** How long close() waits for the worker to disconnect before terminating it. */
  closeWaitMs?: number;
}

export interface WorkerEntry {
  url: URL;
  /** True for TypeScript sources (vitest, `source` export condition): the worker then loads them through source-hooks.mjs. */
  source: boolean;
}

/**
 * The worker's entry beside this module. From dist (node, the published
 * package) that is send-worker.js. From src (vitest resolves workspace
 * packages to their TypeScript through the `source` export condition), a
 * worker thread cannot run .ts by itself, so it is started through a small
 * bootstrap that registers module hooks transpiling TypeScript (esbuild,
 * which vitest brings) before importing send-worker.ts.
 */
export function defaultWorkerEntry(moduleUrl: string = import.meta.url): WorkerEntry {
  const source = moduleUrl.endsWith('.ts');
  return { url: new URL(source ? './send-worker.ts' : './send-worker.js', moduleUrl), source };
}

/** Runs in a fresh worker (CommonJS, eval): registers the TypeScript hooks, then imports the entry. */
const SOURCE_BOOTSTRAP = `
const { register } = require('node:module');
const { workerData } = require('node:worker_threads');
register(workerData.hooks);
import(workerData.entry).catch((err) => { setImmediate(() => { throw err; }); });
`;

const PINO_META = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

export function workerTransport(config: PublisherConfig, logger: Logger, options: WorkerTransportOptions = {}): WorkerTransport {
  const entry = options.entry ?? defaultWorkerEntry();
  const closeWaitMs = options.closeWaitMs ?? 5_000;
  // A send the worker never answers (a wedged thread) is given up after this, and the worker restarted.
  const watchdogMs = 3 * (config.connectionTimeoutMs + config.requestTimeoutMs) + 5_000;
  const { logger: _userLogger, ...plainConfig } = config;
  const init: WorkerInit = { config: plainConfig };
  const kafkaLogger = logger.child({}, { level: config.kafkaLogLevel });
  const crashLog = throttledLog(logger, 'error', config.logIntervalMs);

  let worker: Worker | undefined;
  let seq = 0;
  let closed = false;
  const pending = new Map<number, { resolve(outcome: SendOutcome): void; reject(err: unknown): void }>();
  let onClosed: (() => void) | undefined;

  function start(): Worker {
    const w = entry.source
      ? new Worker(SOURCE_BOOTSTRAP, { eval: true, workerData: { init, entry: entry.url.href, hooks: new URL('./source-hooks.mjs', entry.url).href } })
      : new Worker(entry.url, { workerData: { init } });
    w.unref();
    w.on('message', (message: FromWorker) => receive(message));
    w.on('error', (err) => crashLog.note({ err }, 'vigil publisher: the worker thread failed; restarting it on the next send'));
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      onClosed?.();
      const err = new KafkaError('VIGIL_KAFKA_PRODUCE', `the publisher's worker thread stopped (exit code ${code})`, { retriable: true });
      for (const { reject } of pending.values()) reject(err);
      pending.clear();
    });
    return w;
  }

  function receive(message: FromWorker): void {
    if (message.type === 'result') {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      waiting?.resolve({ sent: message.sent, invalid: message.invalid, problem: message.problem, error: message.error && fromPlain(message.error) });
    } else if (message.type === 'log') relog(message.line);
    else onClosed?.();
  }

  /** A line of the worker's (already redacted) logger, written again through the publisher's logger. */
  function relog(line: string): void {
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      const level = typeof record.level === 'string' && LEVELS.has(record.level) ? (record.level as 'info') : 'info';
      const fields = Object.fromEntries(Object.entries(record).filter(([k]) => !PINO_META.has(k)));
      kafkaLogger[level](fields, typeof record.msg === 'string' ? record.msg : '');
    } catch (err) {
      crashLog.note({ err }, 'vigil publisher: unreadable log line from the worker thread');
    }
  }

  function post(w: Worker, message: ToWorker): void {
    w.postMessage(message);
  }

  worker = start();

  return {
    get worker() {
      return worker;
    },
    send(events) {
      if (closed) return Promise.reject(new VigilError('VIGIL_ARGUMENT', 'the publisher is closed'));
      const w = (worker ??= start());
      const id = ++seq;
      return new Promise<SendOutcome>((resolve, reject) => {
        const watchdog = setTimeout(() => {
          crashLog.note({ waitedMs: watchdogMs }, 'vigil publisher: the worker thread did not answer; restarting it');
          void w.terminate();
        }, watchdogMs);
        watchdog.unref();
        pending.set(id, {
          resolve: (outcome) => {
            clearTimeout(watchdog);
            resolve(outcome);
          },
          reject: (err) => {
            clearTimeout(watchdog);
            reject(err);
          },
        });
        post(w, { type: 'send', id, events });
      });
    },
    async close() {
      closed = true;
      const w = worker;
      if (!w) return;
      w.ref(); // the host may have nothing else keeping it alive while it shuts down
      try {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, closeWaitMs);
          onClosed = () => {
            clearTimeout(t);
            resolve();
          };
          post(w, { type: 'close' });
        });
      } finally {
        onClosed = undefined;
        await w.terminate().catch(() => undefined);
        worker = undefined;
      }
    },
  };
}

function fromPlain(e: PlainError): VigilError {
  const err = new VigilError(e.code ?? 'VIGIL_KAFKA_PRODUCE', e.message, { retriable: e.retriable });
  err.name = e.name;
  return err;
}
