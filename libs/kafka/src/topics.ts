import type { KafkaClient } from './client.js';

/** A service's `topics.create` and `topics.partitions` settings. */
export interface TopicCreation {
  create: boolean;
  partitions: number;
}

/** Creates the service's topics that are missing, with its partition count, unless its settings say not to. */
export async function createMissingTopics(kafka: KafkaClient, settings: TopicCreation, topics: readonly string[]): Promise<void> {
  if (!settings.create) return;
  const admin = await kafka.admin();
  try {
    await admin.ensureTopics(topics.map((topic) => ({ topic, partitions: settings.partitions })));
  } finally {
    await admin.disconnect();
  }
}
