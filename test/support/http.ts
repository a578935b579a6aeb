import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts a Node HTTP server (or an app's request listener) on 127.0.0.1 and a free port. */
export async function listenLocal(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A third-party API stand-in: POST /v1/charges answers 201 with rate-limit headers counting down from 1000. */
export async function fakePaymentsProvider(): Promise<{ url: string; calls: number; close(): Promise<void> }> {
  const state = { calls: 0 };
  const srv = await listenLocal((req, res) => {
    req.resume();
    req.on('end', () => {
      state.calls++;
      const body = JSON.stringify({ id: `ch_${state.calls}`, status: 'succeeded' });
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': String(1000 - state.calls) });
      res.end(body);
    });
  });
  return { url: srv.url, get calls() { return state.calls; }, close: srv.close };
}

/** Quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
