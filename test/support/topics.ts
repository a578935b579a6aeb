import { findingContract, severityRank, validate, type Finding } from '@vigil/contracts';
import type { KafkaClient, ReceivedMessage } from '@vigil/kafka';
import { findingId } from '../../libs/detectors/src/finding-id.js';
import { uniqueName } from './helpers.js';

/** Collects every message of `topic` from the beginning (a consumer group of its own), until `stop`. */
export async function followTopic(kafka: KafkaClient, topic: string): Promise<{ messages: ReceivedMessage[]; stop(): Promise<void> }> {
  const messages: ReceivedMessage[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('it-follow'), topics: [topic], fromBeginning: true, eachBatch: async (b) => void messages.push(...b.messages) });
  await consumer.start();
  return { messages, stop: () => consumer.stop() };
}

/** Findings as the contract reads them (timestamps in epoch ms). */
export function findingsOf(messages: readonly ReceivedMessage[]): Finding[] {
  return messages.map((m) => validate(findingContract, JSON.parse(m.value!.toString())));
}

/**
 * A finding's window: the id it was first published under. A window that judged worse after it was published is
 * published again, raised, under `<id>-<severity>` (docs/detectors.md); whether that happens depends on where the
 * batches fall, which differs between runs, so runs are compared window by window.
 */
export function windowOf(f: Finding): string {
  return findingId(f);
}

/** Findings by window; for a window published more than once (raised), the one of highest severity. */
export function byWindow(findings: Iterable<Finding>): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of findings) {
    const seen = out.get(windowOf(f));
    if (!seen || severityRank(f.severity) > severityRank(seen.severity)) out.set(windowOf(f), f);
  }
  return out;
}
