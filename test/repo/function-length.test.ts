import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The detection engine and the detector service stay readable: no function
 * (declaration, method, arrow or function expression) in their sources is
 * longer than a screen. Tests are not counted.
 */
const MAX_LINES = 80;
const repo = new URL('../../', import.meta.url).pathname;
const folders = ['libs/detectors/src', 'services/detector/src'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every function-like node of a file with its line count, longest first. */
export function functionLengths(path: string, text = readFileSync(path, 'utf8')): { where: string; lines: number }[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: { where: string; lines: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = (node as ts.FunctionLikeDeclaration).name?.getText(file) ?? '(anonymous)';
      found.push({ where: `${relative(repo, path)}:${start + 1} ${name}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found.sort((a, b) => b.lines - a.lines);
}

describe('function length', () => {
  it(`counts a function's lines from its first to its last`, () => {
    const text = 'function a() {\n  return 1;\n}\nconst b = () => {\n\n\n  return 2;\n};\n';
    expect(functionLengths('/x/a.ts', text).map((f) => f.lines)).toEqual([5, 3]);
  });

  it(`no function in ${folders.join(' or ')} is over ${MAX_LINES} lines`, () => {
    const all = folders.flatMap((f) => sources(join(repo, f))).flatMap((path) => functionLengths(path));
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((f) => f.lines > MAX_LINES)).toEqual([]);
  });
});
