import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { open, readdir, rename, stat, readFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VigilError } from '@vigil/errors';

/**
 * Follows a growing log file as `tail -F` does, for a publisher that must send every line once:
 *
 * - it reads what is appended, in chunks of whole lines (a line still being written waits for its
 *   newline), holding at most `readBytes` plus one line (`maxLineBytes`) in memory;
 * - a file **truncated** in place (logrotate's copytruncate) is read again from its start;
 * - a file **rotated** (renamed, and a new one created under the name) is read to its end first, and the
 *   new file once the old one has been quiet for a poll (a writer may still be finishing its lines);
 * - its position is kept in an **offset file** (JSON, written atomically: a temporary file, fsync,
 *   rename) that the caller commits once what it read is safely elsewhere; a restart resumes after the
 *   last commit: in the same file if it is still there, or, when the file was rotated while stopped,
 *   in the rotated file found beside it (same device and inode, same first bytes), then the new one.
 *
 * A line's id is `<file name>:<inode, base 36>:<byte offset of the line>`: the same line gets the same id
 * on every read, and no two lines of the file's life share one.
 */

export interface FollowOptions {
  path: string;
  /** Where the position is kept; default `<path>.vigil-offset` beside the file. */
  offsetFile?: string;
  /** How often an idle file is checked for growth, rotation and truncation (default 250 ms). */
  pollMs?: number;
  /** Bytes read at a time (default 256 KiB). */
  readBytes?: number;
  /** A longer line is skipped, and reported as too long (default 1 MiB). */
  maxLineBytes?: number;
  /** With no offset file, start at the file's end instead of its start. */
  fromEnd?: boolean;
  /** Said once per event worth a person's attention (a rotation, a truncation, lines that could not be recovered). */
  warn?: (message: string) => void;
  signal?: AbortSignal;
}

/** Which file: device, inode, and a digest of its first bytes (an inode can be reused by a later file). */
export interface FileIdentity {
  dev: number;
  ino: number;
  head: string;
  headBytes: number;
}

/** What the offset file holds. `pending` is the caller's (what it was sending when it stopped). */
export interface FollowState {
  version: 1;
  path: string;
  file: FileIdentity;
  /** Byte offset after the last committed line. */
  offset: number;
  /** Lines committed in this file. */
  line: number;
  pending?: unknown;
  updatedAt: string;
}

export interface FollowedLine {
  /** The line's text (UTF-8; bytes that are not UTF-8 become U+FFFD), without its newline; '' when too long. */
  text: string;
  number: number;
  id: string;
  /** The line was longer than `maxLineBytes` and skipped. */
  tooLong?: boolean;
}

/** Whole lines of one file, and where the file stands after them (what to commit once they are sent). */
export interface FollowChunk {
  lines: FollowedLine[];
  file: FileIdentity;
  path: string;
  end: { offset: number; line: number };
}

interface Open {
  handle: FileHandle;
  path: string;
  id: FileIdentity;
  name: string;
  /** Where the next read starts. */
  readAt: number;
  /** Bytes of a line not yet ended, and the offset where it starts. */
  carry: Buffer[];
  carryBytes: number;
  carryStart: number;
  /** Skipping the rest of a line over the limit. */
  skipping: boolean;
  line: number;
  /** A rotation was seen while this file was at its end (switch if it stays quiet one more poll). */
  rotatedSeen: boolean;
}

const HEAD_BYTES = 256;

export class Follower {
  private current!: Open;
  /** Files to read after the current one (the new file, after a rotated one found at start). */
  private readonly after: string[] = [];
  private readonly queue: FollowedLine[] = [];
  private queueEnd = { offset: 0, line: 0 };
  private buffer: Buffer | undefined;
  private readonly pollMs: number;
  private readonly readBytes: number;
  private readonly maxLineBytes: number;
  readonly offsetFile: string;
  /** The offset file as found at start (undefined: none). */
  readonly resumedFrom: FollowState | undefined;

  private constructor(
    private readonly o: FollowOptions,
    resumed: FollowState | undefined,
  ) {
    this.pollMs = o.pollMs ?? 250;
    this.readBytes = o.readBytes ?? 256 * 1024;
    this.maxLineBytes = o.maxLineBytes ?? 1024 * 1024;
    this.offsetFile = o.offsetFile ?? `${o.path}.vigil-offset`;
    this.resumedFrom = resumed;
  }

  /** Opens the file (waiting for it to appear) at the position the offset file says. */
  static async open(o: FollowOptions): Promise<Follower> {
    const offsetFile = o.offsetFile ?? `${o.path}.vigil-offset`;
    const state = await readState(offsetFile);
    if (state && state.path !== o.path) throw new VigilError('VIGIL_ARGUMENT', `offset file ${offsetFile} belongs to ${state.path}, not ${o.path} (give each followed file its own --offset-file)`);
    const f = new Follower(o, state);
    await f.start(state);
    return f;
  }

  private warn(message: string): void {
    this.o.warn?.(message);
  }

  private async start(state: FollowState | undefined): Promise<void> {
    const path = this.o.path;
    const st = await this.waitForFile(path);
    if (!st) return this.openAt(path, 0, 0); // aborted while waiting: an empty follow
    if (state && st.dev === state.file.dev && st.ino === state.file.ino && (await headMatches(path, state.file))) {
      if (st.size >= state.offset) return this.openAt(path, state.offset, state.line);
      this.warn(`${path} is shorter (${st.size} bytes) than where vigil stopped (${state.offset}): it was truncated; reading it from its start`);
      return this.openAt(path, 0, 0);
    }
    if (state) {
      const rotated = await findRotated(path, state.file);
      if (rotated) {
        this.warn(`${path} was rotated while vigil was stopped: reading the rest of ${rotated} first`);
        this.after.push(path);
        return this.openAt(rotated, state.offset, state.line);
      }
      this.warn(`the file vigil was reading as ${path} (inode ${state.file.ino}) is gone: what was appended to it after byte ${state.offset} is lost; reading the new ${path} from its start`);
      return this.openAt(path, 0, 0);
    }
    return this.openAt(path, this.o.fromEnd ? st.size : 0, 0);
  }

  private async waitForFile(path: string): Promise<Stats | undefined> {
    let said = false;
    for (;;) {
      try {
        return await stat(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (!said) this.warn(`${path} does not exist yet: waiting for it`);
        said = true;
      }
      if (!(await this.pause())) return undefined;
    }
  }

  private async openAt(path: string, offset: number, line: number): Promise<void> {
    const handle = await open(path, constants.O_RDONLY);
    const st = await handle.stat();
    this.current = {
      handle,
      path,
      id: { dev: st.dev, ino: st.ino, ...(await headOf(handle, st.size)) },
      name: basename(this.o.path),
      readAt: offset,
      carry: [],
      carryBytes: 0,
      carryStart: offset,
      skipping: false,
      line,
      rotatedSeen: false,
    };
    this.queueEnd = { offset, line };
  }

  /** Where the follower stands now (after `open`: where it will start reading), as a chunk's end to commit. */
  position(): Pick<FollowChunk, 'file' | 'path' | 'end'> {
    return { file: this.current.id, path: this.current.path, end: { ...this.queueEnd } };
  }

  /** Waits one poll; false once aborted. */
  private async pause(): Promise<boolean> {
    if (this.o.signal?.aborted) return false;
    try {
      await sleep(this.pollMs, undefined, { signal: this.o.signal });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The next lines, at most `maxLines`, of one file, waiting for them (up to `waitMs` when given: then
   * possibly none); undefined once aborted.
   */
  async next(maxLines: number, waitMs?: number): Promise<FollowChunk | undefined> {
    const deadline = waitMs === undefined ? Infinity : Date.now() + waitMs;
    for (;;) {
      if (this.queue.length > 0) return this.take(maxLines);
      if (this.o.signal?.aborted) return undefined;
      if (await this.read()) continue;
      if (await this.checkFile()) continue;
      if (Date.now() >= deadline) return { lines: [], file: this.current.id, path: this.current.path, end: { ...this.queueEnd } };
      if (!(await this.pause())) return undefined;
    }
  }

  private take(maxLines: number): FollowChunk {
    const lines = this.queue.splice(0, maxLines);
    // The end of the chunk: after its last line (the lines left in the queue start there).
    const end = this.queue.length === 0 ? { ...this.queueEnd } : { offset: startOf(this.queue[0]!), line: lines[lines.length - 1]!.number };
    return { lines, file: this.current.id, path: this.current.path, end };
  }

  /** Reads what was appended; true when it read anything. */
  private async read(): Promise<boolean> {
    const c = this.current;
    // Reused: every line is decoded (or, unfinished, copied) before the next read.
    this.buffer ??= Buffer.allocUnsafe(this.readBytes);
    const buf = this.buffer;
    const { bytesRead } = await c.handle.read(buf, 0, buf.length, c.readAt);
    if (bytesRead === 0) return false;
    c.rotatedSeen = false;
    const data = buf.subarray(0, bytesRead);
    let from = 0;
    for (;;) {
      const nl = data.indexOf(10, from);
      if (nl < 0) break;
      const endOffset = c.readAt + nl + 1;
      if (c.skipping) {
        c.skipping = false;
        this.push(c, '', c.carryStart, endOffset, true);
      } else {
        const piece = data.subarray(from, nl);
        const bytes = c.carryBytes > 0 ? Buffer.concat([...c.carry, piece]) : piece;
        this.push(c, decodeLine(bytes), c.carryStart, endOffset, bytes.length > this.maxLineBytes);
      }
      c.carry = [];
      c.carryBytes = 0;
      c.carryStart = endOffset;
      from = nl + 1;
    }
    if (from < data.length && !c.skipping) {
      const rest = Buffer.from(data.subarray(from));
      if (c.carryBytes + rest.length > this.maxLineBytes) {
        c.skipping = true;
        c.carry = [];
        c.carryBytes = 0;
      } else {
        c.carry.push(rest);
        c.carryBytes += rest.length;
      }
    }
    c.readAt += bytesRead;
    return true;
  }

  private push(c: Open, text: string, start: number, end: number, tooLong: boolean): void {
    c.line++;
    this.queue.push({ text: tooLong ? '' : text, number: c.line, id: `${c.name}:${c.id.ino.toString(36)}:${start}`, ...(tooLong ? { tooLong: true } : {}) });
    this.queueEnd = { offset: end, line: c.line };
  }

  /** At the end of the current file: truncated, rotated, or the next queued file; true when it moved to other bytes. */
  private async checkFile(): Promise<boolean> {
    const c = this.current;
    const size = (await c.handle.stat()).size;
    if (size < c.readAt) {
      this.warn(`${c.path} was truncated (now ${size} bytes, vigil had read ${c.readAt}): reading it from its start`);
      await c.handle.close();
      await this.openAt(c.path, 0, 0);
      return true;
    }
    const next = this.after[0];
    if (next !== undefined) {
      // A rotated file found at start: nothing more will be written to it.
      this.flushCarry(c);
      if (this.queue.length > 0) return true;
      this.after.shift();
      await c.handle.close();
      await this.openAt(next, 0, 0);
      return true;
    }
    let st;
    try {
      st = await stat(this.o.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // moved away, not created again yet
      throw err;
    }
    if (st.dev === c.id.dev && st.ino === c.id.ino) return false;
    if (!c.rotatedSeen) {
      // Rotated: give the old file one more poll for a writer still finishing its lines.
      c.rotatedSeen = true;
      return false;
    }
    this.warn(`${this.o.path} was rotated: read ${c.path === this.o.path ? 'the old file' : c.path} to its end (${c.readAt} bytes); following the new one`);
    this.flushCarry(c);
    if (this.queue.length > 0) return true;
    await c.handle.close();
    await this.openAt(this.o.path, 0, 0);
    return true;
  }

  /** A file that will not grow again: its last line, if it has no newline, is a line. */
  private flushCarry(c: Open): void {
    if (c.carryBytes === 0 && !c.skipping) return;
    const bytes = Buffer.concat(c.carry);
    this.push(c, decodeLine(bytes), c.carryStart, c.readAt, c.skipping);
    c.carry = [];
    c.carryBytes = 0;
    c.carryStart = c.readAt;
    c.skipping = false;
  }

  /** Records that everything up to `chunk.end` is done (and what the caller is about to do next, if anything). */
  async commit(chunk: Pick<FollowChunk, 'file' | 'path' | 'end'>, pending?: unknown): Promise<void> {
    const file = chunk.file.headBytes < HEAD_BYTES ? await this.refreshHead(chunk) : chunk.file;
    const state: FollowState = { version: 1, path: this.o.path, file, offset: chunk.end.offset, line: chunk.end.line, ...(pending === undefined ? {} : { pending }), updatedAt: new Date().toISOString() };
    await writeAtomically(this.offsetFile, `${JSON.stringify(state)}\n`);
  }

  /** A file that had fewer than 256 bytes when opened: its head, now. */
  private async refreshHead(chunk: Pick<FollowChunk, 'file' | 'path'>): Promise<FileIdentity> {
    const c = this.current;
    if (c.id.dev !== chunk.file.dev || c.id.ino !== chunk.file.ino) return chunk.file;
    const size = (await c.handle.stat()).size;
    c.id = { dev: c.id.dev, ino: c.id.ino, ...(await headOf(c.handle, size)) };
    return c.id;
  }

  async close(): Promise<void> {
    await this.current?.handle.close().catch(() => undefined);
  }
}

const startOf = (l: FollowedLine) => Number(l.id.slice(l.id.lastIndexOf(':') + 1));

const utf8 = new TextDecoder('utf-8', { fatal: false });
function decodeLine(bytes: Buffer): string {
  const n = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  return utf8.decode(bytes.subarray(0, n));
}

async function headOf(handle: FileHandle, size: number): Promise<{ head: string; headBytes: number }> {
  const n = Math.min(size, HEAD_BYTES);
  const buf = Buffer.alloc(n);
  if (n > 0) await handle.read(buf, 0, n, 0);
  return { head: createHash('sha256').update(buf).digest('hex').slice(0, 16), headBytes: n };
}

async function headMatches(path: string, id: FileIdentity): Promise<boolean> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    const size = (await handle.stat()).size;
    if (size < id.headBytes) return false;
    const buf = Buffer.alloc(id.headBytes);
    if (id.headBytes > 0) await handle.read(buf, 0, id.headBytes, 0);
    return createHash('sha256').update(buf).digest('hex').slice(0, 16) === id.head;
  } finally {
    await handle.close();
  }
}

/** A file beside `path`, named after it (`access.log.1`, `access.log-20261123`), that is the file `id` was. */
async function findRotated(path: string, id: FileIdentity): Promise<string | undefined> {
  const dir = dirname(path);
  const name = basename(path);
  for (const entry of await readdir(dir)) {
    if (entry === name || !entry.startsWith(name)) continue;
    const candidate = join(dir, entry);
    try {
      const st = await stat(candidate);
      if (st.isFile() && st.dev === id.dev && st.ino === id.ino && (await headMatches(candidate, id))) return candidate;
    } catch {
      // gone meanwhile: not it
    }
  }
  return undefined;
}

async function readState(file: string): Promise<FollowState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let state: FollowState;
  try {
    state = JSON.parse(text) as FollowState;
  } catch (err) {
    throw new VigilError('VIGIL_ARGUMENT', `offset file ${file} is not JSON (${(err as Error).message}); remove it to start the file again from its start`);
  }
  const f = state?.file;
  if (state?.version !== 1 || typeof state.path !== 'string' || !Number.isInteger(state.offset) || !Number.isInteger(state.line) || typeof f?.ino !== 'number' || typeof f.dev !== 'number' || typeof f.head !== 'string' || typeof f.headBytes !== 'number') {
    throw new VigilError('VIGIL_ARGUMENT', `offset file ${file} is not one vigil wrote (version 1 with path, file, offset and line); remove it to start the file again from its start`);
  }
  return state;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
