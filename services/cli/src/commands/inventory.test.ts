import { describe, expect, it } from 'vitest';
import type { InventoryEndpoint } from '@vigil/detectors';
import { inventoryTable, sortEndpoints } from './inventory.js';

const endpoint = (o: Partial<InventoryEndpoint>): InventoryEndpoint => ({
  api: 'orders',
  direction: 'inbound',
  method: 'GET',
  route: '/orders/{id}',
  firstSeen: Date.UTC(2026, 10, 18, 10),
  lastSeen: Date.UTC(2026, 10, 19, 9, 59),
  callsPerDay: [],
  calls: 100,
  statusCodes: { '200': 90, '404': 8, '503': 2 },
  latencyMs: { p50: 20, p95: 45.3 },
  responseBytes: { p50: 2000, p95: 2600 },
  signatures: [],
  contentTypes: [],
  authenticatedShare: 1,
  anonymousServed: 0,
  distinct: { principals: 40, addresses: 38, clients: 0 },
  ...o,
});

describe('vigil inventory output', () => {
  it('prints one line per endpoint with its calls, authenticated share, top statuses and times', () => {
    const text = inventoryTable([endpoint({})]);
    const [header, row, total] = text.trimEnd().split('\n');
    expect(header).toMatch(/^API\s+DIR\s+METHOD\s+ROUTE\s+CALLS\s+AUTH\s+STATUS/);
    expect(row).toMatch(/^orders\s+in\s+GET\s+\/orders\/\{id\}\s+100\s+100%\s+200 90% 404 8% 503 2%\s+45\.3\s+2026-11-18 10:00\s+2026-11-19 09:59$/);
    expect(total).toBe('1 endpoints');
  });

  it('shows control characters of routes and apis from traffic as text, and cuts long routes', () => {
    const text = inventoryTable([endpoint({ api: 'evil\u001b[2J', route: `/a\r\n/${'x'.repeat(200)}` })]);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('evil\\x1b[2J');
    expect(text).toContain('/a\\x0d\\x0a/');
    expect(text.split('\n')[1]!.length).toBeLessThan(200);
  });

  it('sorts by calls, by first seen (latest first) and by authenticated share (least first)', () => {
    const a = endpoint({ route: '/a', calls: 5, firstSeen: 3, authenticatedShare: 0.2 });
    const b = endpoint({ route: '/b', calls: 50, firstSeen: 1, authenticatedShare: 0.9 });
    const c = endpoint({ route: '/c', calls: 10, firstSeen: 2, authenticatedShare: 0.5 });
    expect(sortEndpoints([a, b, c], 'calls').map((e) => e.route)).toEqual(['/b', '/c', '/a']);
    expect(sortEndpoints([a, b, c], 'first-seen').map((e) => e.route)).toEqual(['/a', '/c', '/b']);
    expect(sortEndpoints([a, b, c], 'unauthenticated').map((e) => e.route)).toEqual(['/a', '/c', '/b']);
  });
});
