#!/usr/bin/env node
/**
 * The import boundaries madge does not see (`npm run lint:cycles` runs both):
 * what ships and what measures never depends on test code, and what ships
 * never depends on the benchmarks.
 *   - bench/ imports nothing from test/;
 *   - libs/<name>/src and services/<name>/src import nothing from test/ or bench/.
 * An import is anything TypeScript's pre-processor finds (import and export
 * declarations, import() and require() of a literal) whose path lands in a
 * banned folder, or that names the bench package (@vigil/bench). Prints each
 * one with its file and line, and exits 1 if there is any.
 *
 *   node scripts/check-imports.mjs [root]      (default: this repository)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SOURCE = /\.(?:[cm]?[jt]s|tsx)$/;
const SKIPPED = new Set(['node_modules', 'dist']);

/** Who may not import from where: `from` picks the importing files by their path from the root. */
const RULES = [
  { from: (path) => path.startsWith('bench/'), what: 'bench/', banned: ['test'] },
  { from: (path) => /^(?:libs|services)\/[^/]+\/src\//.test(path), what: 'libs and services', banned: ['test', 'bench'] },
];

/** Every source file under `dir`, as paths from `root` with forward slashes. */
function sources(root, dir) {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : sources(root, path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The top folder of the repository an import lands in (undefined: a package other than bench, or outside the root). */
function landsIn(root, file, specifier, benchPackage) {
  if (specifier === benchPackage || specifier.startsWith(`${benchPackage}/`)) return 'bench';
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined;
  const target = relative(root, resolve(root, dirname(file), specifier)).split(sep).join('/');
  return target.startsWith('..') ? undefined : target.split('/')[0];
}

/** Every import across a boundary under `root`, as lines to print; and how many files were read. */
function crossings(root) {
  const benchManifest = join(root, 'bench/package.json');
  const benchPackage = existsSync(benchManifest) ? JSON.parse(readFileSync(benchManifest, 'utf8')).name : '@vigil/bench';
  const folders = ['libs', 'services'].flatMap((top) => (existsSync(join(root, top)) ? readdirSync(join(root, top)).map((name) => `${top}/${name}/src`) : []));
  const files = ['bench', ...folders].flatMap((dir) => sources(root, dir)).sort();
  const found = [];
  for (const file of files) {
    const rule = RULES.find((r) => r.from(file));
    if (!rule) continue;
    const text = readFileSync(join(root, file), 'utf8');
    for (const { fileName, pos } of ts.preProcessFile(text, true, true).importedFiles) {
      const folder = landsIn(root, file, fileName, benchPackage);
      if (!folder || !rule.banned.includes(folder)) continue;
      const line = text.slice(0, pos).split('\n').length;
      found.push(`${file}:${line} imports '${fileName}': ${rule.what} must not import from ${folder}/`);
    }
  }
  return { files: files.length, found };
}

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
const { files, found } = crossings(root);
if (found.length > 0) {
  process.stderr.write(`check-imports: ${found.length} import(s) across a boundary:\n${found.map((f) => `  ${f}\n`).join('')}`);
  process.exit(1);
}
process.stdout.write(`check-imports: ${files} files, none imports test/ into bench/, libs or services, nor bench/ into libs or services\n`);
