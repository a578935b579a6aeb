import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findingContract, toWireJson, transactionContract, transactionKey, validate, type ApiTransaction, type Finding } from '@vigil/contracts';
import type { OutgoingMessage, Producer } from '@vigil/kafka';
import { simulate, type Label, type ThreatEntry } from '@vigil/simulator';
import { backtest } from '../../services/cli/src/commands/backtest.js';

/**
 * The traffic of the fault tests: the simulator's `demo` morning (five
 * labelled attacks after the two-hour warm-up; scaled down to ~10k events so
 * the run stays short) as JSON, with a dozen malformed messages spread
 * through it (keys `bad-N`), which the detector must dead-letter.
 */
export interface FaultTraffic {
  events: ApiTransaction[];
  /** What goes on the input topic, in order: events and malformed messages. */
  messages: OutgoingMessage[];
  /** Keys of the malformed messages. */
  malformed: string[];
  labels: Label[];
  threats: ThreatEntry[];
}

const MALFORMED_EVERY = 800;

export function faultTraffic(): FaultTraffic {
  const sim = simulate({ scenario: 'demo', clients: 300, peakSessionsPerMinute: 15 });
  const messages: OutgoingMessage[] = [];
  const malformed: string[] = [];
  const bad = (n: number, e: ApiTransaction): OutgoingMessage => {
    const key = `bad-${n}`;
    malformed.push(key);
    const wire = toWireJson(transactionContract, e) as Record<string, unknown>;
    switch (n % 4) {
      case 0:
        return { key, value: 'not json at all' }; // VIGIL_DECODE_UNKNOWN_FORMAT
      case 1:
        return { key, value: '{"id":"cut-off' }; // VIGIL_DECODE_JSON_SYNTAX
      case 2:
        return { key, value: JSON.stringify({ ...wire, id: `bad-${n}`, status: 'OK' }) }; // VIGIL_VALIDATION
      default:
        return { key, value: null }; // VIGIL_DECODE_EMPTY
    }
  };
  sim.events.forEach((e, i) => {
    if (i > 0 && i % MALFORMED_EVERY === 0) messages.push(bad(malformed.length, e));
    messages.push({ key: transactionKey(e), value: JSON.stringify(toWireJson(transactionContract, e)) });
  });
  return { events: sim.events, messages, malformed, labels: sim.labels, threats: sim.threats };
}

/** A feed in progress: how far it got, and when sends failed. */
export interface Feed {
  /** Messages acknowledged by Kafka. */
  sent(): number;
  /** Failed send attempts (each retried with the same messages: the producer is idempotent, so a retry writes nothing twice). */
  failures(): number;
  /** Resolves once every message is acknowledged. */
  done: Promise<void>;
  /** Stops early (test teardown). */
  cancel(): void;
}

/**
 * Sends `messages` in order, `chunk` at a time, one chunk every `everyMs`:
 * traffic that keeps coming while a fault happens. A chunk whose send fails
 * is sent again until Kafka takes it; nothing is dropped and, with an
 * idempotent producer, nothing is written twice.
 */
export function feed(producer: Producer, topic: string, messages: readonly OutgoingMessage[], o: { chunk: number; everyMs: number }): Feed {
  let sent = 0;
  let failures = 0;
  let cancelled = false;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const done = (async () => {
    for (let i = 0; i < messages.length && !cancelled; i += o.chunk) {
      const started = Date.now();
      const chunk = messages.slice(i, i + o.chunk);
      for (;;) {
        try {
          await producer.send(topic, chunk);
          break;
        } catch {
          failures++;
          if (cancelled) return;
          await pause(250);
        }
      }
      sent += chunk.length;
      await pause(Math.max(0, o.everyMs - (Date.now() - started)));
    }
  })();
  return { sent: () => sent, failures: () => failures, done, cancel: () => void (cancelled = true) };
}

/**
 * The fault-free reference: `vigil backtest` (the same engine, in-memory
 * state, the scenario's known threats) over the same valid events in the
 * order they were produced.
 */
export async function referenceFindings(t: FaultTraffic): Promise<Finding[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fault-ref-'));
  try {
    const input = join(dir, 'events.ndjson');
    const threats = join(dir, 'threats.json');
    writeFileSync(input, t.events.map((e) => JSON.stringify(toWireJson(transactionContract, e))).join('\n'));
    writeFileSync(threats, JSON.stringify({ entries: t.threats }));
    const findings: Finding[] = [];
    await backtest({ input, threats, batchSize: 500 }, (line) => findings.push(validate(findingContract, JSON.parse(line))), () => undefined);
    return findings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

