import { accessSync, constants } from 'node:fs';
import type { Readable } from 'node:stream';
import { createCodec, transactionContract, transactionKey, type Encoding } from '@vigil/contracts';
import { DecodeError, VigilError } from '@vigil/errors';
import type { OutgoingMessage, Producer } from '@vigil/kafka';
import { connectionsFor, topicProducer } from './connect.js';
import { ndjsonLines } from './input.js';
import { cappedReport } from './report.js';

export interface PublishOptions {
  input: string;
  /** Default: the configured transactions topic (VIGIL_TOPIC_TRANSACTIONS, api.transactions). */
  topic?: string;
  encoding: Encoding;
  /** Events per produce request. */
  batchSize: number;
  /** Check every line, publish nothing (and connect to nothing). */
  dryRun: boolean;
}

export interface PublishIo {
  /** One line of diagnostics (a rejected line), without its newline. */
  err: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  stdin?: Readable;
  /** Stops early (Ctrl-C): what was read is published, then the summary. */
  signal?: AbortSignal;
}

export interface PublishSummary {
  topic: string;
  encoding: Encoding;
  dryRun: boolean;
  /** Non-empty lines read. */
  lines: number;
  published: number;
  rejected: number;
  stoppedEarly: boolean;
}

/** The error a run with rejected lines ends with (after publishing the valid ones): the CLI exits non-zero. */
export function rejectedLinesError(s: PublishSummary): VigilError {
  const rest = s.dryRun ? 'the others are valid (dry run: nothing was published)' : `the other ${s.published} were published to ${s.topic}`;
  return new VigilError('VIGIL_INPUT_REJECTED', `${s.rejected} of ${s.lines} lines were rejected (reasons above); ${rest}`);
}

/** Rejected lines are named one by one up to this many; the summary counts them all. */
export const MAX_REPORTED_LINES = 20;

/**
 * `vigil publish`: sends the events of an NDJSON file to the transactions topic, keyed as the
 * client library keys them (principal, else client IP, else client id, else api), in order. Each
 * line is checked against the ApiTransaction contract first, as the detector would check it: a bad
 * line is reported with its number and reason and not sent (it would only reach the dead-letter
 * topic), and the CLI fails at the end if any was (`rejectedLinesError`). Every produce request is acknowledged by all
 * in-sync replicas before the next is sent; a request retried after a lost acknowledgement can write its
 * events twice (at least once, as every vigil producer).
 */
export async function runPublish(o: PublishOptions, io: PublishIo): Promise<PublishSummary> {
  // Before connecting (or creating the topic): a path that cannot be read is a usage error.
  if (o.input !== '-') {
    try {
      accessSync(o.input, constants.R_OK);
    } catch (err) {
      throw new VigilError('VIGIL_ARGUMENT', `cannot read --input ${o.input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const connections = connectionsFor('publish', io.env);
  const topic = o.topic ?? connections.config.topics.transactions;
  const codec = createCodec(transactionContract, { registry: o.encoding === 'avro' ? connections.registry : undefined, topic });
  const summary: PublishSummary = { topic, encoding: o.encoding, dryRun: o.dryRun, lines: 0, published: 0, rejected: 0, stoppedEarly: false };

  const producer: Producer | undefined = o.dryRun ? undefined : await topicProducer(connections, topic);
  const reject = cappedReport(io.err, MAX_REPORTED_LINES, '(more rejected lines are counted, not listed)');

  let chunk: OutgoingMessage[] = [];
  let lastLine = 0;
  /** The line of the last event acknowledged: everything up to it is on the topic. */
  let publishedThrough = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await producer!.send(topic, chunk);
    summary.published += chunk.length;
    publishedThrough = lastLine;
    chunk = [];
  };
  try {
    for await (const { line, number } of ndjsonLines(o.input, io.stdin)) {
      if (io.signal?.aborted) {
        summary.stoppedEarly = true;
        break;
      }
      summary.lines++;
      lastLine = number;
      let event;
      try {
        event = await codec.decode(Buffer.from(line, 'utf8'));
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        reject(++summary.rejected, `line ${number}: ${err.code}: ${err.message}`);
        continue;
      }
      if (!producer) continue;
      chunk.push({ key: transactionKey(event), value: await codec.encode(event, o.encoding) });
      if (chunk.length >= o.batchSize) await flush();
    }
    await flush();
  } catch (err) {
    // What was acknowledged stays published: say how far it got, so a rerun can start after it.
    if (producer) io.err(`stopped at line ${lastLine}: the events up to line ${publishedThrough} (${summary.published}) are on ${topic}`);
    throw err;
  } finally {
    await producer?.disconnect();
  }
  return summary;
}
