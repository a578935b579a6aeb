import { describe, expect, it } from 'vitest';
import { loadDetectorConfig } from './config.js';

describe('detector config', () => {
  it('counts a batch spanning more than a minute of event time in slices by default, and DETECTOR_SLICE_MS changes it (0: never)', () => {
    expect(loadDetectorConfig({}).consumer.sliceMs).toBe(60_000);
    expect(loadDetectorConfig({ DETECTOR_SLICE_MS: '300000' }).consumer.sliceMs).toBe(300_000);
    expect(loadDetectorConfig({ DETECTOR_SLICE_MS: '0' }).consumer.sliceMs).toBe(0);
    expect(() => loadDetectorConfig({ DETECTOR_SLICE_MS: '-1' })).toThrow(/DETECTOR_SLICE_MS/);
  });
});

describe('the dead-letter topic', () => {
  it('follows a renamed transactions topic unless set on its own', () => {
    expect(loadDetectorConfig({}).topics.dlq).toBe('api.transactions.dlq');
    expect(loadDetectorConfig({ VIGIL_TOPIC_TRANSACTIONS: 'interop.tx' }).topics.dlq).toBe('interop.tx.dlq');
    expect(loadDetectorConfig({ VIGIL_TOPIC_TRANSACTIONS: 'interop.tx', VIGIL_TOPIC_DLQ: 'bad-input' }).topics.dlq).toBe('bad-input');
  });
});
