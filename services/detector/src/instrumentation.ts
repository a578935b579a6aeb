import type { Finding } from '@vigil/contracts';
import type { ApiRate } from '@vigil/detectors';
import type { CommitOffset } from '@vigil/kafka';

/** The detector's instrumentation event types (after kafkajs's `consumer.events`). */
export const detectorEvents = {
  BATCH_START: 'detector.batch_start',
  BATCH_END: 'detector.batch_end',
  CHECKPOINT: 'detector.checkpoint',
} as const;

/** A batch as it arrives, before anything is decoded. */
export interface BatchStartPayload {
  topic: string;
  partition: number;
  /** Messages in the batch, valid or not. */
  messages: number;
  /** Offsets of its first and last message (undefined when it is empty). */
  firstOffset: string | undefined;
  lastOffset: string | undefined;
  highWatermark: string;
}

/** A batch that succeeded: its findings published, its dead letters written. */
export interface BatchEndPayload {
  topic: string;
  partition: number;
  /** Messages in the batch, valid or not (the dead-lettered ones included). */
  messages: number;
  /** Events the engine processed: the messages that decoded. */
  events: number;
  /** The error code of each message sent to the dead-letter topic, one per message. */
  deadLetterCodes: readonly string[];
  findingsPublished: readonly (Pick<Finding, 'detector' | 'severity'> & { evidence?: Finding['evidence'] })[];
  /** Findings a false-positive verdict (a suppression) covers: not published. */
  findingsMuted: readonly Pick<Finding, 'detector'>[];
  /** Findings not published again because their id was already published. */
  duplicates: number;
  /** What the state caps held back (events counted under the route {other}, subject checkpoints dropped). */
  capped: { routes: number; checkpoints: number } | undefined;
  /** Redis round trips (the state store's and the window clock's) since the previous batch ended: batches of several partitions overlap. */
  redisRoundTrips: number;
  /** The event time (watermark) the engine has reached, epoch ms. */
  eventTimeMs: number;
  /** Per api and direction whose minutes closed in this batch, the last closed minute against its baseline. */
  apiRates: readonly ApiRate[];
  /** Messages behind the end of the partition after this batch (undefined when it was empty). */
  lagMessages: number | undefined;
  durationMs: number;
}

/** A scheduled flush: the changed subjects' checkpoints written, then the offsets of the batches they hold committed. */
export interface CheckpointPayload {
  /** `superseded`: written, but the partitions moved meanwhile, so nothing was committed (their new owners start from the last commit). */
  outcome: 'ok' | 'failed' | 'superseded';
  /** Subject checkpoints written and dropped by the caps; undefined when the write failed. */
  written: { subjects: number; dropped: number } | undefined;
  /** The offsets committed (empty unless ok). */
  committed: readonly CommitOffset[];
  durationMs: number;
  error?: unknown;
}

export interface DetectorEventPayloads {
  [detectorEvents.BATCH_START]: BatchStartPayload;
  [detectorEvents.BATCH_END]: BatchEndPayload;
  [detectorEvents.CHECKPOINT]: CheckpointPayload;
}

export type DetectorEventType = keyof DetectorEventPayloads;

/** One shape for every event, as kafkajs's instrumentation events. */
export interface InstrumentationEvent<T extends DetectorEventType = DetectorEventType> {
  /** Increasing per emitter. */
  id: number;
  type: T;
  /** Wall clock, epoch ms. */
  timestamp: number;
  payload: DetectorEventPayloads[T];
}

export type InstrumentationListener<T extends DetectorEventType> = (event: InstrumentationEvent<T>) => void;

export interface DetectorInstrumentation {
  /** Subscribes to one event type; returns the function that unsubscribes. */
  on<T extends DetectorEventType>(type: T, listener: InstrumentationListener<T>): () => void;
  emit<T extends DetectorEventType>(type: T, payload: DetectorEventPayloads[T]): void;
}

const eventTypes = new Set<string>(Object.values(detectorEvents));

/**
 * The emitter of the detector's instrumentation events. Listeners run synchronously, in the order they
 * subscribed, so a metric is recorded before the batch that caused it resolves; one that throws fails
 * what emitted the event, as the metric calls made inline did.
 */
export function createInstrumentation(options: { now?: () => number } = {}): DetectorInstrumentation {
  const now = options.now ?? Date.now;
  const listeners = new Map<DetectorEventType, InstrumentationListener<never>[]>();
  let nextId = 0;
  return {
    on(type, listener) {
      if (!eventTypes.has(type)) throw new TypeError(`unknown detector event type "${String(type)}"; expected one of ${[...eventTypes].join(', ')}`);
      const list = listeners.get(type) ?? [];
      list.push(listener as InstrumentationListener<never>);
      listeners.set(type, list);
      return () => {
        const at = list.indexOf(listener as InstrumentationListener<never>);
        if (at >= 0) list.splice(at, 1);
      };
    },
    emit(type, payload) {
      const list = listeners.get(type);
      // Nobody listening: no event is built (the batch path emits on every batch).
      if (!list || list.length === 0) return;
      const event: InstrumentationEvent<typeof type> = { id: nextId++, type, timestamp: now(), payload };
      for (const listener of [...list]) (listener as InstrumentationListener<typeof type>)(event);
    },
  };
}
