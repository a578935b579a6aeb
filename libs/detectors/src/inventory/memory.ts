import { BoundedMap } from '../lru.js';
import type { DeclaredSpecs } from './declared.js';

/**
 * What the engine holds of the inventory between batches (process-local,
 * bounded): first sightings read back once, each endpoint's history of the
 * previous days (read once a day), and the declared specs.
 */
export class InventoryMemory {
  readonly firstSeen = new BoundedMap<string, number>(50_000);
  readonly apiFirstSeen = new BoundedMap<string, number>(1_000);
  readonly history = new BoundedMap<string, { day: number; calls: number; authenticated: number }>(50_000);

  constructor(
    readonly maxEndpointsPerApi: number,
    readonly specs: DeclaredSpecs,
  ) {}
}
