import { appendFileSync, mkdtempSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Follower, type FollowChunk } from './follower.js';

const dir = () => mkdtempSync(join(tmpdir(), 'vigil-follow-'));
const open: Follower[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

async function follower(path: string, warnings: string[] = [], extra: Partial<Parameters<typeof Follower.open>[0]> = {}): Promise<Follower> {
  const f = await Follower.open({ path, pollMs: 10, warn: (w) => warnings.push(w), ...extra });
  open.push(f);
  return f;
}

/** Reads until `count` lines have come (committing each chunk), or fails after 5 s. */
async function readLines(f: Follower, count: number, commit = true): Promise<{ texts: string[]; chunks: FollowChunk[] }> {
  const texts: string[] = [];
  const chunks: FollowChunk[] = [];
  const deadline = Date.now() + 5000;
  while (texts.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${texts.length} of ${count} lines: ${JSON.stringify(texts)}`);
    const chunk = await f.next(1000, 100);
    if (!chunk || chunk.lines.length === 0) continue;
    texts.push(...chunk.lines.map((l) => (l.tooLong ? `<too long ${l.number}>` : l.text)));
    chunks.push(chunk);
    if (commit) await f.commit(chunk);
  }
  return { texts, chunks };
}

describe('Follower: a growing log file, as tail -F follows it', () => {
  it('reads lines as they are appended, waits for a line to end, and numbers them', async () => {
    const path = join(dir(), 'access.log');
    writeFileSync(path, 'one\ntwo\nthr');
    const f = await follower(path);
    const first = await readLines(f, 2);
    expect(first.texts).toEqual(['one', 'two']);
    expect(await f.next(10, 50)).toMatchObject({ lines: [] });
    appendFileSync(path, 'ee\r\nfour\n');
    const { texts, chunks } = await readLines(f, 2);
    expect(texts).toEqual(['three', 'four']);
    expect(chunks[0]!.lines.map((l) => l.number)).toEqual([3, 4]);
    expect(chunks[0]!.lines[0]!.id).toMatch(/^access\.log:[0-9a-z]+:8$/);
    expect(chunks[0]!.end).toEqual({ offset: 20, line: 4 });
  });

  it('resumes after the last commit: a restart sends nothing twice and misses nothing', async () => {
    const path = join(dir(), 'app.log');
    writeFileSync(path, 'a\nb\nc\n');
    const f = await follower(path);
    const chunk = (await f.next(2))!;
    expect(chunk.lines.map((l) => l.text)).toEqual(['a', 'b']);
    await f.commit(chunk);
    await f.close();
    const state = JSON.parse(readFileSync(`${path}.vigil-offset`, 'utf8'));
    expect(state).toMatchObject({ version: 1, path, offset: 4, line: 2 });
    appendFileSync(path, 'd\n');
    const again = await follower(path);
    const { texts, chunks } = await readLines(again, 2);
    expect(texts).toEqual(['c', 'd']);
    expect(chunks[0]!.lines[0]!.number).toBe(3);
    expect(chunks[0]!.lines[0]!.id).toBe(chunk.lines[0]!.id.replace(/:0$/, ':4'));
  });

  it('a rotated file (renamed, a new one created) is read to its end, then the new one from its start', async () => {
    const d = dir();
    const path = join(d, 'access.log');
    writeFileSync(path, 'old-1\n');
    const warnings: string[] = [];
    const f = await follower(path, warnings);
    expect((await readLines(f, 1)).texts).toEqual(['old-1']);
    renameSync(path, join(d, 'access.log.1'));
    appendFileSync(join(d, 'access.log.1'), 'old-2 written after the rename\nold-3 unterminated');
    writeFileSync(path, 'new-1\n');
    const { texts, chunks } = await readLines(f, 3);
    expect(texts).toEqual(['old-2 written after the rename', 'old-3 unterminated', 'new-1']);
    expect(chunks.at(-1)!.lines.at(-1)!.number).toBe(1);
    expect(warnings.join('\n')).toMatch(/was rotated/);
  });

  it('a file truncated in place (copytruncate) is read again from its start', async () => {
    const path = join(dir(), 'access.log');
    writeFileSync(path, 'one\ntwo\n');
    const warnings: string[] = [];
    const f = await follower(path, warnings);
    await readLines(f, 2);
    truncateSync(path, 0);
    appendFileSync(path, 'after\n');
    expect((await readLines(f, 1)).texts).toEqual(['after']);
    expect(warnings.join('\n')).toMatch(/was truncated/);
  });

  it('rotated while vigil was stopped: the rest of the rotated file first, found beside it by inode, then the new one', async () => {
    const d = dir();
    const path = join(d, 'access.log');
    writeFileSync(path, 'a\nb\n');
    const f = await follower(path);
    const chunk = (await f.next(1))!;
    await f.commit(chunk);
    await f.close();
    appendFileSync(path, 'c\n');
    renameSync(path, join(d, 'access.log.1'));
    writeFileSync(path, 'd\n');
    const warnings: string[] = [];
    const again = await follower(path, warnings);
    expect((await readLines(again, 3)).texts).toEqual(['b', 'c', 'd']);
    expect(warnings[0]).toMatch(/rotated while vigil was stopped: reading the rest of .*access\.log\.1 first/);
  });

  it('a line over the limit is skipped and said to be too long; bytes that are not UTF-8 become U+FFFD', async () => {
    const path = join(dir(), 'access.log');
    writeFileSync(path, Buffer.concat([Buffer.from(`ok\n${'x'.repeat(300)}\n`), Buffer.from([0x63, 0x61, 0x66, 0xff, 0x0a])]));
    const f = await follower(path, [], { maxLineBytes: 100, readBytes: 64 });
    expect((await readLines(f, 3)).texts).toEqual(['ok', '<too long 2>', 'caf\uFFFD']);
  });

  it('starts at the end with fromEnd and no offset file; refuses an offset file of another path', async () => {
    const d = dir();
    const path = join(d, 'access.log');
    writeFileSync(path, 'history\n');
    const f = await follower(path, [], { fromEnd: true });
    appendFileSync(path, 'fresh\n');
    expect((await readLines(f, 1)).texts).toEqual(['fresh']);
    writeFileSync(join(d, 'other.log'), '');
    await expect(Follower.open({ path: join(d, 'other.log'), offsetFile: `${path}.vigil-offset` })).rejects.toThrow(/belongs to .*access\.log, not .*other\.log/);
  });
});
