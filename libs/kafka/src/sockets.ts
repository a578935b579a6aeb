import { once } from 'node:events';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/**
 * kafkajs's own socket factory (TCP or TLS, keep-alive after 60 s) that also
 * remembers the sockets still open. kafkajs can lose track of one: after a
 * broker restart replaces the broker in its pool, a consumer group keeps
 * heartbeating through the old broker object, whose connection its
 * `disconnect()` never closes; that connection's request queue then re-arms
 * a timer forever (kafkajs#1556) and keeps a stopped process alive.
 * `closeAll()` ends such connections the way a broker would (FIN: kafkajs
 * sees the end, rejects what is in flight and tears the connection down),
 * destroys whatever has not closed a second later, and returns how many it
 * had to close (sockets kafkajs was already closing are not counted).
 */
export function trackedSocketFactory(): { factory: ISocketFactory; closeAll(): Promise<number> } {
  const open = new Set<Socket>();
  const factory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket: Socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    return socket;
  };
  return {
    factory,
    async closeAll() {
      const leaked = [...open].filter((s) => !s.writableEnded);
      for (const s of leaked) s.end();
      await Promise.all(
        [...open].map(async (s) => {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([once(s, 'close'), new Promise((r) => (timer = setTimeout(r, 1000)))]);
          // A socket that closed in time leaves no timer behind (it would hold a stopping process up for a second).
          clearTimeout(timer);
        }),
      );
      for (const s of open) s.destroy();
      open.clear();
      return leaked.length;
    },
  };
}
