/**
 * The publisher's worker thread: the Kafka client, the schema registry
 * client and the encoding run here, off the host's event loop. The
 * publisher (worker-transport.ts) posts one batch at a time as JSON texts
 * of validated events and gets back what was sent, what could not be
 * encoded, and the error when the batch is to be retried. Log lines (the
 * Kafka client's, at `kafkaLogLevel`) go back to the publisher's logger,
 * already redacted here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createCodec, createSchemaRegistry, transactionContract, type ApiTransaction } from '@vigil/contracts';
import { isRetriable } from '@vigil/errors';
import { createKafkaClient } from '@vigil/kafka';
import { createLogger, scrubSecrets } from '@vigil/telemetry';
import { directTransport } from './transport.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('send-worker.ts runs as a worker thread of a vigil publisher');
const { config } = (workerData as { init: WorkerInit }).init;
const post = (message: FromWorker) => port.postMessage(message);

const logger = createLogger({ service: 'vigil-client', level: config.kafkaLogLevel, destination: { write: (line: string) => post({ type: 'log', line }) } });
const kafka = createKafkaClient(
  {
    brokers: config.brokers,
    clientId: config.clientId,
    ssl: config.ssl,
    sasl: config.sasl,
    connectionTimeoutMs: config.connectionTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    // The publisher retries with its own backoff and keeps events in its buffer meanwhile.
    retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 },
  },
  logger,
);
const codec = createCodec(transactionContract, {
  topic: config.topic,
  registry: config.schemaRegistry ? createSchemaRegistry({ ...config.schemaRegistry, clientId: config.clientId }) : undefined,
});
const encode = config.encoding === 'avro' ? (e: ApiTransaction) => codec.encodeAvro(e) : (e: ApiTransaction) => codec.encodeJson(e);
const transport = directTransport({
  topic: config.topic,
  connect: () => kafka.producer(),
  encode,
  onDisconnectError: (err) => logger.warn({ err }, 'vigil publisher worker: disconnect failed'),
});

/** An error as plain data: its code, whether it is retriable, and its message without secrets. */
function plain(err: unknown): { name: string; code?: string; message: string; retriable: boolean } {
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    code: typeof e?.code === 'string' ? e.code : undefined,
    message: scrubSecrets(typeof e?.message === 'string' ? e.message : String(err)),
    retriable: isRetriable(err),
  };
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'send') {
    transport.send(message.events).then(
      (outcome) => post({ type: 'result', id: message.id, sent: outcome.sent, invalid: outcome.invalid, problem: outcome.problem, error: outcome.error === undefined ? undefined : plain(outcome.error) }),
      (err: unknown) => post({ type: 'result', id: message.id, sent: 0, invalid: [], error: plain(err) }),
    );
  } else if (message.type === 'close') {
    void transport.close().finally(() => post({ type: 'closed' }));
  }
});
