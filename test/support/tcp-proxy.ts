import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that can be taken down and brought back, to play
 * a broker outage without touching the broker: `pause()` stops listening
 * and cuts every open connection (clients see refused connections),
 * `resume()` listens again on the same port.
 */
export interface TcpProxy {
  readonly port: number;
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  function track(socket: Socket): void {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  }

  async function listen(): Promise<void> {
    const srv = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      track(client);
      track(upstream);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    server = srv;
  }

  async function stop(): Promise<void> {
    const srv = server;
    server = undefined;
    for (const s of sockets) s.destroy();
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  }

  await listen();
  return { port, pause: stop, resume: listen, close: stop };
}
