import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface SyslogTls {
  /** PEM of the CA(s) that sign the receiver's certificate; default: Node's bundled roots. */
  ca?: string;
  rejectUnauthorized: boolean;
  /** The name the certificate must carry (SNI and verification); default: the host. */
  servername?: string;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  tls?: SyslogTls;
  timeoutMs: number;
}

/**
 * One long-lived TCP (or TLS) connection to a syslog receiver. Nothing comes
 * back on it, so it is read only to notice the peer going away (FIN, RST,
 * error): the next write then opens a new connection instead of writing into
 * a dead one. `write` resolves once the frame is in the kernel's send buffer,
 * which is all plain syslog over TCP can tell: there are no application acks.
 */
export class SyslogConnection {
  private socket: Socket | undefined;
  private opening: Promise<Socket> | undefined;

  constructor(private readonly o: ConnectionOptions) {}

  /** Writes one frame; rejects (with the socket discarded) on a failed connect, a write error or a timeout. */
  async write(frame: Buffer): Promise<void> {
    const socket = await this.open();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`write timed out after ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.discard(socket);
        reject(err);
      };
      socket.write(frame, (err) => (err ? fail(err) : (clearTimeout(timer), resolve())));
    });
  }

  private open(): Promise<Socket> {
    const live = this.socket;
    if (live && !live.destroyed && live.writable) return Promise.resolve(live);
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private connect(): Promise<Socket> {
    const { host, port, tls, timeoutMs } = this.o;
    return new Promise<Socket>((resolve, reject) => {
      const socket = tls
        ? tlsConnect({ host, port, ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized, servername: tls.servername ?? (isIp(host) ? undefined : host) })
        : netConnect({ host, port });
      const ready = tls ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => socket.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once(ready, () => {
        clearTimeout(timer);
        this.watch(socket);
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  /** Marks the connection dead as soon as the peer closes or fails it; what it sends is ignored. */
  private watch(socket: Socket): void {
    socket.setKeepAlive(true, 30_000);
    socket.setNoDelay(true);
    // Idle a minute: close it (the next send reconnects), so a channel dropped by a config reload leaves no connection behind.
    socket.setTimeout(IDLE_MS, () => this.discard(socket));
    // An idle connection alone does not keep the notifier's process running.
    socket.unref();
    socket.removeAllListeners('error');
    socket.on('error', () => this.discard(socket));
    socket.on('end', () => this.discard(socket));
    socket.on('close', () => this.discard(socket));
    socket.on('data', () => undefined);
  }

  private discard(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
  }
}

const IDLE_MS = 60_000;
const isIp = (host: string): boolean => /^[\d.]+$/.test(host) || host.includes(':');
