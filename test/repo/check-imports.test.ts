import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * scripts/check-imports.mjs, which `npm run lint:cycles` runs after madge:
 * no import from test/ into bench/, libs or services, and none from bench/
 * into libs or services. Run as the script runs, on fixture trees and on
 * the repository.
 */
const script = fileURLToPath(new URL('../../scripts/check-imports.mjs', import.meta.url));
const repo = fileURLToPath(new URL('../../', import.meta.url));

function check(root: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let trees: string[] = [];
/** A throwaway repository holding these files. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'vigil-imports-'));
  trees.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

afterEach(() => {
  for (const root of trees) rmSync(root, { recursive: true, force: true });
  trees = [];
});

// Each case starts Node and TypeScript's scanner: a few seconds on a loaded 2-core host.
describe('the import boundary check', { timeout: 30_000 }, () => {
  it('fails on an import from test/ into bench/, naming the file, the line and the import', () => {
    const root = tree({
      'bench/src/soak.ts': "import { spawn } from 'node:child_process';\nimport { runSoak } from '../../test/soak/soak-rig.js';\n",
      'test/soak/soak-rig.ts': 'export const runSoak = 1;\n',
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("bench/src/soak.ts:2 imports '../../test/soak/soak-rig.js': bench/ must not import from test/");
  });

  it('fails on every form of import from test/ or bench/ into libs and services', () => {
    const root = tree({
      'libs/state/src/store.ts': "export { waitFor } from '../../../test/support/helpers.js';\nimport type { X } from '../../../test/x.js';\n",
      'libs/state/src/store.test.ts': "import { benchTraffic } from '../../../bench/src/traffic.js';\n",
      'services/detector/src/main.ts': "const m = await import('@vigil/bench');\nconst t = require('../../../test/y.js');\nimport '@vigil/bench/dist/soak.js';\n",
    });
    const r = check(root);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n').slice(1).map((l) => l.trim());
    expect(lines).toEqual([
      "libs/state/src/store.test.ts:1 imports '../../../bench/src/traffic.js': libs and services must not import from bench/",
      "libs/state/src/store.ts:1 imports '../../../test/support/helpers.js': libs and services must not import from test/",
      "libs/state/src/store.ts:2 imports '../../../test/x.js': libs and services must not import from test/",
      "services/detector/src/main.ts:1 imports '@vigil/bench': libs and services must not import from bench/",
      "services/detector/src/main.ts:2 imports '../../../test/y.js': libs and services must not import from test/",
      "services/detector/src/main.ts:3 imports '@vigil/bench/dist/soak.js': libs and services must not import from bench/",
    ]);
  });

  it('allows what crosses no boundary: test/ importing bench/ and libs, bench/ importing libs, libs importing each other, comments', () => {
    const root = tree({
      'test/soak/knobs.test.ts': "import { soakKnobs } from '../../bench/src/soak-knobs.js';\n",
      'bench/src/soak-knobs.ts': "import { benchTraffic } from '@vigil/simulator';\nimport { x } from '../../libs/simulator/src/index.js';\n",
      'libs/detectors/src/testing.ts': "import { steadyTraffic } from '@vigil/simulator';\n// import { waitFor } from '../../../test/support/helpers.js';\n",
      'services/cli/src/main.ts': "import { tx } from '../../../libs/detectors/src/testing.js';\n",
    });
    const r = check(root);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('check-imports: 3 files');
  });

  it('passes on the repository', () => {
    const r = check(repo);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
