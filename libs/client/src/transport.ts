import type { ApiTransaction } from '@vigil/contracts';
import { isRetriable } from '@vigil/errors';
import type { OutgoingMessage, Producer } from '@vigil/kafka';

/**
 * What the publisher hands a batch to. The publisher keeps the buffer, the
 * bound, the retry timing and the counts; a transport only encodes and sends
 * one batch at a time. createPublisher uses one that runs in a worker thread
 * (worker-transport.ts), so the Kafka client never runs on the host's event
 * loop; buildPublisher with `connect`/`encode` sends in-process.
 */
export interface Transport {
  /**
   * Encodes and sends a batch of events, each the JSON text of a validated
   * ApiTransaction. Rejects only when the transport itself failed (a worker
   * that died): the whole batch is then retried.
   */
  send(events: readonly string[]): Promise<SendOutcome>;
  /** Disconnects (and stops a worker). Never rejects. */
  close(): Promise<void>;
}

export interface SendOutcome {
  /** Events acknowledged by the brokers. */
  sent: number;
  /** Positions in the batch of the events that could not be encoded: dropped, never retried. */
  invalid: number[];
  /** The last encoding problem, for the log. */
  problem?: string;
  /** Set when the rest of the batch was not sent (broker away, registry away): it is to be retried. */
  error?: unknown;
}

/** The message key of the topic's contract: the client (principal, else client IP, else the api). */
export function keyOf(event: ApiTransaction): string {
  return event.principal || event.clientIp || event.api;
}

export interface DirectTransportDeps {
  topic: string;
  connect(): Promise<Producer>;
  encode(event: ApiTransaction): Buffer | Promise<Buffer>;
  /** Called when a producer is dropped after a failure or at close and its disconnect fails. */
  onDisconnectError?(err: unknown): void;
}

/** Events encoded between two yields to the event loop. */
const ENCODE_SLICE = 32;

/** Encodes and sends on the calling thread; reconnects from scratch after a failed send. The worker runs one of these. */
export function directTransport(deps: DirectTransportDeps): Transport {
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let closed = false;
  const disconnect = (p: Producer) => p.disconnect().catch((err: unknown) => deps.onDisconnectError?.(err));

  async function ready(): Promise<Producer> {
    if (producer) return producer;
    connecting ??= deps.connect().finally(() => {
      connecting = undefined;
    });
    const p = await connecting;
    if (closed) throw new Error('the publisher is closed'); // close() disconnects it
    producer = p;
    return p;
  }

  async function send(events: readonly string[]): Promise<SendOutcome> {
    const messages: OutgoingMessage[] = [];
    const invalid: number[] = [];
    let problem: string | undefined;
    for (const [i, json] of events.entries()) {
      // Encode in slices: in-process, a batch never holds the event loop for long.
      if (i > 0 && i % ENCODE_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        const event = JSON.parse(json) as ApiTransaction;
        const value = deps.encode(event);
        messages.push({ key: keyOf(event), value: value instanceof Promise ? await value : value });
      } catch (err) {
        // A passing failure (the schema registry away) fails the batch; anything else drops the one event.
        if (isRetriable(err)) return { sent: 0, invalid, problem, error: err };
        invalid.push(i);
        problem = (err as Error).message;
      }
    }
    try {
      if (messages.length > 0) await (await ready()).send(deps.topic, messages);
      return { sent: messages.length, invalid, problem };
    } catch (err) {
      const stale = producer;
      producer = undefined; // reconnect from scratch next time: the brokers may have moved or restarted
      if (stale) void disconnect(stale);
      return { sent: 0, invalid, problem, error: err };
    }
  }

  return {
    send,
    async close() {
      closed = true;
      if (producer) await disconnect(producer);
      else void connecting?.then(disconnect, () => undefined); // a connection still being made is closed when it lands
      producer = undefined;
    },
  };
}
