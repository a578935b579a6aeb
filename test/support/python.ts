import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './prometheus.js';

/** The requirements of the Python clients the interop tests run (test/interop). */
export const interopDir = join(repo, 'test/interop');

/**
 * The python of a virtualenv holding test/interop/requirements.txt from PyPI,
 * made once under .stack/cache (again when the requirements change). It is
 * built beside its final place and renamed into it, so a run stopped midway
 * leaves nothing half-installed.
 */
export function interopPython(): string {
  const requirements = join(interopDir, 'requirements.txt');
  const digest = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
  const cache = join(repo, '.stack/cache');
  const venv = join(cache, `python-interop-${digest}`);
  const python = join(venv, 'bin/python');
  if (existsSync(python)) return python;

  mkdirSync(cache, { recursive: true });
  const building = `${venv}.tmp-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const step = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error?.message}):\n${(r.stdout ?? '').slice(-2000)}${(r.stderr ?? '').slice(-2000)}`);
  };
  step('python3', ['-m', 'venv', building]);
  step(join(building, 'bin/python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]);
  // Only `bin/python -m …` is used, which finds its venv beside itself wherever the folder is.
  renameSync(building, venv);
  return python;
}
