import axios from 'axios';
import Fastify, { type FastifyInstance } from 'fastify';
import { instrumentAxios } from '@vigil/client/axios';
import { vigilFastify, type Publisher } from '@vigil/client/fastify';
import { findAccount, mayRead, userOf, type ExampleOptions } from './accounts.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: string | undefined;
  }
}

/** The Fastify example: the same routes as the Express one; the payments provider is called with axios. */
export async function buildFastifyApp(publisher?: Publisher, options: ExampleOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  if (publisher) await app.register(vigilFastify(publisher, { api: 'accounts', principal: (req) => req.user, ignore: (req) => req.url === '/health' })); // ← vigil
  const provider = axios.create({ baseURL: options.providerUrl, timeout: 5_000, validateStatus: () => true });
  if (publisher) instrumentAxios(provider, publisher, { clientId: 'accounts', api: () => 'payments-provider' });

  app.decorateRequest('user', undefined);
  app.addHook('onRequest', (req, _reply, done) => {
    req.user = userOf(req.headers.authorization);
    done();
  });
  app.get('/health', async () => ({ ok: true }));
  app.get<{ Params: { id: string } }>('/users/:id/account', async (req, reply) => {
    if (!req.user) return reply.code(401).send({ error: 'unauthenticated' });
    const account = findAccount(Number(req.params.id));
    if (!account) return reply.code(404).send({ error: 'no such account' });
    if (!mayRead(req.user, account)) return reply.code(403).send({ error: 'forbidden' });
    return account;
  });
  app.post<{ Body: { amount?: number } }>('/payments', async (req, reply) => {
    if (!options.providerUrl) return reply.code(503).send({ error: 'no payments provider configured' });
    const upstream = await provider.post('/v1/charges', { amount: Number(req.body?.amount ?? 0) });
    return reply.code(upstream.status === 201 ? 201 : 502).send({ charge: upstream.data as unknown });
  });
  return app;
}
