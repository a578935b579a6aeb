import { Counter, Gauge, Histogram, type Registry } from '@vigil/telemetry';
import { decodeErrorCodes } from '@vigil/errors';
import { detectorNames, severities } from '@vigil/contracts';
import { detectorEvents, type BatchEndPayload, type CheckpointPayload, type DetectorInstrumentation } from './instrumentation.js';

/** The detector's metrics, on the registry the service injects. Label values come from fixed lists. */
export function createDetectorMetrics(registry: Registry) {
  const metrics = {
    consumed: new Counter({ name: 'vigil_events_consumed_total', help: 'Messages read from the transactions topic, valid or not: the dead-lettered ones are counted here and in vigil_events_rejected_total, so valid events are this minus that.', registers: [registry] }),
    rejected: new Counter({ name: 'vigil_events_rejected_total', help: 'Events sent to the dead-letter topic, by reason (error code).', labelNames: ['reason'], registers: [registry] }),
    batchSeconds: new Histogram({
      name: 'vigil_batch_duration_seconds',
      help: 'Time to process one batch: decode, state, detect, publish.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchEvents: new Histogram({ name: 'vigil_batch_events', help: 'Events per batch.', buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000], registers: [registry] }),
    lag: new Gauge({ name: 'vigil_consumer_lag_messages', help: 'Messages behind the end of each partition after the last batch, summed over partitions this replica holds.', registers: [registry] }),
    findings: new Counter({ name: 'vigil_findings_total', help: 'Findings published, by detector and severity; a window published again as it grew is counted in vigil_finding_updates_total instead.', labelNames: ['detector', 'severity'], registers: [registry] }),
    updates: new Counter({
      name: 'vigil_finding_updates_total',
      help: 'Findings published again as they grew (evidence.updates): raised to a higher severity, or revised (what they count grew, or they lasted longer); by detector and kind.',
      labelNames: ['detector', 'kind'],
      registers: [registry],
    }),
    duplicates: new Counter({ name: 'vigil_findings_suppressed_total', help: 'Findings not published again because their id (detector, subject, window) was already published.', registers: [registry] }),
    muted: new Counter({ name: 'vigil_findings_muted_total', help: 'Findings not published because a false-positive verdict (a suppression) covers them, by detector.', labelNames: ['detector'], registers: [registry] }),
    redisRoundTrips: new Counter({ name: 'vigil_redis_round_trips_total', help: 'Round trips to Redis.', registers: [registry] }),
    apiObserved: new Gauge({ name: 'vigil_api_observed_events_per_minute', help: 'Events of an api (and direction) in its last closed minute, event time. Labelled for the first `metrics.maxApis` apis seen.', labelNames: ['api', 'direction'], registers: [registry] }),
    apiExpected: new Gauge({ name: 'vigil_api_expected_events_per_minute', help: "The api's baseline expectation for that minute (seasonal or recent hours); absent while it warms up.", labelNames: ['api', 'direction'], registers: [registry] }),
    capped: new Counter({
      name: 'vigil_state_capped_total',
      help: 'What the state caps held back: events counted under the route {other} (an api past maxRoutesPerApi routes that day), and subject checkpoints dropped (an api-hour past maxSubjectsPerApiHour subjects).',
      labelNames: ['what'],
      registers: [registry],
    }),
    checkpoints: new Counter({ name: 'vigil_checkpoints_total', help: 'Scheduled flushes: the changed subjects\' checkpoints written, then the offsets of the batches they hold committed; by outcome (ok, failed).', labelNames: ['outcome'], registers: [registry] }),
    checkpointSeconds: new Histogram({ name: 'vigil_checkpoint_duration_seconds', help: 'Time to write one flush\'s subject checkpoints and commit its offsets.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] }),
    checkpointSubjects: new Counter({ name: 'vigil_checkpoint_subjects_total', help: 'Subject checkpoints written by scheduled flushes.', registers: [registry] }),
    eventTime: new Gauge({ name: 'vigil_event_time_seconds', help: 'Event time (watermark) the detector has reached, epoch seconds.', registers: [registry] }),
  };
  for (const code of decodeErrorCodes) metrics.rejected.labels(code).inc(0);
  for (const d of detectorNames) for (const s of severities) metrics.findings.labels(d, s).inc(0);
  for (const d of detectorNames) for (const kind of ['raised', 'revised']) metrics.updates.labels(d, kind).inc(0);
  for (const d of detectorNames) metrics.muted.labels(d).inc(0);
  for (const what of ['routes', 'checkpoints']) metrics.capped.labels(what).inc(0);
  for (const outcome of ['ok', 'failed']) metrics.checkpoints.labels(outcome).inc(0);
  return metrics;
}

export type DetectorMetrics = ReturnType<typeof createDetectorMetrics>;

/**
 * Records the detector's metrics from its instrumentation events: registers them on `registry`
 * (createDetectorMetrics) and subscribes to the batch end and checkpoint events. Returns the function
 * that unsubscribes. `maxApiSeries` (default 50) bounds the apis given their own rate series.
 */
export function recordDetectorMetrics(instrumentation: DetectorInstrumentation, registry: Registry, options: { maxApiSeries?: number } = {}): () => void {
  const metrics = createDetectorMetrics(registry);
  const recordBatch = batchRecorder(metrics, options.maxApiSeries ?? 50);
  const unsubscribe = [
    instrumentation.on(detectorEvents.BATCH_END, (event) => recordBatch(event.payload)),
    instrumentation.on(detectorEvents.CHECKPOINT, (event) => recordCheckpoint(metrics, event.payload)),
  ];
  return () => unsubscribe.forEach((off) => off());
}

/** What a batch that succeeded adds to the metrics; it holds each partition's lag and the api series given a label so far. */
function batchRecorder(m: DetectorMetrics, maxApiSeries: number): (batch: BatchEndPayload) => void {
  // Keyed by topic and partition, never forgotten: the gauge sums the last lag seen of each partition.
  const lagByPartition = new Map<string, number>();
  // Api names come from traffic: only the first `maxApiSeries` (api, direction) pairs get a series.
  const apiSeries = new Set<string>();
  return (batch) => {
    m.consumed.inc(batch.messages);
    for (const code of batch.deadLetterCodes) m.rejected.labels(code).inc();
    m.batchEvents.observe(batch.messages);
    for (const f of batch.findingsPublished) {
      if (f.evidence?.updates === undefined) m.findings.labels(f.detector, f.severity).inc();
      else m.updates.labels(f.detector, f.evidence.raisedFrom !== undefined ? 'raised' : 'revised').inc();
    }
    for (const f of batch.findingsMuted) m.muted.labels(f.detector).inc();
    m.duplicates.inc(batch.duplicates);
    if (batch.capped) {
      m.capped.labels('routes').inc(batch.capped.routes);
      m.capped.labels('checkpoints').inc(batch.capped.checkpoints);
    }
    m.redisRoundTrips.inc(batch.redisRoundTrips);
    m.eventTime.set(batch.eventTimeMs / 1000);
    for (const r of batch.apiRates) {
      const series = `${r.api}\u0000${r.direction}`;
      if (!apiSeries.has(series)) {
        if (apiSeries.size >= maxApiSeries) continue;
        apiSeries.add(series);
      }
      m.apiObserved.labels(r.api, r.direction).set(r.observedPerMinute);
      if (r.expectedPerMinute !== undefined) m.apiExpected.labels(r.api, r.direction).set(r.expectedPerMinute);
    }
    if (batch.lagMessages !== undefined) lagByPartition.set(`${batch.topic}/${batch.partition}`, batch.lagMessages);
    m.lag.set([...lagByPartition.values()].reduce((a, b) => a + b, 0));
    m.batchSeconds.observe(batch.durationMs / 1000);
  };
}

/** What a scheduled flush adds: subjects written and dropped when the write succeeded, the outcome unless superseded, its duration always. */
function recordCheckpoint(m: DetectorMetrics, checkpoint: CheckpointPayload): void {
  if (checkpoint.written) {
    m.checkpointSubjects.inc(checkpoint.written.subjects);
    m.capped.labels('checkpoints').inc(checkpoint.written.dropped);
  }
  if (checkpoint.outcome !== 'superseded') m.checkpoints.labels(checkpoint.outcome).inc();
  m.checkpointSeconds.observe(checkpoint.durationMs / 1000);
}
