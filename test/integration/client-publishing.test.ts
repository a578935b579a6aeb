import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, responseSignature, type Publisher } from '@vigil/client';
import { instrumentUndici } from '@vigil/client/undici';
import { createCodec, createSchemaRegistry, transactionContract, type ApiTransaction, type Encoding } from '@vigil/contracts';
import { buildExpressApp } from '@vigil/examples/express';
import { buildFastifyApp } from '@vigil/examples/fastify';
import type { ReceivedMessage } from '@vigil/kafka';
import { detectorRig, type DetectorRig } from '../support/detector.js';
import { quietLogger, stackEnv, waitFor } from '../support/helpers.js';
import { fakePaymentsProvider, listenLocal } from '../support/http.js';

/**
 * The example apps, instrumented with @vigil/client, serve real HTTP
 * requests; their events land on the real topic (Express as JSON, Fastify
 * as Confluent Avro), and an enumeration against the Express app comes out
 * of the detector as a bola_enumeration finding.
 */
describe('@vigil/client with the example apps on the real stack', () => {
  let rig: DetectorRig;
  let jsonPublisher: Publisher;
  let avroPublisher: Publisher;
  let provider: Awaited<ReturnType<typeof fakePaymentsProvider>>;
  let expressApp: Awaited<ReturnType<typeof listenLocal>>;
  let fastifyUrl: string;
  let closeFastify: () => Promise<void>;
  let stopUndici: () => void;
  let topicMessages: ReceivedMessage[];
  const codecs = () => createCodec(transactionContract, { topic: rig.topics.transactions, registry: createSchemaRegistry({ url: stackEnv().SCHEMA_REGISTRY_URL }) });

  beforeAll(async () => {
    rig = await detectorRig();
    const env = stackEnv();
    const common = { brokers: env.KAFKA_BROKERS.split(','), topic: rig.topics.transactions, lingerMs: 5, logger: quietLogger() };
    jsonPublisher = createPublisher({ ...common, encoding: 'json' });
    avroPublisher = createPublisher({ ...common, encoding: 'avro', schemaRegistry: { url: env.SCHEMA_REGISTRY_URL } });
    provider = await fakePaymentsProvider();
    const providerOrigin = new URL(provider.url).origin;
    stopUndici = instrumentUndici(jsonPublisher, { clientId: 'accounts', api: (url) => (url.origin === providerOrigin ? 'payments-provider' : undefined) });
    expressApp = await listenLocal(buildExpressApp(jsonPublisher, { providerUrl: provider.url }));
    const fastify = await buildFastifyApp(avroPublisher, { providerUrl: provider.url });
    fastifyUrl = await fastify.listen({ host: '127.0.0.1', port: 0 });
    closeFastify = () => fastify.close();
    topicMessages = (await rig.collect(rig.topics.transactions)).messages;
  });

  afterAll(async () => {
    stopUndici?.();
    await expressApp?.close();
    await closeFastify?.();
    await provider?.close();
    await Promise.all([jsonPublisher?.close(5_000), avroPublisher?.close(5_000)]);
    await rig?.close();
  });

  async function call(base: string, path: string, user?: string, init: RequestInit = {}): Promise<number> {
    const headers: Record<string, string> = { 'user-agent': 'vigil-it/1.0', ...(init.headers as Record<string, string>) };
    if (user) headers.authorization = `Bearer demo-${user}`;
    const res = await fetch(`${base}${path}`, { ...init, headers });
    await res.arrayBuffer();
    return res.status;
  }

  /** Decoded events of the topic written in `encoding` that `match`, once there are `count` of them. */
  async function eventsOn(count: number, encoding: Encoding, what: string, match: (e: ApiTransaction) => boolean): Promise<ApiTransaction[]> {
    const codec = codecs();
    return waitFor(
      async () => {
        const written = topicMessages.filter((m) => m.value && codec.sniff(m.value) === encoding);
        const found = (await Promise.all(written.map((m) => codec.decode(m.value)))).filter(match);
        return found.length >= count ? found : undefined;
      },
      what,
      30_000,
    );
  }

  it.each([
    { app: 'express', encoding: 'json' as const },
    { app: 'fastify', encoding: 'avro' as const },
  ])('$app: one event per request with the route template, principal, signature and provider rate limits; no secrets', async ({ app, encoding }) => {
    const base = app === 'express' ? expressApp.url : fastifyUrl;
    expect(await call(base, '/users/1001/account?access_token=s3cr3t-query', 'alice')).toBe(200);
    expect(await call(base, '/users/2001/account', 'alice')).toBe(403);
    expect(await call(base, '/users/1002/account')).toBe(401);
    expect(await call(base, '/health')).toBe(200);
    expect(await call(base, '/payments', 'alice', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 12 }) })).toBe(201);
    const publisher = app === 'express' ? jsonPublisher : avroPublisher;
    expect((await publisher.flush(10_000)).delivered).toBe(true);

    const inbound = await eventsOn(4, encoding, `${app}'s inbound events`, (e) => e.direction === 'inbound' && e.api === 'accounts' && e.userAgent === 'vigil-it/1.0');
    const outbound = await eventsOn(1, encoding, `${app}'s outbound call`, (e) => e.direction === 'outbound' && e.clientId === 'accounts');

    const byPath = Object.fromEntries(inbound.map((e) => [`${e.method} ${e.path} ${e.status}`, e]));
    expect(Object.keys(byPath).sort()).toEqual(['GET /users/1001/account 200', 'GET /users/1002/account 401', 'GET /users/2001/account 403', 'POST /payments 201']);
    const read = byPath['GET /users/1001/account 200']!;
    expect(read).toMatchObject({ direction: 'inbound', route: '/users/{id}/account', principal: 'alice', clientIp: '127.0.0.1', contentType: expect.stringMatching(/^application\/json/) });
    expect(read.responseSignature).toBe(responseSignature({ id: 1, owner: 'x', balance: { amount: 1, currency: 'EUR' } }));
    expect(read.responseBytes).toBeGreaterThan(0);
    expect(read.latencyMs).toBeGreaterThan(0);
    expect(Math.abs(read.timestamp - Date.now())).toBeLessThan(60_000);
    expect(byPath['GET /users/1002/account 401']!.principal).toBeUndefined();
    expect(byPath['GET /users/2001/account 403']!.responseSignature).not.toBe(read.responseSignature);

    expect(outbound[0]).toMatchObject({ api: 'payments-provider', method: 'POST', path: '/v1/charges', status: 201, rateLimitLimit: 1000 });
    expect(outbound[0]!.rateLimitRemaining).toBeLessThan(1000);

    const raw = Buffer.concat(topicMessages.map((m) => m.value ?? Buffer.alloc(0))).toString('latin1');
    for (const secret of ['demo-alice', 's3cr3t-query', 'Bearer', 'access_token']) expect(raw).not.toContain(secret);
    expect(raw).not.toContain('/health');
  });

  it('an enumeration of /users/{id}/account against the Express app comes out of the detector as bola_enumeration', async () => {
    const findings = await rig.collect(rig.topics.findings);
    await rig.start();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 80; i++) {
      const status = await call(expressApp.url, `/users/${5000 + i}/account`, 'mallory');
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 8, 403: 72 }); // the example's broken check lets ids ending in 0 through
    expect((await jsonPublisher.flush(10_000)).delivered).toBe(true);

    const bola = await waitFor(
      () => rig.findingsOf(findings.messages).find((f) => f.detector === 'bola_enumeration'),
      'a bola_enumeration finding from the example app traffic',
      60_000,
    );
    expect(bola.subject).toEqual({ kind: 'principal', value: 'mallory' });
    expect(bola.api).toBe('accounts');
    expect(bola.route).toBe('/users/{id}/account');
    expect(bola.owasp).toBe('API1:2023');
    expect(Number(bola.evidence.distinctIds)).toBeGreaterThanOrEqual(30);
  });
});

