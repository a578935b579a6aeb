// Measures the detector's Redis memory per route and per client, the figures
// of docs/operations.md ("Sizing"). Runs `vigil backtest --redis` (the same
// engine and Lua as the service) into a throwaway redis-server on a free
// loopback port, and reads INFO memory and the keys it wrote.
//
//   npm run build && node deploy/sizing/redis-memory.mjs [routes=1000] [clients=100000]
//
// Needs redis-server (Debian's package, as the local stack). Takes ~1 min.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));
const routes = Number(process.argv[2] ?? 1000);
const clients = Number(process.argv[3] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'vigil-sizing-'));
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
const cliRedis = (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout.trim();
try {
  for (let i = 0; i < 100 && cliRedis('ping') !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 100));
  const used = () => Number(/used_memory:(\d+)/.exec(cliRedis('info', 'memory'))[1]);
  const base = Date.UTC(2026, 10, 23, 6, 0, 0);

  function backtest(name, lines) {
    const file = join(dir, `${name}.ndjson`);
    writeFileSync(file, lines.join('\n') + '\n');
    const r = spawnSync(process.execPath, [cli, 'backtest', '--input', file, '--redis', `redis://127.0.0.1:${port}`, '--redis-prefix', name], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`backtest ${name} failed: ${r.stderr.slice(-2000)}`);
  }
  // Keys per kind (rm, rh, sc, …), with the mean MEMORY USAGE of up to 200 of each.
  function keysByKind(prefix) {
    const kinds = {};
    for (const key of cliRedis('--scan', '--pattern', `${prefix}:*`).split('\n').filter(Boolean)) {
      const kind = /^[^:]+:(?:\{[^}]*\}:)?([a-z]+)/.exec(key)?.[1] ?? 'other';
      (kinds[kind] ??= []).push(key);
    }
    const out = {};
    for (const [kind, keys] of Object.entries(kinds)) {
      const sample = keys.slice(0, 200);
      const bytes = sample.reduce((sum, key) => sum + Number(cliRedis('memory', 'usage', key, 'samples', '0')), 0);
      out[kind] = { keys: keys.length, meanBytes: Math.round(bytes / sample.length) };
    }
    return out;
  }
  const event = (i, t, o) => JSON.stringify({ id: `e-${i}`, timestamp: new Date(t).toISOString(), direction: 'inbound', method: 'GET', status: 200, latencyMs: 12 + (i % 40), responseBytes: 900 + (i % 200), responseSignature: 'sig-1', ...o });

  // 1. Routes: `routes` routes over 10 APIs, one call per route per minute for 3 hours, from 50 clients.
  let before = used();
  const routeLines = [];
  let n = 0;
  for (let m = 0; m < 180; m++) {
    for (let r = 0; r < routes; r++) {
      routeLines.push(event(n++, base + m * 60_000 + r, { api: `api-${r % 10}`, path: `/r${r}/x`, route: `/r${r}/x`, clientIp: `10.0.${n % 50}.1`, principal: `p-${n % 50}` }));
    }
  }
  backtest('routes', routeLines);
  const routeBytes = used() - before;
  const routeKeys = keysByKind('routes');

  // 2. Clients: `clients` distinct clients (IP + principal), 3 calls each within one hour, on 20 routes.
  before = used();
  const clientLines = [];
  n = 0;
  for (let k = 0; k < 3; k++) {
    for (let c = 0; c < clients; c++) {
      clientLines.push(event(n++, base + k * 60_000 + Math.floor((c / clients) * 50 * 60_000), { api: 'accounts', path: `/users/${c}`, route: `/c${c % 20}/{id}`, clientIp: `10.${(c >> 16) & 255}.${(c >> 8) & 255}.${c & 255}`, principal: `user-${c}` }));
    }
  }
  backtest('clients', clientLines);
  const clientBytes = used() - before;
  const clientKeys = keysByKind('clients');

  const result = {
    routes: { routes, events: routeLines.length, eventHours: 3, bytes: routeBytes, bytesPerRoute: Math.round(routeBytes / routes), keys: routeKeys },
    clients: { clients, events: clientLines.length, bytes: clientBytes, bytesPerClient: Math.round(clientBytes / clients), keys: clientKeys },
    redis: cliRedis('info', 'server').match(/redis_version:(\S+)/)[1],
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  redis.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
