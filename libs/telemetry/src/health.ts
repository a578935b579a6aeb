import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

/** One named readiness check: resolves true when the dependency answers. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

export interface HealthServerOptions {
  registry: Registry;
  readiness?: readonly ReadinessCheck[];
  /** Liveness: false once the process should be restarted (e.g. a consumer crashed for good). */
  live?: () => boolean;
  logger?: Logger;
  /** Milliseconds a readiness check may take before it counts as failed. */
  checkTimeoutMs?: number;
}

export interface HealthServer {
  readonly server: Server;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Builds (does not start) the HTTP server for /metrics, /healthz and /readyz. */
export function buildHealthServer(options: HealthServerOptions): HealthServer {
  const checkTimeoutMs = options.checkTimeoutMs ?? 2000;

  async function runChecks(): Promise<Record<string, boolean>> {
    const results: Record<string, boolean> = {};
    await Promise.all(
      (options.readiness ?? []).map(async ({ name, check }) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          results[name] = await Promise.race([
            check(),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(false), checkTimeoutMs);
            }),
          ]);
        } catch (err) {
          options.logger?.debug({ err, check: name }, 'readiness check failed');
          results[name] = false;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return results;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' });
    if (path === '/metrics') {
      const body = await options.registry.metrics();
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(body);
      return;
    }
    if (path === '/healthz') {
      const live = options.live ? options.live() : true;
      return send(res, live ? 200 : 503, { status: live ? 'ok' : 'unhealthy' });
    }
    if (path === '/readyz') {
      const checks = await runChecks();
      const ready = Object.values(checks).every(Boolean);
      return send(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
    }
    return send(res, 404, { error: 'not found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger?.error({ err }, 'health endpoint failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.end();
    });
  });

  return {
    server,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
