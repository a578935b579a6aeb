import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * package-lock.json must name every optional package its packages ask for
 * (rollup's and esbuild's per-platform binaries, fsevents): a lock made where
 * some were missing is rewritten by every `npm install` on a fresh clone, is
 * refused by `npm ci`, and leaves a macOS or arm64 user resolving packages
 * nobody locked.
 */
interface LockEntry {
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
}
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { lockfileVersion: number; packages: Record<string, LockEntry> };

/** Where Node would find `dep` from the package at `from`: its own node_modules, then each parent's. */
function resolve(from: string, dep: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${dep}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

describe('package-lock.json', () => {
  it('locks every optional dependency of every locked package', () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(entry.optionalDependencies ?? {})) if (!resolve(path, dep)) missing.push(`${path || '(root)'} → ${dep}`);
    }
    expect(lock.lockfileVersion).toBe(3);
    expect(missing).toEqual([]);
  });

  it('has native binaries for linux and darwin on x64 and arm64', () => {
    const platforms = new Set<string>();
    for (const entry of Object.values(lock.packages)) for (const os of entry.os ?? []) for (const cpu of entry.cpu ?? []) platforms.add(`${os}-${cpu}`);
    for (const platform of ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64']) expect(platforms, platform).toContain(platform);
    const rollup = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/@rollup/rollup-'));
    expect(rollup).toEqual(expect.arrayContaining(['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64'].map((s) => `node_modules/@rollup/rollup-${s}`)));
  });
});
