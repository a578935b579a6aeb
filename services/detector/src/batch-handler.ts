import type { ApiTransaction, Codec, Finding } from '@vigil/contracts';
import type { DetectionEngine, EnrichedEvent } from '@vigil/detectors';
import { DecodeError } from '@vigil/errors';
import type { Batch, OutgoingMessage } from '@vigil/kafka';
import type { CommitLedger } from './commit-ledger.js';
import { deadLetterOf } from './dead-letter.js';
import { detectorEvents, type DetectorInstrumentation } from './instrumentation.js';
import { eventTimeSpan, type PendingEventTimes } from './pending-event-times.js';

export interface BatchHandlerParts {
  engine: DetectionEngine;
  /** Decodes the transactions topic's messages (JSON or Avro). */
  codec: Codec<ApiTransaction>;
  /** Encodes and sends the findings and dead letters; resolves once Kafka acknowledged both. */
  publish(findings: readonly Finding[], deadLetters: readonly OutgoingMessage[]): Promise<void>;
  /** Whether a false-positive verdict (a suppression) covers the finding. */
  muted(finding: Finding): boolean;
  /** Bodies larger than this are dead-lettered without their bytes. */
  maxDeadLetterBytes: number;
  pending: PendingEventTimes;
  ledger: CommitLedger;
  instrumentation: DetectorInstrumentation;
  /** Redis round trips made so far by the state store and the window clock. */
  redisRoundTrips(): number;
}

interface DecodedBatch {
  /** Enriched as they were decoded: the decoded object dies young instead of living as long as the batch. */
  events: EnrichedEvent[];
  offsets: number[];
  deadLetters: OutgoingMessage[];
  deadLetterCodes: string[];
}

/** Decodes a batch's messages: the events with their offsets, and a dead letter with its reason for each message that did not decode. */
async function decodeBatch(batch: Batch, parts: BatchHandlerParts): Promise<DecodedBatch> {
  // A retriable error (registry down and the like) throws here: the batch is fetched again.
  const decoded = await parts.codec.decodeAll(batch.messages.map((message) => message.value), parts.engine.enrichEvent);
  const out: DecodedBatch = { events: [], offsets: [], deadLetters: [], deadLetterCodes: [] };
  for (const [i, message] of batch.messages.entries()) {
    const result = decoded[i]!;
    if (!(result instanceof DecodeError)) {
      out.events.push(result);
      out.offsets.push(Number(message.offset));
    } else {
      out.deadLetterCodes.push(result.code);
      out.deadLetters.push(deadLetterOf(message, result, parts.maxDeadLetterBytes));
    }
  }
  return out;
}

/**
 * A suppressed finding is neither published nor marked published: if the suppression is removed
 * while its window is still open, it comes back.
 */
function splitMuted(findings: readonly Finding[], isMuted: (finding: Finding) => boolean): { published: Finding[]; muted: Finding[] } {
  const split = { published: [] as Finding[], muted: [] as Finding[] };
  for (const f of findings) (isMuted(f) ? split.muted : split.published).push(f);
  return split;
}

/**
 * The consumer's `eachBatch`. Per batch: decode every message (bad ones to the dead-letter topic with
 * a reason), run the engine (one state round trip), publish findings keyed by id, wait for Kafka's
 * acks, then record the batch in the commit ledger (committed with the next checkpoint). It emits a
 * batch start event as it begins and a batch end event once it succeeded. A retriable error (registry
 * or Redis down, Kafka not acking) throws: the batch is fetched again.
 */
export function createBatchHandler(parts: BatchHandlerParts): (batch: Batch) => Promise<void> {
  const { engine, ledger, pending, instrumentation } = parts;
  let roundTripsSeen = 0;

  function redisRoundTripsSinceLastBatch(): number {
    const trips = parts.redisRoundTrips();
    const since = trips - roundTripsSeen;
    roundTripsSeen = trips;
    return since;
  }

  return async function handleBatch(batch: Batch): Promise<void> {
    const started = performance.now();
    const startedIn = ledger.generation;
    const first = batch.messages[0];
    const last = batch.messages[batch.messages.length - 1];
    const { topic, partition, highWatermark } = batch;
    instrumentation.emit(detectorEvents.BATCH_START, { topic, partition, messages: batch.messages.length, firstOffset: first?.offset, lastOffset: last?.offset, highWatermark });
    const { events, offsets, deadLetters, deadLetterCodes } = await decodeBatch(batch, parts);
    const partitionKey = `${topic}/${partition}`;
    const span = eventTimeSpan(events);
    const holdAt = await pending.batchArrived(partitionKey, span);
    const outcome = await engine.processEnriched(events, { holdAt, source: { key: partitionKey, offsets, highWatermark: Number(highWatermark) } });
    const { published, muted } = splitMuted(outcome.findings, parts.muted);
    try {
      await parts.publish(published, deadLetters);
      await engine.markPublished(published);
    } catch (err) {
      // Fetched again: what the engine closed with this batch closes again then.
      engine.abandonBatch(outcome);
      throw err;
    }

    const redisRoundTrips = redisRoundTripsSinceLastBatch();
    const eventTimeMs = engine.eventTime;
    let lagMessages: number | undefined;
    if (last) {
      // Committed with the next checkpoint (unless the partitions moved while this batch ran).
      ledger.succeeded(partition, last.offset, startedIn);
      lagMessages = Math.max(0, Number(highWatermark) - Number(last.offset) - 1);
      await pending.batchSucceeded(partitionKey, span, lagMessages);
    }
    // Only now that the batch succeeded: a failed batch is fetched again and would count its messages twice.
    instrumentation.emit(detectorEvents.BATCH_END, {
      topic,
      partition,
      messages: batch.messages.length,
      events: outcome.events,
      deadLetterCodes,
      findingsPublished: published,
      findingsMuted: muted,
      duplicates: outcome.duplicates,
      capped: outcome.capped,
      redisRoundTrips,
      eventTimeMs,
      apiRates: outcome.apiRates ?? [],
      lagMessages,
      durationMs: performance.now() - started,
    });
  };
}
