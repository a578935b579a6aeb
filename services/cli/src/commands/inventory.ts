import type { Direction } from '@vigil/contracts';
import { inventoryToOpenApi, inventoryToOpenApiByApi, readInventory, type InventoryEndpoint } from '@vigil/detectors';
import { closeRedis, connectRedis, createRedis } from '@vigil/redis';

export type InventorySort = 'calls' | 'first-seen' | 'unauthenticated';

export interface InventoryOptions {
  redisUrl: string;
  clusterNodes?: string[];
  prefix: string;
  api?: string;
  direction?: Direction;
  since?: { at: number } | { backMs: number };
  sort: InventorySort;
  format: 'table' | 'json' | 'openapi';
}

/** `vigil inventory`: the endpoints the detector (or a backtest with --redis) has seen, read from Redis. */
export async function runInventory(o: InventoryOptions, out: (text: string) => void): Promise<{ endpoints: number; apis: number }> {
  const redis = createRedis({ url: o.redisUrl, clusterNodes: o.clusterNodes, connectionName: 'vigil-inventory' });
  try {
    await connectRedis(redis);
    const all = await readInventory(redis, o.prefix, { api: o.api, direction: o.direction });
    const endpoints = sortEndpoints(o.since ? all.filter((e) => e.firstSeen >= sinceTime(o.since!, all)) : all, o.sort);
    if (o.format === 'json') out(`${JSON.stringify(endpoints, null, 2)}\n`);
    else if (o.format === 'openapi') out(`${JSON.stringify(openApiOf(endpoints, o.api), null, 2)}\n`);
    else out(inventoryTable(endpoints));
    return { endpoints: endpoints.length, apis: new Set(endpoints.map((e) => e.api)).size };
  } finally {
    await closeRedis(redis);
  }
}

/** A span is counted back from the latest call the inventory saw (wall clock time would miss backtest state). */
function sinceTime(since: NonNullable<InventoryOptions['since']>, endpoints: readonly InventoryEndpoint[]): number {
  return 'at' in since ? since.at : Math.max(0, ...endpoints.map((e) => e.lastSeen)) - since.backMs;
}

/** One document for one api; with several and no --api, an object of documents by api. */
function openApiOf(endpoints: readonly InventoryEndpoint[], api: string | undefined): unknown {
  const generatedAt = Math.max(0, ...endpoints.map((e) => e.lastSeen));
  const apis = [...new Set(endpoints.map((e) => e.api))];
  if (api !== undefined || apis.length === 1) return inventoryToOpenApi(endpoints, { api: api ?? apis[0], generatedAt });
  return Object.fromEntries(inventoryToOpenApiByApi(endpoints, { generatedAt }));
}

export function sortEndpoints(endpoints: InventoryEndpoint[], by: InventorySort): InventoryEndpoint[] {
  const key: Record<InventorySort, (e: InventoryEndpoint) => number> = {
    calls: (e) => -e.calls,
    'first-seen': (e) => -e.firstSeen,
    unauthenticated: (e) => e.authenticatedShare,
  };
  return [...endpoints].sort((a, b) => key[by](a) - key[by](b) || a.api.localeCompare(b.api) || a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
}

/** A terminal's control characters and escapes in traffic text (routes, apis) are shown, not obeyed. */
function printable(text: string, max: number): string {
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length <= max ? safe : `${safe.slice(0, max - 1)}…`;
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
const when = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

/** The inventory as a table for people: one line per endpoint. */
export function inventoryTable(endpoints: readonly InventoryEndpoint[]): string {
  const header = ['API', 'DIR', 'METHOD', 'ROUTE', 'CALLS', 'AUTH', 'STATUS', 'P95 MS', 'FIRST SEEN', 'LAST SEEN'];
  const rows = endpoints.map((e) => [
    printable(e.api, 24),
    e.direction === 'inbound' ? 'in' : 'out',
    e.method,
    printable(e.route, 60),
    String(e.calls),
    percent(e.authenticatedShare),
    topStatuses(e.statusCodes),
    e.latencyMs ? String(e.latencyMs.p95) : '-',
    when(e.firstSeen),
    when(e.lastSeen),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line), `${endpoints.length} endpoints`].join('\n') + '\n';
}

/** The three most frequent status codes with their shares: `200 92% 404 6% 500 2%`. */
function topStatuses(codes: Readonly<Record<string, number>>): string {
  const total = Object.values(codes).reduce((s, n) => s + n, 0);
  return Object.entries(codes)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 3)
    .map(([code, n]) => `${code} ${percent(n / total)}`)
    .join(' ');
}
