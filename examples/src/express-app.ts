import express, { type Express, type Request, type Response } from 'express';
import { vigilExpress, type Publisher } from '@vigil/client/express';
import { findAccount, mayRead, userOf, type ExampleOptions } from './accounts.js';

/**
 * The Express example. With a publisher, one line (marked ← vigil) records
 * every request; see express-main.ts for the other two.
 */
export function buildExpressApp(publisher?: Publisher, options: ExampleOptions = {}): Express {
  const app = express();
  app.set('trust proxy', false);
  if (publisher) app.use(vigilExpress(publisher, { api: 'accounts', principal: (req) => req.res?.locals.user, ignore: (req) => req.path === '/health' })); // ← vigil

  app.use((req, res, next) => {
    res.locals.user = userOf(req.get('authorization'));
    next();
  });
  app.get('/health', (_req, res) => void res.json({ ok: true }));

  const users = express.Router();
  users.get('/:id/account', (req: Request<{ id: string }>, res: Response) => {
    const user = res.locals.user as string | undefined;
    if (!user) return void res.status(401).json({ error: 'unauthenticated' });
    const account = findAccount(Number(req.params.id));
    if (!account) return void res.status(404).json({ error: 'no such account' });
    if (!mayRead(user, account)) return void res.status(403).json({ error: 'forbidden' });
    res.json(account);
  });
  app.use('/users', users);

  app.post('/payments', express.json({ limit: '16kb' }), async (req, res) => {
    if (!options.providerUrl) return void res.status(503).json({ error: 'no payments provider configured' });
    const upstream = await fetch(new URL('/v1/charges', options.providerUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: Number(req.body?.amount ?? 0) }) });
    res.status(upstream.status === 201 ? 201 : 502).json({ charge: (await upstream.json()) as unknown });
  });
  return app;
}
