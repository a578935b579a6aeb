import { describe, expect, it } from 'vitest';
import { createInstrumentation, detectorEvents, type CheckpointPayload, type DetectorEventType, type InstrumentationEvent } from './instrumentation.js';

const checkpoint: CheckpointPayload = { outcome: 'ok', written: { subjects: 3, dropped: 0 }, committed: [], durationMs: 12 };

describe('createInstrumentation', () => {
  it('delivers events of one shape {id, type, timestamp, payload}, ids increasing, to the listeners of that type only', () => {
    let clock = 1_000;
    const instrumentation = createInstrumentation({ now: () => clock++ });
    const seen: InstrumentationEvent[] = [];
    instrumentation.on(detectorEvents.CHECKPOINT, (e) => seen.push(e));
    instrumentation.emit(detectorEvents.CHECKPOINT, checkpoint);
    instrumentation.emit(detectorEvents.BATCH_START, { topic: 't', partition: 0, messages: 0, firstOffset: undefined, lastOffset: undefined, highWatermark: '0' });
    instrumentation.emit(detectorEvents.CHECKPOINT, { ...checkpoint, outcome: 'failed' });
    expect(seen).toEqual([
      { id: 0, type: 'detector.checkpoint', timestamp: 1_000, payload: checkpoint },
      { id: 1, type: 'detector.checkpoint', timestamp: 1_001, payload: { ...checkpoint, outcome: 'failed' } },
    ]);
  });

  it('calls listeners synchronously, in the order they subscribed, until they unsubscribe', () => {
    const instrumentation = createInstrumentation();
    const calls: string[] = [];
    instrumentation.on(detectorEvents.CHECKPOINT, () => calls.push('first'));
    const off = instrumentation.on(detectorEvents.CHECKPOINT, () => calls.push('second'));
    instrumentation.emit(detectorEvents.CHECKPOINT, checkpoint);
    expect(calls).toEqual(['first', 'second']);
    off();
    off();
    instrumentation.emit(detectorEvents.CHECKPOINT, checkpoint);
    expect(calls).toEqual(['first', 'second', 'first']);
  });

  it('lets a throwing listener fail what emitted (as an inline metric call did)', () => {
    const instrumentation = createInstrumentation();
    instrumentation.on(detectorEvents.CHECKPOINT, () => {
      throw new Error('listener broke');
    });
    expect(() => instrumentation.emit(detectorEvents.CHECKPOINT, checkpoint)).toThrow('listener broke');
  });

  it('refuses to subscribe to an unknown type, naming the known ones', () => {
    const instrumentation = createInstrumentation();
    expect(() => instrumentation.on('detector.batch_ended' as DetectorEventType, () => undefined)).toThrow(/unknown detector event type "detector.batch_ended".*detector.batch_end/);
  });
});
