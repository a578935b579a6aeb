import { z } from 'zod';
import { allDetectors } from './detectors/index.js';
import { engineConfigFields } from './engine-config.js';
import type { AnyDetector } from './types.js';

/**
 * The `detectors:` section users edit: the engine's own settings
 * (engine-config.ts) and each detector's thresholds, from its module
 * (detectors/<name>/index.ts), under its name. Every value has a documented
 * default (docs/detectors.md); units are in the names.
 */
type ConfigSections<Detectors extends readonly AnyDetector[]> = { [D in Detectors[number] as D['name']]: D['configSchema'] };

function configSections<const Detectors extends readonly AnyDetector[]>(detectors: Detectors): ConfigSections<Detectors> {
  return Object.fromEntries(detectors.map((d) => [d.name, d.configSchema])) as ConfigSections<Detectors>;
}

export const detectorsConfigSchema = z.object({ ...engineConfigFields, ...configSections(allDetectors) }).strict();

export type DetectorsConfig = z.output<typeof detectorsConfigSchema>;

export const defaultDetectorsConfig: DetectorsConfig = Object.freeze(detectorsConfigSchema.parse({})) as DetectorsConfig;
