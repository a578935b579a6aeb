/**
 * Runs the Express example against a Kafka cluster:
 *   KAFKA_BROKERS=127.0.0.1:19092 PORT=3000 node examples/dist/express-main.js
 */
import { createPublisher } from '@vigil/client/express'; // ← vigil
import { instrumentUndici } from '@vigil/client/undici';
import { buildExpressApp } from './express-app.js';

const publisher = createPublisher({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), topic: process.env.VIGIL_TOPIC ?? 'api.transactions' }); // ← vigil
const providerUrl = process.env.PROVIDER_URL;
if (providerUrl) instrumentUndici(publisher, { clientId: 'accounts', api: (url) => (url.origin === new URL(providerUrl).origin ? 'payments-provider' : undefined) });
const server = buildExpressApp(publisher, { providerUrl }).listen(Number(process.env.PORT ?? 3000), '127.0.0.1');

process.once('SIGTERM', () => server.close(() => void publisher.close()));
