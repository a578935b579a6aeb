import { findingContract, validate, type Finding } from '@vigil/contracts';
import type { KafkaClient, ReceivedMessage } from '@vigil/kafka';
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
