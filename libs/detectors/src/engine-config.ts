import { z } from 'zod';

/**
 * The settings of the engine itself, shared by every detector: the windows
 * and baselines it keeps and the caps that bound its state. Each detector's
 * own thresholds live in its module (detectors/<name>/index.ts); config.ts
 * composes both into the `detectors:` section users edit.
 */
const positiveInt = z.number().int().min(1);

export const engineConfigFields = {
  /** Minutes in the recent window that route-level detectors compare with the baseline. */
  windowMinutes: positiveInt.max(60).default(5),
  /** How late an event may arrive (event time) before its minute counts as closed. */
  latenessMs: z.number().int().min(0).max(600_000).default(30_000),
  /** Baselines need this many hours with traffic before baseline detectors may fire. */
  warmupHours: positiveInt.max(168).default(2),
  /** Hours of history summed into a route baseline. */
  baselineHours: positiveInt.max(168).default(24),
  /**
   * Route templates an api may have in a day (event time). Further new
   * routes that day are counted together as the route `{other}`: a flood of
   * random paths cannot become a flood of Redis keys.
   */
  maxRoutesPerApi: positiveInt.max(100_000).default(2_000),
  /**
   * Subjects (clients) whose checkpoints an api keeps per hour. Beyond it, a
   * subject's state lives in memory only (a restart starts it again): a
   * flood of random IPs or principals cannot grow Redis without bound.
   */
  maxSubjectsPerApiHour: positiveInt.max(10_000_000).default(100_000),
  enabled: z.record(z.string(), z.boolean()).default({}).describe('detector name → false to switch it off'),
  /** The API inventory (docs/inventory.md): its bound, and the OpenAPI specs teams declare for their apis. */
  inventory: z
    .object({
      /** Endpoints (method and route template) an api's inventory lists; further ones are counted but not listed. */
      maxEndpointsPerApi: positiveInt.max(100_000).default(5_000),
      /** Per api, the file of its current OpenAPI spec, or `{ current, previous: [files of earlier versions] }`. */
      specs: z.record(z.string(), z.union([z.string().min(1), z.object({ current: z.string().min(1), previous: z.array(z.string().min(1)).readonly().default([]) }).strict()])).default({}),
    })
    .strict()
    .default({}),
};

const engineConfigSchema = z.object(engineConfigFields).strict();

/** What every detector may read of the engine's settings (ctx.config). */
export type EngineConfig = z.output<typeof engineConfigSchema>;
