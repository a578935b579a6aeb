import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafkaClient } from '@vigil/kafka';
import { freePort, quietLogger } from './helpers.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/**
 * A second, single-node Kafka (KRaft) of the test's own, from the jars the
 * local stack downloaded, reachable only through a TCP proxy: the broker
 * advertises the proxy's port, so every connection a client makes (the
 * bootstrap and the ones metadata sends it to) goes through the proxy, and
 * pausing the proxy is a broker outage. `stopBroker()` / `startBroker()` are
 * the real thing: the broker process goes away (the proxy stops listening
 * with it, so clients see refused connections) and comes back on the same
 * data dir and ports. The shared stack is left alone.
 */
export interface ThrowawayKafka {
  /** host:port of the proxy: what clients are given. */
  brokers: string;
  proxy: TcpProxy;
  /** Stops the broker process (SIGTERM: a clean shutdown; SIGKILL: a crash) and the proxy; resolves once it exited. */
  stopBroker(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts the broker again on the same data dir and ports; resolves once it answers through the proxy. */
  startBroker(): Promise<void>;
  stop(): Promise<void>;
}

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** A broker that exited before it answered: its ports, free when chosen, may have been taken since by a test running beside it. */
class ExitedAtStart extends Error {}

/** Starts one, on fresh ports again (up to three times) when the broker exits before it answers. */
export async function startThrowawayKafka(): Promise<ThrowawayKafka> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      if (!(err instanceof ExitedAtStart) || attempt >= 3) throw err;
    }
  }
}

/** Three distinct ports free now. */
async function threePorts(): Promise<[number, number, number]> {
  for (;;) {
    const ports = [await freePort(), await freePort(), await freePort()] as [number, number, number];
    if (new Set(ports).size === 3) return ports;
  }
}

/** The last lines of the broker's output that say why it stopped. */
function whyExited(dir: string): string {
  const lines = existsSync(join(dir, 'kafka.out')) ? readFileSync(join(dir, 'kafka.out'), 'utf8').split('\n') : [];
  return lines.filter((l) => /ERROR|Exception|FATAL/.test(l)).slice(-3).join(' | ').slice(0, 600);
}

async function startOnce(): Promise<ThrowawayKafka> {
  const libs = join(process.env.VIGIL_STACK_CACHE ?? join(repo, '.stack', 'cache'), 'kafka', 'libs');
  if (!existsSync(join(libs, '.complete'))) throw new Error(`no Kafka jars at ${libs}: run deploy/local/stack.sh up once`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-kafka-'));
  const [brokerPort, controllerPort, proxyPort] = await threePorts();
  copyFileSync(join(repo, 'deploy/local/kafka/log4j.properties'), join(dir, 'log4j.properties'));
  const config = join(dir, 'server.properties');
  writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${proxyPort}`,
      'inter.broker.listener.name=PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'num.network.threads=1',
      'num.io.threads=2',
      '',
    ].join('\n'),
  );
  const jvm = ['-Xms64m', '-Xmx256m', `-Dkafka.logs.dir=${dir}`, `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, `-Djava.io.tmpdir=${dir}`, '-cp', `${libs}/*`];
  // As Kafka's own random-uuid: never one that starts with '-' (1 in 64 would, and the tool reads it as an option).
  let clusterId: string;
  do clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-'));
  const format = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config], { encoding: 'utf8' });
  if (format.status !== 0) throw new Error(`formatting the throwaway Kafka failed: ${format.stderr || format.stdout}`);
  const brokers = `127.0.0.1:${proxyPort}`;
  let broker: ChildProcess | undefined;

  const spawnBroker = () => {
    const out = openSync(join(dir, 'kafka.out'), 'a');
    broker = spawn('java', [...jvm, 'kafka.Kafka', config], { stdio: ['ignore', out, out] });
    closeSync(out);
  };
  const killBroker = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const b = broker;
    if (!b || b.exitCode !== null || b.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => b.once('exit', () => resolve()));
    b.kill(signal);
    const timer = setTimeout(() => b.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const answering = async (what: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (broker?.exitCode != null) throw new ExitedAtStart(`the throwaway Kafka exited with ${broker.exitCode}: ${whyExited(dir)}`);
      try {
        const admin = await createKafkaClient({ brokers: [brokers], clientId: 'vigil-it-throwaway', retry: { retries: 0 } }, quietLogger()).admin();
        await admin.disconnect();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`timed out after 60000 ms waiting for ${what}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  spawnBroker();
  const proxy = await startTcpProxy(brokerPort, proxyPort).catch(async (err: unknown) => {
    await killBroker('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const stop = async () => {
    await proxy.close();
    await killBroker('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await answering('the throwaway Kafka to answer');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    brokers,
    proxy,
    async stopBroker(signal = 'SIGTERM') {
      await proxy.pause();
      await killBroker(signal);
    },
    async startBroker() {
      spawnBroker();
      await proxy.resume();
      await answering('the throwaway Kafka to answer again');
    },
    stop,
  };
}
