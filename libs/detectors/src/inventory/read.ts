import type { Direction } from '@vigil/contracts';
import { createKeyspace, escapeKeyPart, scanKeys, unescapeKeyPart, type RedisClient } from '@vigil/redis';
import type { KeyParts } from '@vigil/state';
import { LATENCY_BINS, SIZE_BINS, histogramQuantile, latencyBinValue, sizeBinValue } from '../stats.js';
import { DAY } from '../units.js';
import { INVENTORY_DAYS, INVENTORY_FIELD as F, inventoryKeys, parseEndpointKey } from './keys.js';
import type { InventoryEndpoint } from './model.js';

export interface InventoryQuery {
  /** One api (else every api with an inventory). */
  api?: string;
  direction?: Direction;
  /** Only endpoints first seen at or after this time (epoch ms). */
  since?: number;
  /** The day the 7 days end with (epoch ms); default: the latest call any api of the inventory saw (works on backtest state). */
  now?: number;
}

type Pipeline = ReturnType<RedisClient['pipeline']>;

/**
 * Reads the inventory the detector keeps (inventory/keys.ts) straight from
 * Redis: per api its index, then per endpoint its last 7 days, distinct
 * callers and response shapes, one pipeline per api (one hash slot).
 */
export async function readInventory(redis: RedisClient, prefix: string, q: InventoryQuery = {}): Promise<InventoryEndpoint[]> {
  const keys = createKeyspace(prefix);
  const keyOf = (api: string, parts: KeyParts) => `${keys.key(api)}:${parts.map((p) => escapeKeyPart(String(p))).join(':')}`;
  const apis = q.api !== undefined ? [q.api] : await inventoryApis(redis, prefix);
  const now = q.now ?? (await latestCall(redis, apis, keyOf));
  const today = Math.floor(now / DAY);
  const days = Array.from({ length: INVENTORY_DAYS }, (_, k) => today - INVENTORY_DAYS + 1 + k);
  const out: InventoryEndpoint[] = [];
  for (const api of apis) {
    const index = await redis.hgetall(keyOf(api, inventoryKeys.index()));
    const endpoints = Object.entries(index)
      .map(([key, first]) => ({ key, first: Number(first), parsed: parseEndpointKey(key) }))
      .filter((e) => e.parsed && (q.direction === undefined || e.parsed.direction === q.direction) && (q.since === undefined || e.first >= q.since));
    const p = redis.pipeline();
    for (const e of endpoints) queueEndpoint(p, (parts) => keyOf(api, parts), e.key, days);
    const replies = ((await p.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return v;
    });
    const per = days.length + 4;
    endpoints.forEach((e, i) => {
      const entry = endpointOf(api, e.parsed!, e.first, days, replies.slice(i * per, (i + 1) * per));
      if (entry) out.push(entry);
    });
  }
  return out;
}

/** The apis that have an inventory: the hash tag of each `<prefix>:{<api>}:inv` key. */
async function inventoryApis(redis: RedisClient, prefix: string): Promise<string[]> {
  const found = await scanKeys(redis, `${prefix}:{*}:inv`);
  const apis = found.map((k) => unescapeKeyPart(k.slice(prefix.length + 2, k.length - '}:inv'.length)));
  return [...new Set(apis)].sort();
}

async function latestCall(redis: RedisClient, apis: readonly string[], keyOf: (api: string, parts: KeyParts) => string): Promise<number> {
  let latest = 0;
  for (const api of apis) latest = Math.max(latest, Number((await redis.hget(keyOf(api, inventoryKeys.apiMeta()), 'last')) ?? 0));
  return latest > 0 ? latest : Date.now();
}

function queueEndpoint(p: Pipeline, keyOf: (parts: KeyParts) => string, endpoint: string, days: readonly number[]): void {
  for (const day of days) p.hgetall(keyOf(inventoryKeys.day(endpoint, day)));
  p.pfcount(...days.map((d) => keyOf(inventoryKeys.principals(endpoint, d))));
  p.pfcount(...days.map((d) => keyOf(inventoryKeys.addresses(endpoint, d))));
  p.pfcount(...days.map((d) => keyOf(inventoryKeys.clients(endpoint, d))));
  p.hgetall(keyOf(inventoryKeys.shapes(endpoint)));
}

/** One endpoint from its replies (days' hashes, three distinct counts, shapes); undefined without a call in the days read. */
function endpointOf(api: string, id: { direction: Direction; method: string; route: string }, indexFirst: number, days: readonly number[], replies: unknown[]): InventoryEndpoint | undefined {
  const dayHashes = replies.slice(0, days.length).map((h) => numeric(h as Record<string, string>));
  const [principals, addresses, clients, shapes] = replies.slice(days.length) as [number, number, number, Record<string, string>];
  const sum = (field: string) => dayHashes.reduce((s, h) => s + (h[field] ?? 0), 0);
  const calls = sum(F.calls);
  if (calls === 0) return undefined;
  const statusCodes: Record<string, number> = {};
  const latency = new Array<number>(LATENCY_BINS).fill(0);
  const sizes = new Array<number>(SIZE_BINS).fill(0);
  for (const h of dayHashes) {
    for (const [field, n] of Object.entries(h)) {
      if (/^c\d{3}$/.test(field)) statusCodes[field.slice(1)] = (statusCodes[field.slice(1)] ?? 0) + n;
      else if (/^l\d+$/.test(field)) latency[Number(field.slice(1))]! += n;
      else if (/^b\d+$/.test(field)) sizes[Number(field.slice(1))]! += n;
    }
  }
  const firsts = dayHashes.map((h) => h[F.first]).filter((v): v is number => v !== undefined);
  const lasts = dayHashes.map((h) => h[F.last]).filter((v): v is number => v !== undefined);
  const lowest = dayHashes.map((h) => h[F.lowestRemaining]).filter((v): v is number => v !== undefined);
  return {
    api,
    ...id,
    firstSeen: Math.min(indexFirst, ...firsts),
    lastSeen: Math.max(...lasts),
    callsPerDay: days.map((d, k) => ({ day: new Date(d * DAY).toISOString().slice(0, 10), calls: dayHashes[k]![F.calls] ?? 0 })),
    calls,
    statusCodes,
    latencyMs: quantiles(latency, latencyBinValue),
    responseBytes: quantiles(sizes, sizeBinValue),
    signatures: shapesOf(shapes, 's:'),
    contentTypes: shapesOf(shapes, 't:'),
    authenticatedShare: sum(F.authenticated) / calls,
    anonymousServed: sum(F.anonymousServed),
    distinct: { principals, addresses, clients },
    ...(lowest.length > 0 ? { rateLimitLowestRemaining: Math.min(...lowest) / 10_000 } : {}),
  };
}

function numeric(h: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Number(v);
  return out;
}

function quantiles(bins: number[], value: (bin: number) => number): { p50: number; p95: number } | undefined {
  const p50 = histogramQuantile(bins, 0.5, value);
  const p95 = histogramQuantile(bins, 0.95, value);
  return p50 === undefined || p95 === undefined ? undefined : { p50: Math.round(p50 * 10) / 10, p95: Math.round(p95 * 10) / 10 };
}

function shapesOf(shapes: Record<string, string>, kind: 's:' | 't:'): { value: string; firstSeen: number }[] {
  return Object.entries(shapes)
    .filter(([k]) => k.startsWith(kind))
    .map(([k, t]) => ({ value: k.slice(2), firstSeen: Number(t) }))
    .sort((a, b) => a.firstSeen - b.firstSeen || (a.value < b.value ? -1 : 1));
}
