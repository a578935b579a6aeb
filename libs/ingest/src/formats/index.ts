import type { FormatName, LogFormat } from '../types.js';
import { alb } from './alb.js';
import { combined } from './combined.js';
import { envoy } from './envoy.js';
import { kong } from './kong.js';
import { nginxJson } from './nginx-json.js';
import { vigil } from './vigil.js';

/** Every built-in format by its `--format` name (a `--map` file makes the `map` one: mappedFormat). */
export const formats: Readonly<Record<Exclude<FormatName, 'map'>, LogFormat>> = Object.freeze({
  vigil,
  combined,
  'nginx-json': nginxJson,
  envoy,
  alb,
  kong,
});

export { alb, combined, envoy, kong, nginxJson, vigil };
export { loadMapSpec, mappedFormat, parseMapSpec, type MapSpec } from './mapped.js';
