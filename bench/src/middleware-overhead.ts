/**
 * npm run bench:middleware: the latency @vigil/client's middleware adds to
 * a request. The example apps (Express and Fastify) serve sequential
 * keep-alive GETs on loopback in three variants, interleaved in rounds so
 * drift of the host hits all alike:
 *   - bare: the app without vigil,
 *   - publisher: with the middleware and a publisher sending to the local Kafka,
 *   - outage: with the middleware and a publisher whose broker does not answer
 *     (a closed port: it retries in the background and its buffer fills, then drops).
 * The client runs in the same process, so everything vigil does on the
 * event loop (the middleware, publish, batching and sending) is inside the
 * measured latency. Prints one JSON line; BENCH_REQUESTS per variant (default 30000).
 * Added latency is reported two ways: the difference of the pooled
 * percentiles, and (robust to bursts of other load on a shared host) the
 * median over rounds of each round's p99 difference with the bare app.
 */
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { createPublisher, type Publisher } from '@vigil/client';
import { buildExpressApp } from '@vigil/examples/express';
import { buildFastifyApp } from '@vigil/examples/fastify';
import { createKafkaClient } from '@vigil/kafka';
import { createLogger } from '@vigil/telemetry';

const env = process.env;
const REQUESTS = Number(env.BENCH_REQUESTS ?? 30_000);
const ROUND = 1_000;
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const logger = createLogger({ service: 'bench', level: env.BENCH_LOG_LEVEL ?? 'error' });
const note = (s: string) => process.stderr.write(`bench: ${s}\n`);
const topic = `bench.client.${Date.now().toString(36)}`;

type Variant = 'bare' | 'publisher' | 'outage';
const variants: readonly Variant[] = ['bare', 'publisher', 'outage'];

interface Target {
  port: number;
  close(): Promise<void>;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function serveExpress(publisher: Publisher | undefined): Promise<Target> {
  const server: Server = buildExpressApp(publisher).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function serveFastify(publisher: Publisher | undefined): Promise<Target> {
  const app = await buildFastifyApp(publisher);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

/** `count` sequential requests; the latency of each in ms. */
async function measure(port: number, agent: Agent, count: number, offset: number, out: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const id = 1000 + ((offset + i) % 1000);
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/users/${id}/account`, agent, headers: { authorization: 'Bearer demo-alice' } }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
    out.push(performance.now() - t0);
  }
}

async function benchFramework(name: 'express' | 'fastify', serve: (p: Publisher | undefined) => Promise<Target>, publishers: Record<Exclude<Variant, 'bare'>, Publisher>) {
  const targets: Record<Variant, Target> = { bare: await serve(undefined), publisher: await serve(publishers.publisher), outage: await serve(publishers.outage) };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: Record<Variant, number[]> = { bare: [], publisher: [], outage: [] };
  /** Per round, each variant's p99 minus the bare app's in the same round. */
  const roundDiffs: Record<Exclude<Variant, 'bare'>, number[]> = { publisher: [], outage: [] };
  for (const v of variants) await measure(targets[v].port, agent, 2_000, 0, []); // warm up
  for (let done = 0; done < REQUESTS; done += ROUND) {
    const round: Record<Variant, number[]> = { bare: [], publisher: [], outage: [] };
    for (const v of variants) await measure(targets[v].port, agent, ROUND, done, round[v]);
    const p99 = (v: Variant) => quantile([...round[v]].sort((a, b) => a - b), 0.99);
    for (const v of variants) samples[v].push(...round[v]);
    roundDiffs.publisher.push(p99('publisher') - p99('bare'));
    roundDiffs.outage.push(p99('outage') - p99('bare'));
  }
  agent.destroy();
  await Promise.all(variants.map((v) => targets[v].close()));
  const figures = Object.fromEntries(
    variants.map((v) => {
      const sorted = samples[v].sort((a, b) => a - b);
      return [v, { p50Ms: round3(quantile(sorted, 0.5)), p99Ms: round3(quantile(sorted, 0.99)) }];
    }),
  ) as Record<Variant, { p50Ms: number; p99Ms: number }>;
  const added = (v: Exclude<Variant, 'bare'>) => ({
    p50Ms: round3(figures[v].p50Ms - figures.bare.p50Ms),
    p99Ms: round3(figures[v].p99Ms - figures.bare.p99Ms),
    // Robust to bursts of other load on the host: the median over rounds of the same-round p99 difference.
    p99MedianOfRoundsMs: round3(quantile(roundDiffs[v].sort((a, b) => a - b), 0.5)),
  });
  note(`${name}: done`);
  return { ...figures, addedWithPublisher: added('publisher'), addedDuringOutage: added('outage') };
}

async function main(): Promise<void> {
  const admin = await createKafkaClient({ brokers, clientId: 'vigil-bench' }, logger).admin();
  await admin.ensureTopics([{ topic, partitions: 3 }]);
  const publishers = {
    publisher: createPublisher({ brokers, topic, logger }),
    outage: createPublisher({ brokers: [`127.0.0.1:${await closedPort()}`], topic, logger, bufferSize: 10_000 }),
  };
  const express = await benchFramework('express', serveExpress, publishers);
  const fastify = await benchFramework('fastify', serveFastify, publishers);
  const sent = publishers.publisher.stats();
  const outage = publishers.outage.stats();
  await publishers.publisher.close(10_000);
  await publishers.outage.close(100);
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.disconnect();
  process.stdout.write(
    `${JSON.stringify({
      requestsPerVariant: REQUESTS,
      express,
      fastify,
      publisher: { sent: sent.sent, droppedFull: sent.droppedFull, failedSends: sent.failedSends },
      outagePublisher: { sent: outage.sent, droppedFull: outage.droppedFull, failedSends: outage.failedSends, buffered: outage.buffered },
      node: process.version,
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
