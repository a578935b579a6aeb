import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { trackedSocketFactory } from './sockets.js';

describe('trackedSocketFactory', () => {
  const accepted: Socket[] = [];
  // A peer that closes its side when the client ends (as a broker does).
  const server = createServer((s) => {
    accepted.push(s);
    s.on('end', () => s.end());
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('connects like kafkajs does, and ends what is still open (the peer sees an end)', async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as { port: number };
    const tracked = trackedSocketFactory();
    const connect = () =>
      new Promise<Socket>((resolve) => {
        const s = tracked.factory({ host: '127.0.0.1', port, ssl: false as never, onConnect: () => resolve(s) });
      });
    const [closedByUser, leaked] = [await connect(), await connect()];
    const ended: boolean[] = [];
    leaked.on('end', () => ended.push(true));
    closedByUser.destroy();
    await new Promise((r) => closedByUser.once('close', r));
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(await tracked.closeAll()).toBe(1);
    expect(leaked.destroyed).toBe(true);
    // The socket closed in time: its one-second fallback timer is gone too.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timersBefore);
    expect(ended).toEqual([true]);
    expect(await tracked.closeAll()).toBe(0);
  });
});
