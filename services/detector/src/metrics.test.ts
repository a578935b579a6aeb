import { describe, expect, it } from 'vitest';
import { Registry } from '@vigil/telemetry';
import { createInstrumentation, detectorEvents, type BatchEndPayload, type CheckpointPayload } from './instrumentation.js';
import { createDetectorMetrics, recordDetectorMetrics } from './metrics.js';

/** A quiet batch of partition 0: ten valid messages, nothing found. */
function batchEnd(overrides: Partial<BatchEndPayload> = {}): BatchEndPayload {
  return {
    topic: 'tx',
    partition: 0,
    messages: 10,
    events: 10,
    deadLetterCodes: [],
    findingsPublished: [],
    findingsMuted: [],
    duplicates: 0,
    capped: undefined,
    redisRoundTrips: 0,
    eventTimeMs: 1_800_000_000_000,
    apiRates: [],
    lagMessages: 0,
    durationMs: 20,
    ...overrides,
  };
}

function checkpointOf(overrides: Partial<CheckpointPayload> = {}): CheckpointPayload {
  return { outcome: 'ok', written: { subjects: 0, dropped: 0 }, committed: [], durationMs: 50, ...overrides };
}

/** The value of one series: `name` may end in _sum or _count for a histogram; labels match when they are a subset. */
async function valueOf(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const base = name.replace(/_(sum|count)$/, '');
  const metric = registry.getSingleMetric(registry.getSingleMetric(name) ? name : base);
  const { values } = await metric!.get();
  // A histogram's values name their series (x_bucket, x_sum, x_count); a counter's or gauge's do not.
  const found = values.find((v) => ((v as { metricName?: string }).metricName ?? name) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return found?.value;
}

function recording(options: { maxApiSeries?: number } = {}) {
  const registry = new Registry();
  const instrumentation = createInstrumentation();
  const unsubscribe = recordDetectorMetrics(instrumentation, registry, options);
  return {
    registry,
    unsubscribe,
    batch: (overrides: Partial<BatchEndPayload> = {}) => instrumentation.emit(detectorEvents.BATCH_END, batchEnd(overrides)),
    checkpoint: (overrides: Partial<CheckpointPayload> = {}) => instrumentation.emit(detectorEvents.CHECKPOINT, checkpointOf(overrides)),
    start: () => instrumentation.emit(detectorEvents.BATCH_START, { topic: 'tx', partition: 0, messages: 10, firstOffset: '0', lastOffset: '9', highWatermark: '10' }),
  };
}

describe('recordDetectorMetrics', () => {
  it('registers exactly the metrics createDetectorMetrics defines, with their HELP, labels and zeroed series', async () => {
    const defined = new Registry();
    createDetectorMetrics(defined);
    const { registry } = recording();
    expect(await registry.metrics()).toBe(await defined.metrics());
    expect(await registry.metrics()).toContain('# HELP vigil_events_consumed_total Messages read from the transactions topic, valid or not');
  });

  it('a batch start records nothing (durations come with the end)', async () => {
    const r = recording();
    const before = await r.registry.metrics();
    r.start();
    expect(await r.registry.metrics()).toBe(before);
  });

  it.each<[string, Partial<BatchEndPayload>, [name: string, labels: Record<string, string>, value: number][]]>([
    ['messages, valid or not, into consumed and the events histogram', { messages: 12, events: 10 }, [['vigil_events_consumed_total', {}, 12], ['vigil_batch_events_sum', {}, 12], ['vigil_batch_events_count', {}, 1]]],
    ['a dead letter per reason', { deadLetterCodes: ['VIGIL_VALIDATION', 'VIGIL_VALIDATION', 'VIGIL_DECODE_AVRO'] }, [['vigil_events_rejected_total', { reason: 'VIGIL_VALIDATION' }, 2], ['vigil_events_rejected_total', { reason: 'VIGIL_DECODE_AVRO' }, 1], ['vigil_events_rejected_total', { reason: 'VIGIL_DECODE_EMPTY' }, 0]]],
    [
      'findings published by detector and severity, muted by detector, duplicates',
      { findingsPublished: [{ detector: 'bola_enumeration', severity: 'critical' }, { detector: 'bola_enumeration', severity: 'critical' }, { detector: 'bot', severity: 'medium' }], findingsMuted: [{ detector: 'burst' }], duplicates: 4 },
      [
        ['vigil_findings_total', { detector: 'bola_enumeration', severity: 'critical' }, 2],
        ['vigil_findings_total', { detector: 'bot', severity: 'medium' }, 1],
        ['vigil_findings_total', { detector: 'bot', severity: 'high' }, 0],
        ['vigil_findings_muted_total', { detector: 'burst' }, 1],
        ['vigil_findings_muted_total', { detector: 'bot' }, 0],
        ['vigil_findings_suppressed_total', {}, 4],
      ],
    ],
    [
      'a window published again as it grew as an update, raised or revised, not as another finding',
      {
        findingsPublished: [
          { detector: 'bot', severity: 'medium' },
          { detector: 'bot', severity: 'high', evidence: { updates: 'bot-a', raisedFrom: 'medium' } },
          { detector: 'bot', severity: 'medium', evidence: { updates: 'bot-a', revised: 1 } },
        ],
      },
      [
        ['vigil_findings_total', { detector: 'bot', severity: 'medium' }, 1],
        ['vigil_findings_total', { detector: 'bot', severity: 'high' }, 0],
        ['vigil_finding_updates_total', { detector: 'bot', kind: 'raised' }, 1],
        ['vigil_finding_updates_total', { detector: 'bot', kind: 'revised' }, 1],
      ],
    ],
    ['capped routes and checkpoints', { capped: { routes: 7, checkpoints: 2 } }, [['vigil_state_capped_total', { what: 'routes' }, 7], ['vigil_state_capped_total', { what: 'checkpoints' }, 2]]],
    ['no capped counts: nothing capped', { capped: undefined }, [['vigil_state_capped_total', { what: 'routes' }, 0], ['vigil_state_capped_total', { what: 'checkpoints' }, 0]]],
    ['round trips, event time in seconds, duration in seconds', { redisRoundTrips: 3, eventTimeMs: 1_800_000_000_500, durationMs: 250 }, [['vigil_redis_round_trips_total', {}, 3], ['vigil_event_time_seconds', {}, 1_800_000_000.5], ['vigil_batch_duration_seconds_sum', {}, 0.25], ['vigil_batch_duration_seconds_count', {}, 1]]],
    [
      'api rates as observed and expected gauges (expected absent while warming up)',
      { apiRates: [{ api: 'accounts', direction: 'inbound', minute: 0, observedPerMinute: 40, expectedPerMinute: 38.5 }, { api: 'stripe', direction: 'outbound', minute: 0, observedPerMinute: 5, expectedPerMinute: undefined }] },
      [
        ['vigil_api_observed_events_per_minute', { api: 'accounts', direction: 'inbound' }, 40],
        ['vigil_api_expected_events_per_minute', { api: 'accounts', direction: 'inbound' }, 38.5],
        ['vigil_api_observed_events_per_minute', { api: 'stripe', direction: 'outbound' }, 5],
      ],
    ],
    ['lag of the partition', { lagMessages: 17 }, [['vigil_consumer_lag_messages', {}, 17]]],
  ])('a batch end records %s', async (_, overrides, expected) => {
    const r = recording();
    r.batch(overrides);
    for (const [name, labels, value] of expected) expect(await valueOf(r.registry, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(value);
  });

  it('counters add up over batches', async () => {
    const r = recording();
    r.batch({ messages: 10, redisRoundTrips: 2, findingsPublished: [{ detector: 'bot', severity: 'low' }] });
    r.batch({ messages: 5, redisRoundTrips: 1, findingsPublished: [{ detector: 'bot', severity: 'low' }] });
    expect(await valueOf(r.registry, 'vigil_events_consumed_total')).toBe(15);
    expect(await valueOf(r.registry, 'vigil_redis_round_trips_total')).toBe(3);
    expect(await valueOf(r.registry, 'vigil_findings_total', { detector: 'bot', severity: 'low' })).toBe(2);
    expect(await valueOf(r.registry, 'vigil_batch_duration_seconds_count')).toBe(2);
  });

  it('sums the last lag of each partition; an empty batch (no lag) leaves it', async () => {
    const r = recording();
    r.batch({ partition: 0, lagMessages: 100 });
    r.batch({ partition: 1, lagMessages: 30 });
    expect(await valueOf(r.registry, 'vigil_consumer_lag_messages')).toBe(130);
    r.batch({ partition: 0, lagMessages: 0 });
    expect(await valueOf(r.registry, 'vigil_consumer_lag_messages')).toBe(30);
    r.batch({ partition: 1, lagMessages: undefined, messages: 0 });
    expect(await valueOf(r.registry, 'vigil_consumer_lag_messages')).toBe(30);
    r.batch({ topic: 'other', partition: 1, lagMessages: 5 });
    expect(await valueOf(r.registry, 'vigil_consumer_lag_messages')).toBe(35);
  });

  it('gives at most maxApiSeries (api, direction) pairs a series, and keeps updating those', async () => {
    const r = recording({ maxApiSeries: 2 });
    const rate = (api: string, direction: 'inbound' | 'outbound', observedPerMinute: number) => ({ api, direction, minute: 0, observedPerMinute, expectedPerMinute: undefined });
    r.batch({ apiRates: [rate('a', 'inbound', 1), rate('a', 'outbound', 2), rate('b', 'inbound', 3)] });
    r.batch({ apiRates: [rate('c', 'inbound', 4), rate('a', 'inbound', 9)] });
    expect(await valueOf(r.registry, 'vigil_api_observed_events_per_minute', { api: 'a', direction: 'inbound' })).toBe(9);
    expect(await valueOf(r.registry, 'vigil_api_observed_events_per_minute', { api: 'a', direction: 'outbound' })).toBe(2);
    expect(await valueOf(r.registry, 'vigil_api_observed_events_per_minute', { api: 'b' })).toBeUndefined();
    expect(await valueOf(r.registry, 'vigil_api_observed_events_per_minute', { api: 'c' })).toBeUndefined();
  });

  it('bounds the api series at 50 unless told', async () => {
    const r = recording();
    r.batch({ apiRates: Array.from({ length: 60 }, (_, i) => ({ api: `api-${i}`, direction: 'inbound' as const, minute: 0, observedPerMinute: i, expectedPerMinute: undefined })) });
    const { values } = await r.registry.getSingleMetric('vigil_api_observed_events_per_minute')!.get();
    expect(values.map((v) => v.labels.api)).toEqual(Array.from({ length: 50 }, (_, i) => `api-${i}`));
  });

  it.each<[string, Partial<CheckpointPayload>, { subjects: number; dropped: number; ok: number; failed: number }]>([
    ['ok: subjects written, dropped ones capped, outcome ok', { outcome: 'ok', written: { subjects: 40, dropped: 3 } }, { subjects: 40, dropped: 3, ok: 1, failed: 0 }],
    ['the commit failed after the write: subjects counted, outcome failed', { outcome: 'failed', written: { subjects: 40, dropped: 0 }, error: new Error('rebalancing') }, { subjects: 40, dropped: 0, ok: 0, failed: 1 }],
    ['the write failed: outcome failed only', { outcome: 'failed', written: undefined, error: new Error('redis down') }, { subjects: 0, dropped: 0, ok: 0, failed: 1 }],
    ['superseded (partitions moved): subjects counted, no outcome', { outcome: 'superseded', written: { subjects: 8, dropped: 1 } }, { subjects: 8, dropped: 1, ok: 0, failed: 0 }],
  ])('a checkpoint records %s, and its duration always', async (_, overrides, expected) => {
    const r = recording();
    r.checkpoint({ ...overrides, durationMs: 120 });
    expect(await valueOf(r.registry, 'vigil_checkpoint_subjects_total')).toBe(expected.subjects);
    expect(await valueOf(r.registry, 'vigil_state_capped_total', { what: 'checkpoints' })).toBe(expected.dropped);
    expect(await valueOf(r.registry, 'vigil_checkpoints_total', { outcome: 'ok' })).toBe(expected.ok);
    expect(await valueOf(r.registry, 'vigil_checkpoints_total', { outcome: 'failed' })).toBe(expected.failed);
    expect(await valueOf(r.registry, 'vigil_checkpoint_duration_seconds_count')).toBe(1);
    expect(await valueOf(r.registry, 'vigil_checkpoint_duration_seconds_sum')).toBeCloseTo(0.12);
  });

  it('records nothing more once unsubscribed', async () => {
    const r = recording();
    r.batch({ messages: 4 });
    r.unsubscribe();
    r.batch({ messages: 4 });
    r.checkpoint();
    expect(await valueOf(r.registry, 'vigil_events_consumed_total')).toBe(4);
    expect(await valueOf(r.registry, 'vigil_checkpoints_total', { outcome: 'ok' })).toBe(0);
  });
});
