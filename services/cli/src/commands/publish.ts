import { accessSync, constants } from 'node:fs';
import type { Readable } from 'node:stream';
import { createCodec, transactionContract, transactionKey, type ApiTransaction, type Codec, type Encoding } from '@vigil/contracts';
import { VigilError } from '@vigil/errors';
import { Follower, Ingest, MAX_LISTED_REJECTIONS, countRejection, inputLines, type FollowChunk } from '@vigil/ingest';
import type { Admin, OutgoingMessage, Producer } from '@vigil/kafka';
import { connectionsFor, topicProducer, type CliConnections } from './connect.js';
import { cappedReport } from './report.js';

export interface PublishOptions {
  /** Files read once, in turn (`-` = stdin, `.gz` accepted). */
  inputs: readonly string[];
  /** A growing log to follow instead (`--follow FILE`). */
  follow?: string;
  /** Where `--follow` keeps its position (default `<FILE>.vigil-offset`). */
  offsetFile?: string;
  /** `--follow` with no offset file yet: start at the end of the file, not its start. */
  fromEnd?: boolean;
  /** How often `--follow` looks at an idle file (ms). */
  pollMs?: number;
  /** `vigil` (default), `combined`, `nginx-json`, `envoy`, `alb`, `kong`. */
  format?: string;
  map?: string;
  api?: string;
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
  format: string;
  dryRun: boolean;
  /** Non-empty lines read. */
  lines: number;
  published: number;
  rejected: number;
  stoppedEarly: boolean;
  /** `--follow`: the file, its offset file, and what a restart found of the batch it was sending when it stopped. */
  follow?: { file: string; offsetFile: string; resumed: boolean; recovered?: { pending: number; alreadyOnTopic: number } };
}

/** The error a run with rejected lines ends with (after publishing the valid ones): the CLI exits non-zero. */
export function rejectedLinesError(s: PublishSummary): VigilError {
  const rest = s.dryRun ? 'the others are valid (dry run: nothing was published)' : `the other ${s.published} were published to ${s.topic}`;
  return new VigilError('VIGIL_INPUT_REJECTED', `${s.rejected} of ${s.lines} lines were rejected (reasons above); ${rest}`);
}

/** Rejected lines are named one by one up to this many; the summary counts them all. */
export const MAX_REPORTED_LINES = MAX_LISTED_REJECTIONS;

/** How old the partitions' high watermarks recorded with a pending batch may be (a restart reads from them). */
const WATERMARK_REFRESH_MS = 5000;

/** The Kafka header `--follow` puts on each message: the event id, by which a restart finds what reached the topic. */
export const FOLLOW_ID_HEADER = 'vigil-id';

function checkReadable(path: string, option: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new VigilError('VIGIL_ARGUMENT', `cannot read ${option} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * `vigil publish`: sends the events of files (any `--format`, or `--map`) to the transactions topic,
 * keyed as the client library keys them (principal, else client IP, else client id, else api), in order.
 * A line that does not make a valid event is reported with its number and reason and not sent (it would
 * only reach the dead-letter topic), and the CLI fails at the end if any was (`rejectedLinesError`).
 * Every produce request is acknowledged by all in-sync replicas before the next is sent; a request
 * retried after a lost acknowledgement can write its events twice (at least once, as every vigil
 * producer). `--follow` is `runFollow`.
 */
export async function runPublish(o: PublishOptions, io: PublishIo): Promise<PublishSummary> {
  // Before connecting (or creating the topic): a path that cannot be read is a usage error; so is a bad format or map.
  for (const input of o.inputs) if (input !== '-') checkReadable(input, '--input');
  const report = cappedReport(io.err, MAX_REPORTED_LINES, '(more rejected lines are counted, not listed)');
  const ingest = new Ingest({ format: o.format, map: o.map, api: o.api }, (r) => report(ingest.tally.rejected, `line ${r.line}: ${r.reason}`));
  if (o.follow !== undefined) return runFollow(o, io, ingest, report);

  const connections = connectionsFor('publish', io.env);
  const topic = o.topic ?? connections.config.topics.transactions;
  const codec = createCodec(transactionContract, { registry: o.encoding === 'avro' ? connections.registry : undefined, topic });
  const summary: PublishSummary = { topic, encoding: o.encoding, format: ingest.name, dryRun: o.dryRun, lines: 0, published: 0, rejected: 0, stoppedEarly: false };

  const producer: Producer | undefined = o.dryRun ? undefined : await topicProducer(connections, topic);
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
    for await (const { line, ref } of inputLines(o.inputs, io.stdin)) {
      if (io.signal?.aborted) {
        summary.stoppedEarly = true;
        break;
      }
      lastLine = ref.number;
      const events = ingest.line(line, ref);
      if (!producer) continue;
      for (const event of events) chunk.push({ key: transactionKey(event), value: await codec.encode(event, o.encoding) });
      if (chunk.length >= o.batchSize) await flush();
    }
    await flush();
  } catch (err) {
    // What was acknowledged stays published: say how far it got, so a rerun can start after it.
    if (producer) io.err(`stopped at line ${lastLine}: the events up to line ${publishedThrough} (${summary.published}) are on ${topic}`);
    throw err;
  } finally {
    await producer?.disconnect();
    summary.lines = ingest.tally.lines;
    summary.rejected = ingest.tally.rejected;
  }
  return summary;
}

/** What `--follow` writes into its offset file before it sends a batch: how to tell afterwards which of it reached the topic. */
interface PendingBatch {
  topic: string;
  /** Each partition's high watermark just before the send. */
  watermarks: { partition: number; high: string }[];
  ids: string[];
}

/**
 * `vigil publish --follow FILE`: publishes a growing log as it grows (the Follower: rotation and
 * truncation handled, bounded memory), each chunk of lines that is there (at most `batchSize` events) in
 * one acknowledged produce request, until Ctrl-C or SIGTERM. Nothing is sent twice across a restart:
 *
 * 1. before a batch is sent, the offset file records it as pending (its event ids, and each partition's
 *    high watermark as read at most 5 s before), in the same write that moves past the batch before it;
 * 2. once Kafka acknowledges it, the next write moves past it (that of the next batch, or, when the file
 *    is idle, one of its own);
 * 3. a restart that finds a pending batch (the process died between 1 and 2) reads the partitions from
 *    those watermarks to their ends, and does not send again the events whose id (the `vigil-id` header)
 *    is already there; the rest of the batch is sent, in file order.
 *
 * A bad line is reported (the first 20 by number) and skipped; it never stops the follow.
 */
async function runFollow(o: PublishOptions, io: PublishIo, ingest: Ingest, report: (count: number, line: string) => void): Promise<PublishSummary> {
  if (o.dryRun) throw new VigilError('VIGIL_ARGUMENT', '--dry-run checks files read once (--input); it cannot be combined with --follow');
  if (o.inputs.length > 0) throw new VigilError('VIGIL_ARGUMENT', 'give either --input files or --follow FILE, not both');
  const path = o.follow!;
  const connections = connectionsFor('publish', io.env);
  const topic = o.topic ?? connections.config.topics.transactions;
  const codec = createCodec(transactionContract, { registry: o.encoding === 'avro' ? connections.registry : undefined, topic });
  const follower = await Follower.open({ path, offsetFile: o.offsetFile, pollMs: o.pollMs, fromEnd: o.fromEnd, signal: io.signal, warn: (w) => io.err(w) });
  const summary: PublishSummary = {
    topic,
    encoding: o.encoding,
    format: ingest.name,
    dryRun: false,
    lines: 0,
    published: 0,
    rejected: 0,
    stoppedEarly: false,
    follow: { file: path, offsetFile: follower.offsetFile, resumed: follower.resumedFrom !== undefined },
  };
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  try {
    producer = await topicProducer(connections, topic);
    admin = await connections.kafka.admin();
    const pending = follower.resumedFrom?.pending as PendingBatch | undefined;
    const onTopic = pending ? await alreadyOnTopic(connections, admin, pending) : new Set<string>();
    if (pending) summary.follow!.recovered = { pending: pending.ids.length, alreadyOnTopic: onTopic.size };
    let committed: Pick<FollowChunk, 'file' | 'path' | 'end'> = follower.position();
    /** The last chunk sent and acknowledged, not yet committed: the next write of the offset file moves past it. */
    let sent: FollowChunk | undefined;
    // Lower bounds of where the next messages land: offsets only grow, so a value read a few seconds ago will do.
    let watermarks: PendingBatch['watermarks'] = [];
    let watermarksAt = 0;
    for (;;) {
      // With a batch sent and not committed, do not wait: an idle file commits it now.
      const chunk = await follower.next(o.batchSize, sent ? 0 : undefined);
      if (!chunk) break;
      if (chunk.lines.length === 0) {
        if (sent) {
          await follower.commit(sent);
          committed = sent;
          sent = undefined;
        }
        continue;
      }
      const events: ApiTransaction[] = [];
      for (const line of chunk.lines) {
        if (line.tooLong) {
          ingest.tally.lines++;
          countRejection(ingest.tally, line.number, 'longer than 1 MiB: skipped');
          report(ingest.tally.rejected, `line ${line.number}: longer than 1 MiB: skipped`);
          continue;
        }
        for (const e of ingest.line(line.text, line)) if (!onTopic.has(e.id)) events.push(e);
      }
      if (events.length > 0) {
        const messages = await encodeAll(events, codec, o.encoding);
        if (Date.now() - watermarksAt > WATERMARK_REFRESH_MS) {
          watermarks = (await admin.partitionOffsets(topic)).map((p) => ({ partition: p.partition, high: p.high }));
          watermarksAt = Date.now();
        }
        // One write: past the batch before (acknowledged), and this one pending.
        await follower.commit(sent ?? committed, { topic, watermarks, ids: events.map((e) => e.id) } satisfies PendingBatch);
        if (sent) committed = sent;
        await producer.send(topic, messages);
        summary.published += events.length;
      }
      sent = chunk;
      summary.lines = ingest.tally.lines;
      summary.rejected = ingest.tally.rejected;
    }
    if (sent) await follower.commit(sent);
    summary.stoppedEarly = true;
  } finally {
    summary.lines = ingest.tally.lines;
    summary.rejected = ingest.tally.rejected;
    await follower.close();
    await admin?.disconnect().catch(() => undefined);
    await producer?.disconnect();
  }
  return summary;
}

async function encodeAll(events: readonly ApiTransaction[], codec: Codec<ApiTransaction>, encoding: Encoding): Promise<OutgoingMessage[]> {
  const out: OutgoingMessage[] = [];
  for (const e of events) out.push({ key: transactionKey(e), value: await codec.encode(e, encoding), headers: { [FOLLOW_ID_HEADER]: e.id } });
  return out;
}

/** The ids of a pending batch that reached the topic: the partitions read from their watermarks before the send to their ends now. */
async function alreadyOnTopic(c: CliConnections, admin: Admin, pending: PendingBatch): Promise<Set<string>> {
  const wanted = new Set(pending.ids);
  const found = new Set<string>();
  const before = new Map(pending.watermarks.map((w) => [w.partition, w.high]));
  const now = await admin.partitionOffsets(pending.topic);
  const ranges = now.map((p) => ({ partition: p.partition, from: before.get(p.partition) ?? p.low, to: p.high }));
  await c.kafka.readRanges(pending.topic, ranges, (m) => {
    const id = m.headers[FOLLOW_ID_HEADER];
    if (id !== undefined && wanted.has(id)) found.add(id);
  });
  return found;
}
