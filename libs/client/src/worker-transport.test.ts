import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/telemetry';
import { parsePublisherOptions, type PublisherOptions } from './options.js';
import { buildPublisher, type Publisher } from './publisher.js';
import { defaultWorkerEntry, workerTransport, type WorkerTransport } from './worker-transport.js';

const event = (id: string) => ({ id, timestamp: Date.UTC(2026, 10, 23, 9), direction: 'inbound' as const, api: 'accounts', method: 'GET', path: '/users/1/account', status: 200, latencyMs: 1, principal: 'alice' });

/** A logger whose lines the test can read back. */
function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 't', level: 'debug', destination }) };
}

/** A closed port: a broker that is not there (connections are refused at once). */
const NO_BROKER = '127.0.0.1:1';

function on(options: Partial<PublisherOptions>, fake?: { holdMs: number }): { publisher: Publisher; transport: WorkerTransport; lines: string[] } {
  const { lines, logger } = capturingLogger();
  const config = parsePublisherOptions({
    brokers: [NO_BROKER],
    lingerMs: 1,
    logIntervalMs: 0,
    connectionTimeoutMs: 200,
    retryBackoffMs: { initial: 20, max: 50 },
    ...(fake ? { clientId: `fake:${fake.holdMs}` } : {}),
    ...options,
  });
  const transport = workerTransport(config, logger, fake ? { entry: { url: new URL('./fake-send-worker.fixture.ts', import.meta.url), source: true } } : {});
  return { publisher: buildPublisher(config, { transport, logger }), transport, lines };
}

const until = async (what: string, ok: () => boolean, timeoutMs = 8_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('the publisher with its worker thread', () => {
  it('finds its worker beside the module: send-worker.js in dist, its TypeScript source under src', () => {
    expect(defaultWorkerEntry('file:///pkg/dist/worker-transport.js')).toEqual({ url: new URL('file:///pkg/dist/send-worker.js'), source: false });
    expect(defaultWorkerEntry('file:///pkg/src/worker-transport.ts')).toEqual({ url: new URL('file:///pkg/src/send-worker.ts'), source: true });
  });

  it('hands batches to the worker and counts what it sent and what it could not encode', async () => {
    const { publisher, transport } = on({ batchSize: 4 }, { holdMs: 0 });
    for (const id of ['e-1', 'e-2', 'bad-3', 'e-4', 'e-5', 'e-6']) expect(publisher.publish(event(id))).toBe(true);
    expect(await publisher.flush(5_000)).toEqual({ delivered: true, pending: 0 });
    expect(publisher.stats()).toMatchObject({ accepted: 6, sent: 5, droppedInvalid: 1, buffered: 0, failedSends: 0 });
    expect(transport.worker).toBeDefined();
    await publisher.close(1_000);
  });

  it('counts the batch held by the worker against bufferSize: the bound holds across the thread boundary', async () => {
    const { publisher } = on({ bufferSize: 10, batchSize: 6 }, { holdMs: 300 });
    for (let i = 0; i < 6; i++) publisher.publish(event(`e-${i}`));
    await until('the first batch in the worker', () => publisher.stats().buffered === 6 && publisher.stats().sent === 0);
    await new Promise((r) => setTimeout(r, 20)); // the batch is now in the worker, unanswered
    const accepted = Array.from({ length: 10 }, (_, i) => publisher.publish(event(`f-${i}`)));
    expect(accepted.filter(Boolean)).toHaveLength(4);
    expect(publisher.stats()).toMatchObject({ buffered: 10, droppedFull: 6 });
    expect(await publisher.flush(5_000)).toEqual({ delivered: true, pending: 0 });
    expect(publisher.stats()).toMatchObject({ accepted: 10, sent: 10, buffered: 0 });
    await publisher.close(1_000);
  });

  it('relays the worker\'s log lines to the publisher\'s logger, secrets redacted', async () => {
    const { publisher, lines } = on({ kafkaLogLevel: 'warn' }, { holdMs: 0 });
    publisher.publish(event('e-1'));
    await publisher.flush(5_000);
    await until('the relayed line', () => lines.some((l) => l.includes('fake worker got a batch')));
    const line = JSON.parse(lines.find((l) => l.includes('fake worker got a batch'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'warn', size: 1, password: '[redacted]' });
    expect(lines.join('')).not.toContain('hunter2');
    await publisher.close(1_000);
  });

  it('keeps events through an outage of the real worker\'s broker, up to its buffer, retrying; never logs the SASL password', async () => {
    const { publisher, lines } = on({ bufferSize: 50, batchSize: 20, kafkaLogLevel: 'debug', sasl: { mechanism: 'plain', username: 'u', password: 'hunter2-sasl' } });
    const accepted = Array.from({ length: 80 }, (_, i) => publisher.publish(event(`e-${i}`)));
    expect(accepted.filter(Boolean)).toHaveLength(50);
    expect(publisher.stats()).toMatchObject({ accepted: 50, droppedFull: 30, buffered: 50 });
    await until('a failed send reported by the worker', () => publisher.stats().failedSends >= 2, 15_000);
    expect(publisher.stats()).toMatchObject({ sent: 0, buffered: 50 });
    expect(lines.some((l) => l.includes('could not send events'))).toBe(true);
    expect(lines.join('')).not.toContain('hunter2-sasl');
    expect((await publisher.close(100)).delivered).toBe(false);
    await until('the batch the worker held when it was terminated put back', () => publisher.stats().buffered === 50 && publisher.stats().sent === 0);
  }, 20_000);

  it('close() terminates the worker and never rejects; the worker is started again if it dies before that', async () => {
    const { publisher, transport } = on({}, { holdMs: 0 });
    const first = transport.worker!;
    await first.terminate(); // a crash, as far as the publisher can tell
    publisher.publish(event('e-1'));
    expect(await publisher.flush(5_000)).toEqual({ delivered: true, pending: 0 });
    const second = transport.worker!;
    expect(second).not.toBe(first);
    const exited = new Promise<number>((resolve) => second.once('exit', resolve));
    await expect(publisher.close(1_000)).resolves.toEqual({ delivered: true, pending: 0 });
    await exited;
    expect(transport.worker).toBeUndefined();
    expect(publisher.publish(event('e-2'))).toBe(false);
  });

  it('never keeps the host process alive, closed or not', async () => {
    const hooks = new URL('./source-hooks.mjs', import.meta.url).href;
    const entry = new URL('./publisher.ts', import.meta.url).href;
    const run = (closeIt: boolean) =>
      new Promise<{ code: number | null; ms: number; out: string }>((resolve) => {
        const t0 = Date.now();
        const script = `
          import { register } from 'node:module';
          register(${JSON.stringify(hooks)});
          const { createPublisher } = await import(${JSON.stringify(entry)});
          const p = createPublisher({ brokers: [${JSON.stringify(NO_BROKER)}], lingerMs: 1, logger: undefined, kafkaLogLevel: 'silent' });
          p.publish(${JSON.stringify(event('e-1'))});
          await new Promise((r) => setTimeout(r, 300));
          if (${closeIt}) await p.close(200);
          console.log('end of script');
        `;
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += String(d)));
        child.stderr.on('data', (d) => (out += String(d)));
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.on('exit', (code) => {
          clearTimeout(kill);
          resolve({ code, ms: Date.now() - t0, out });
        });
      });
    for (const closeIt of [false, true]) {
      const { code, ms, out } = await run(closeIt);
      expect(out).toContain('end of script');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(10_000);
    }
  }, 40_000);
});
