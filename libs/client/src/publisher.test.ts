import { describe, expect, it } from 'vitest';
import { DecodeError, VigilError } from '@vigil/errors';
import type { OutgoingMessage, Producer } from '@vigil/kafka';
import { createLogger } from '@vigil/telemetry';
import { parsePublisherOptions, type PublisherOptions } from './options.js';
import { buildPublisher, createPublisher, exponentialBackoff, type Publisher } from './publisher.js';

const event = (i: number, extra: Record<string, unknown> = {}) => ({
  id: `e-${i}`,
  timestamp: Date.UTC(2026, 10, 23, 9, 0, 0) + i,
  direction: 'inbound' as const,
  api: 'accounts',
  method: 'GET',
  path: `/users/${i}/account`,
  status: 200,
  latencyMs: 1.5,
  principal: i % 2 ? 'alice' : undefined,
  clientIp: '192.0.2.1',
  ...extra,
});

/** A broker that can be taken down: sends fail while `down`, and connections too. */
function fakeBroker() {
  const sent: OutgoingMessage[][] = [];
  const state = { down: false, connects: 0 };
  const producer: Producer = {
    async send(_topic, messages) {
      if (state.down) throw new VigilError('VIGIL_KAFKA_PRODUCE', 'broker down', { retriable: true });
      sent.push([...messages]);
    },
    disconnect: async () => undefined,
  };
  const connect = async () => {
    state.connects++;
    if (state.down) throw new VigilError('VIGIL_KAFKA_CONNECT', 'broker down', { retriable: true });
    return producer;
  };
  return { sent, state, connect };
}

function publisherOn(broker: ReturnType<typeof fakeBroker>, options: Partial<PublisherOptions> = {}): Publisher {
  const config = parsePublisherOptions({ brokers: ['127.0.0.1:1'], lingerMs: 1, logIntervalMs: 0, ...options });
  return buildPublisher(config, { connect: broker.connect, encode: (e) => Buffer.from(JSON.stringify(e)), logger: createLogger({ service: 't', level: 'silent' }), backoffMs: () => 5 });
}

describe('publisher', () => {
  it('batches events, keys them by principal or client IP, and flush() resolves once they are acknowledged', async () => {
    const broker = fakeBroker();
    const p = publisherOn(broker, { batchSize: 4 });
    for (let i = 0; i < 10; i++) expect(p.publish(event(i))).toBe(true);
    expect(await p.flush(2_000)).toEqual({ delivered: true, pending: 0 });
    expect(broker.sent.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(broker.sent.flat().map((m) => m.key)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? 'alice' : '192.0.2.1')));
    expect(p.stats()).toMatchObject({ accepted: 10, sent: 10, buffered: 0 });
  });

  it('drops and counts invalid events without throwing', () => {
    const p = publisherOn(fakeBroker());
    expect(p.publish(event(1, { status: 'OK' }) as never)).toBe(false);
    expect(p.publish(null as never)).toBe(false);
    expect(p.stats()).toMatchObject({ accepted: 0, droppedInvalid: 2 });
  });

  it('keeps events through an outage, drops the newest past its buffer, and sends the rest when the broker returns', async () => {
    const broker = fakeBroker();
    broker.state.down = true;
    const p = publisherOn(broker, { bufferSize: 5, batchSize: 2 });
    const accepted = Array.from({ length: 8 }, (_, i) => p.publish(event(i)));
    expect(accepted).toEqual([true, true, true, true, true, false, false, false]);
    expect((await p.flush(50)).delivered).toBe(false);
    expect(p.stats()).toMatchObject({ droppedFull: 3, sent: 0, buffered: 5 });
    expect(p.stats().failedSends).toBeGreaterThan(0);

    broker.state.down = false;
    expect(await p.flush(2_000)).toEqual({ delivered: true, pending: 0 });
    expect(broker.sent.flat().map((m) => JSON.parse(String(m.value)).id)).toEqual(['e-0', 'e-1', 'e-2', 'e-3', 'e-4']);
  });

  it('with whenFull: drop-oldest, keeps the newest events', async () => {
    const broker = fakeBroker();
    broker.state.down = true;
    const p = publisherOn(broker, { bufferSize: 3, batchSize: 10, whenFull: 'drop-oldest' });
    for (let i = 0; i < 6; i++) p.publish(event(i));
    broker.state.down = false;
    await p.flush(2_000);
    expect(broker.sent.flat().map((m) => JSON.parse(String(m.value)).id)).toEqual(['e-3', 'e-4', 'e-5']);
    expect(p.stats().droppedFull).toBe(3);
  });

  it('close() sends what is held, then refuses new events', async () => {
    const broker = fakeBroker();
    const p = publisherOn(broker, { lingerMs: 60_000 });
    p.publish(event(1));
    expect(await p.close(2_000)).toEqual({ delivered: true, pending: 0 });
    expect(broker.sent.flat()).toHaveLength(1);
    expect(p.publish(event(2))).toBe(false);
    expect(p.stats().droppedClosed).toBe(1);
  });

  it('validates its options at construction and names every problem, never echoing secrets', () => {
    expect(() => createPublisher({ brokers: [], encoding: 'avro', sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' }, batchSize: 0 })).toThrow(
      /brokers: needs at least one broker.*batchSize.*schemaRegistry: encoding 'avro' needs schemaRegistry.url/,
    );
    try {
      createPublisher({ brokers: ['nope'], sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } });
    } catch (err) {
      expect((err as VigilError).code).toBe('VIGIL_ARGUMENT');
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('backs off exponentially with jitter, up to the maximum', () => {
    const backoff = exponentialBackoff(100, 1_000, () => 1);
    expect([1, 2, 3, 4, 5, 10].map(backoff)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(exponentialBackoff(100, 1_000, () => 0)(1)).toBe(50);
  });

  it('drops an event it cannot encode, but retries a batch whose encoding failed for a passing reason (registry away)', async () => {
    const broker = fakeBroker();
    const config = parsePublisherOptions({ brokers: ['127.0.0.1:1'], lingerMs: 1, logIntervalMs: 0 });
    let registryUp = false;
    const p = buildPublisher(config, {
      connect: broker.connect,
      encode: (e) => {
        if (e.id === 'e-2') throw new DecodeError('VIGIL_VALIDATION', 'x', 'not encodable');
        if (!registryUp) throw new VigilError('VIGIL_REGISTRY', 'registry down', { retriable: true });
        return Buffer.from(e.id);
      },
      logger: createLogger({ service: 't', level: 'silent' }),
      backoffMs: () => 5,
    });
    expect(p.publish(event(1))).toBe(true);
    expect(p.publish(event(2))).toBe(true);
    expect((await p.flush(30)).delivered).toBe(false);
    registryUp = true;
    expect((await p.flush(2_000)).delivered).toBe(true);
    expect(broker.sent.flat().map((m) => String(m.value))).toEqual(['e-1']);
    expect(p.stats()).toMatchObject({ sent: 1, droppedInvalid: 1 });
  });
});
