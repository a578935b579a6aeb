/**
 * Module hooks for running the publisher's worker from TypeScript sources
 * (under vitest, where workspace packages resolve to src through the
 * `source` export condition). Registered only inside that worker, by
 * worker-transport.ts; the published package runs dist/send-worker.js and
 * never loads this file. Adds the `source` condition, maps a relative
 * `./x.js` import to `./x.ts` when only the source exists, and strips types
 * with esbuild (which vitest depends on).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

export async function resolve(specifier, context, nextResolve) {
  const withSource = { ...context, conditions: [...new Set([...context.conditions, 'source'])] };
  try {
    return await nextResolve(specifier, withSource);
  } catch (err) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !relative || !specifier.endsWith('.js')) throw err;
    return nextResolve(`${specifier.slice(0, -3)}.ts`, withSource);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: path, sourcemap: 'inline' });
  return { format: 'module', source: code, shortCircuit: true };
}
