/**
 * Runs the Fastify example against a Kafka cluster:
 *   KAFKA_BROKERS=127.0.0.1:19092 PORT=3001 node examples/dist/fastify-main.js
 */
import { createPublisher } from '@vigil/client/fastify';
import { buildFastifyApp } from './fastify-app.js';

const publisher = createPublisher({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), topic: process.env.VIGIL_TOPIC ?? 'api.transactions' });
const app = await buildFastifyApp(publisher, { providerUrl: process.env.PROVIDER_URL });
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3001) });

process.once('SIGTERM', () => void app.close().then(() => publisher.close()));
