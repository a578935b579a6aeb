import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The console's files, next to src/ and dist/ alike, so the built service finds them where the sources do. */
export const consoleDir = fileURLToPath(new URL('../console/', import.meta.url));

/** The only kinds of file served, with their exact types (nosniff: the browser trusts these). */
const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Every servable file under `dir`, by its URL path below /console/ (read once: the set is fixed at start). */
export function loadConsoleAssets(dir: string = consoleDir): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      const type = contentTypes[entry.name.slice(entry.name.lastIndexOf('.'))];
      if (!entry.isFile() || !type || entry.name.endsWith('.d.ts') || entry.name === 'tsconfig.json') continue;
      const body = readFileSync(path);
      assets.set(relative(dir, path).split(sep).join('/'), { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
  };
  walk(dir);
  if (!assets.has('index.html')) throw new Error(`the console's index.html is missing from ${dir}`);
  return assets;
}

/** True for the paths the console answers (no token needed: the files hold no data, the API calls do). */
export function isConsolePath(path: string): boolean {
  return path === '/' || path === '/console' || path.startsWith('/console/');
}

function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: Buffer | string): void {
  res.writeHead(status, headers);
  res.end(body);
}

/** Serves one console request: / and /console redirect to /console/, which is index.html; other files by name; GET and HEAD only. */
export function serveConsole(assets: Map<string, Asset>, req: IncomingMessage, res: ServerResponse, path: string): number {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, 'method not allowed\n');
    return 405;
  }
  if (path === '/' || path === '/console') {
    send(res, 302, { location: '/console/', 'content-length': 0 });
    return 302;
  }
  const name = path === '/console/' ? 'index.html' : path.slice('/console/'.length);
  const asset = assets.get(name);
  if (!asset) {
    send(res, 404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, 'not found\n');
    return 404;
  }
  const headers = { 'content-type': asset.type, 'cache-control': 'no-cache', etag: asset.etag };
  if (req.headers['if-none-match'] === asset.etag) {
    send(res, 304, headers);
    return 304;
  }
  send(res, 200, { ...headers, 'content-length': asset.body.length }, req.method === 'HEAD' ? undefined : asset.body);
  return 200;
}
