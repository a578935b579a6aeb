import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createCodec, toWireJson, transactionContract, transactionKey } from '@vigil/contracts';
import { lineWriter } from '@vigil/ingest';
import { paced, parseSpeed, simulate } from '@vigil/simulator';
import { connectionsFor, topicProducer } from './connect.js';

export interface SimulateCommandOptions {
  scenario: string;
  seed?: number;
  hours?: number;
  start?: string;
  /** `max` (as fast as possible), `realtime`, or a factor such as `60` or `x60`. */
  speed: string;
  /** Publish to Kafka instead of writing NDJSON to stdout. */
  kafka: boolean;
  /** Without `kafka`: the format of the lines written (`vigil` NDJSON, or as an access log or gateway would log the traffic). */
  format?: string;
  encoding: 'json' | 'avro';
  topic: string;
  labels?: string;
  threats?: string;
  /** A config file to write: `detectors.inventory.specs` naming the OpenAPI specs the scenario declares, written beside it. */
  specs?: string;
}

export interface SimulateIo {
  out: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Stops a paced run early (Ctrl-C). */
  signal?: AbortSignal;
}

/** The scenario's declared OpenAPI specs as `<api>.openapi.json` beside `config`, and `config` naming them (for `backtest --config` or the detector's VIGIL_CONFIG). */
function writeSpecsConfig(config: string, specs: Record<string, object>): void {
  const files = Object.fromEntries(
    Object.entries(specs).map(([api, doc]) => {
      const file = resolve(dirname(config), `${api}.openapi.json`);
      writeFileSync(file, JSON.stringify(doc, null, 2));
      return [api, file];
    }),
  );
  writeFileSync(config, JSON.stringify({ detectors: { inventory: { specs: files } } }, null, 2));
}

/** `vigil simulate`: a scenario's traffic as NDJSON on stdout, or published to Kafka; labels and threats to files. */
export async function runSimulate(o: SimulateCommandOptions, io: SimulateIo): Promise<{ scenario: string; events: number; labels: number; from: string; to: string }> {
  const factor = parseSpeed(o.speed);
  const start = o.start === undefined ? undefined : Date.parse(o.start);
  if (start !== undefined && Number.isNaN(start)) throw new Error(`--start must be an RFC 3339 time (got ${JSON.stringify(o.start)})`);
  const sim = simulate({ scenario: o.scenario, seed: o.seed, hours: o.hours, start });
  if (o.labels) writeFileSync(o.labels, sim.labels.map((l) => JSON.stringify({ ...l, start: new Date(l.start).toISOString(), end: new Date(l.end).toISOString() })).join('\n') + (sim.labels.length ? '\n' : ''));
  if (o.threats) writeFileSync(o.threats, JSON.stringify({ entries: sim.threats }, null, 2));
  if (o.specs) writeSpecsConfig(o.specs, sim.specs ?? {});

  let sent: number;
  if (!o.kafka) {
    const write = o.format && o.format !== 'vigil' ? lineWriter(o.format) : (e: Parameters<ReturnType<typeof lineWriter>>[0]) => JSON.stringify(toWireJson(transactionContract, e));
    sent = await paced(sim, factor, async (events) => {
      for (const e of events) io.out(write(e));
    }, io.signal);
  } else {
    // Kafka and the registry as the services reach them; the topic is created when missing (VIGIL_TOPIC_PARTITIONS, default 12).
    const connections = connectionsFor('simulate', io.env);
    const codec = createCodec(transactionContract, { registry: o.encoding === 'avro' ? connections.registry : undefined, topic: o.topic });
    const producer = await topicProducer(connections, o.topic);
    try {
      sent = await paced(sim, factor, async (events) => {
        await producer.send(o.topic, await Promise.all(events.map(async (e) => ({ key: transactionKey(e), value: await codec.encode(e, o.encoding) }))));
      }, io.signal);
    } finally {
      await producer.disconnect();
    }
  }
  return { scenario: sim.scenario, events: sent, labels: sim.labels.length, from: new Date(sim.start).toISOString(), to: new Date(sim.end).toISOString() };
}
