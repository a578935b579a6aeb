import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient, type Admin, type KafkaClient, type ReceivedMessage } from '@vigil/kafka';
import { clfTime } from '@vigil/ingest';
import { quietLogger, stackEnv, uniqueName, waitFor } from '../support/helpers.js';
import { followTopic } from '../support/topics.js';
import { killOnExit } from '../support/vigil-process.js';

const cli = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));
const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const KEYS = 12;

/** Line `n` of the access log: its user (the Kafka key) is one of twelve, its path says n. */
const line = (n: number) => `198.51.100.${n % KEYS} - user-${n % KEYS} [${clfTime(T0 + n * 100)}] "GET /items/${n}?page=${n} HTTP/1.1" 200 ${100 + (n % 50)} "-" "curl/8.5.0" 0.0${(n % 9) + 1}`;
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${line(from + i)}\n`).join('');

interface Follow {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `vigil publish --follow` as a process, as an operator runs it. */
function startFollow(file: string, topic: string): Follow {
  const { NODE_ENV: _, ...inherited } = process.env;
  const child = spawn(process.execPath, [cli, 'publish', '--follow', file, '--format', 'combined', '--api', 'shop', '--topic', topic, '--batch-size', '50', '--poll-ms', '50'], {
    env: { ...inherited, ...stackEnv() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  killOnExit(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

async function stop(f: Follow): Promise<Record<string, unknown>> {
  f.child.kill('SIGTERM');
  expect(await f.exited, f.stderr()).toBe(0);
  const summary = f.stderr().split('\n').find((l) => l.startsWith('{"summary"'));
  return (JSON.parse(summary!) as { summary: Record<string, unknown> }).summary;
}

describe('vigil publish --follow on the real Kafka: appends, a rotation, a crash and a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-follow-it-'));
  const file = join(dir, 'access.log');
  const topic = uniqueName('it.cli.follow-tx');
  let kafka: KafkaClient;
  let admin: Admin;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first`);
    kafka = createKafkaClient({ brokers: stackEnv().KAFKA_BROKERS.split(','), clientId: 'vigil-it-follow' }, quietLogger());
    admin = await kafka.admin();
    await admin.ensureTopics([{ topic, partitions: 4 }]);
  });
  afterAll(async () => {
    await admin?.deleteTopics([topic]).catch(() => undefined);
    await admin?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const onTopic = async () => (await admin.partitionOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  const until = (count: number, what: string) => waitFor(async () => (await onTopic()) >= count, `${count} events on the topic (${what})`, 60_000, 50);

  it('sends every line exactly once, in order per key', async () => {
    writeFileSync(file, '');
    let f = startFollow(file, topic);

    // 1. Lines appended to a live file, in a few writes.
    appendFileSync(file, lines(0, 120));
    appendFileSync(file, lines(120, 300));
    await until(300, 'appended');

    // 2. Rotation: the file renamed (a writer still finishing lines in it), a new one created.
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, lines(300, 350));
    writeFileSync(file, lines(350, 550));
    await until(550, 'after the rotation');

    // 3. A crash in the middle of a stream: SIGKILL while it publishes, more lines while it is down, a restart.
    appendFileSync(file, lines(550, 4550));
    await until(1500, 'mid-stream');
    f.child.kill('SIGKILL');
    await f.exited;
    // Two bad lines among them: reported, counted, skipped; the follow goes on.
    appendFileSync(file, `${lines(4550, 4580)}not an access log line\n${lines(4580, 4600)}203.0.113.9 - - [23/Nov/2026:09:00:00 +0000] "-" 400 0 "-" "-" 0.000\n${lines(4600, 4650)}`);
    f = startFollow(file, topic);
    await until(4650, 'after the restart');
    const afterCrash = await stop(f);
    expect(afterCrash).toMatchObject({ topic, format: 'combined', rejected: 2, follow: { file, resumed: true } });
    expect(f.stderr()).toMatch(/vigil publish: line \d+: no \[time\] field/);
    expect(f.stderr()).toMatch(/vigil publish: line \d+: no request line \("-"\)/);

    // 4. The two ways a crash can leave the batch it was sending, made exactly: the offset file says 30 lines
    //    before its end were pending (they are on the topic: sent, not yet committed) with 20 new ones (not sent).
    const state = JSON.parse(readFileSync(`${file}.vigil-offset`, 'utf8')) as { offset: number; line: number; file: { ino: number } };
    const text = readFileSync(file, 'utf8');
    expect(Buffer.byteLength(text)).toBe(state.offset);
    const starts: number[] = [];
    for (let at = 0; at < text.length; at = text.indexOf('\n', at) + 1) starts.push(at);
    const ino = statSync(file).ino.toString(36);
    const idAt = (offset: number) => `access.log:${ino}:${offset}`;
    const back = starts.slice(-30);
    const sentIds = back.map(idAt);
    const follow = await followTopic(kafka, topic);
    const before = await waitFor(() => follow.messages.length >= 4650 && follow.messages.slice(), 'the topic read back');
    await follow.stop();
    const firstOfPending = new Map<number, string>();
    for (const m of before) if (sentIds.includes(m.headers['vigil-id']!) && !firstOfPending.has(m.partition)) firstOfPending.set(m.partition, m.offset);
    const highs = await admin.partitionOffsets(topic);
    appendFileSync(file, lines(4650, 4670));
    const newStarts = Array.from({ length: 20 }, (_, i) => state.offset + Buffer.byteLength(lines(4650, 4650 + i)));
    writeFileSync(
      `${file}.vigil-offset`,
      JSON.stringify({
        ...state,
        offset: back[0],
        line: state.line - 30,
        pending: { topic, watermarks: highs.map((p) => ({ partition: p.partition, high: firstOfPending.get(p.partition) ?? p.high })), ids: [...sentIds, ...newStarts.map(idAt)] },
      }),
    );
    f = startFollow(file, topic);
    await until(4670, 'after the recovery');
    const recovered = await stop(f);
    expect(recovered).toMatchObject({ published: 20, follow: { recovered: { pending: 50, alreadyOnTopic: 30 } } });

    // Every line once: the path says which line, the header its id; in file order for each key.
    const all = await followTopic(kafka, topic);
    const messages: ReceivedMessage[] = await waitFor(() => all.messages.length >= 4670 && all.messages.slice(), 'every event read back');
    await new Promise((r) => setTimeout(r, 500));
    expect(all.messages.length).toBe(4670);
    await all.stop();
    const seen = messages.map((m) => JSON.parse(m.value!.toString()) as { path: string; principal: string; id: string });
    const numbers = seen.map((e) => Number(e.path.slice('/items/'.length)));
    expect(new Set(numbers).size).toBe(4670);
    expect(Math.min(...numbers)).toBe(0);
    expect(Math.max(...numbers)).toBe(4669);
    expect(new Set(messages.map((m) => m.headers['vigil-id'])).size).toBe(4670);
    expect(seen.every((e, i) => e.id === messages[i]!.headers['vigil-id'])).toBe(true);
    const byKey = new Map<string, number[]>();
    messages.forEach((m, i) => byKey.set(m.key!.toString(), [...(byKey.get(m.key!.toString()) ?? []), numbers[i]!]));
    expect(byKey.size).toBe(KEYS);
    for (const [key, ns] of byKey) {
      expect(ns, key).toEqual([...ns].sort((a, b) => a - b));
      expect(new Set(messages.filter((m) => m.key!.toString() === key).map((m) => m.partition)).size).toBe(1);
    }
  }, 240_000);
});
