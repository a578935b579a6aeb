import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  path: string;
  body: { kind: string; tier: string; reason: string; count?: number; incident: { id: string; title: string } };
}

/** A local webhook receiver standing in for the team channel and the pager: it shows what would have been sent. */
export async function startSink(onDelivery: (d: Delivery) => void): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const d: Delivery = { path: req.url ?? '/', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivery['body'] };
        deliveries.push(d);
        onDelivery(d);
        res.writeHead(200).end('{"ok":true}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
