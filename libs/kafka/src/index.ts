export { createKafkaClient, type KafkaClient } from './client.js';
export type * from './types.js';
export { createMissingTopics, type TopicCreation } from './topics.js';
