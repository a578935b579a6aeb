import { createHash } from 'node:crypto';

/**
 * The response signature of ApiTransaction v1: a hash of the sorted key
 * paths of a JSON body (`id`, `items[]`, `items[].price`), so the detector
 * can tell when a route starts answering with a different shape. Values never
 * enter it. Arrays contribute the union of their elements' paths; depth,
 * elements looked at and paths kept are bounded so a large body costs little.
 */
export interface SignatureLimits {
  maxDepth: number;
  maxArrayItems: number;
  maxPaths: number;
}

export const defaultSignatureLimits: SignatureLimits = Object.freeze({ maxDepth: 8, maxArrayItems: 20, maxPaths: 512 });

export function keyPaths(body: unknown, limits: SignatureLimits = defaultSignatureLimits): string[] {
  const paths = new Set<string>();
  const walk = (value: unknown, prefix: string, depth: number): void => {
    if (paths.size >= limits.maxPaths || depth > limits.maxDepth || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      const path = `${prefix}[]`;
      paths.add(path);
      for (let i = 0; i < value.length && i < limits.maxArrayItems; i++) walk(value[i], path, depth + 1);
      return;
    }
    for (const key of Object.keys(value)) {
      if (paths.size >= limits.maxPaths) return;
      const path = prefix ? `${prefix}.${key}` : key;
      paths.add(path);
      walk((value as Record<string, unknown>)[key], path, depth + 1);
    }
  };
  walk(body, '', 0);
  return [...paths].sort();
}

/** 16 hex characters of SHA-256 over the sorted key paths; undefined for a body that is not an object or array. */
export function responseSignature(body: unknown, limits?: SignatureLimits): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  return createHash('sha256').update(keyPaths(body, limits).join('\n')).digest('hex').slice(0, 16);
}
