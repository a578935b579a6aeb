import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createCodec, findingContract, incidentContract, severityRank, toWireJson, type Finding, type Incident, type Severity } from '@vigil/contracts';
import { DecodeError, VigilError } from '@vigil/errors';
import type { Batch } from '@vigil/kafka';
import { findingToEcs, findingToOcsf, incidentChangeToEcs, incidentChangeToOcsf, type SiemOptions } from '@vigil/siem';
import { connectionsFor } from './connect.js';
import { cappedReport } from './report.js';

export type TailWhat = 'findings' | 'incidents';

/** How each is printed: a line of text, its wire JSON, or one JSON line in a SIEM schema (docs/siem.md). */
export const tailFormats = ['text', 'json', 'ocsf', 'ecs'] as const;
export type TailFormat = (typeof tailFormats)[number];

export interface TailOptions {
  what: TailWhat;
  /** Default: the configured topic (VIGIL_TOPIC_FINDINGS or VIGIL_TOPIC_INCIDENTS). */
  topic?: string;
  /** Read the topic from its start; by default only what is published from now on. */
  fromBeginning: boolean;
  /** How to print each (default text). */
  format?: TailFormat;
  /** The same as format 'json' (what --json sets), when format is not given. */
  json?: boolean;
  /** vigil's version, named as the product in OCSF and ECS output. */
  productVersion?: string;
  /** Show only findings or incidents of this severity or above. */
  minSeverity?: Severity;
  /** Stop after showing this many. */
  max?: number;
}

export interface TailIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Stops following (Ctrl-C). */
  signal?: AbortSignal;
}

export interface TailSummary {
  topic: string;
  shown: number;
  /** Below --min-severity. */
  filtered: number;
  /** Messages that are not a valid Finding or Incident (each reported on stderr). */
  undecodable: number;
}

/** Messages that do not decode are named one by one up to this many; the summary counts them all. */
export const MAX_REPORTED_ERRORS = 20;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** One line of text for a finding: when, how bad, which detector, where, who, what; its id last (for the notifier's API). */
export function findingLine(f: Finding): string {
  const where = f.route ? `${f.api} ${f.route}` : f.api;
  return `${iso(f.detectedAt)} ${f.severity.padEnd(8)} ${f.detector.padEnd(22)} ${where} ${f.subject.kind}:${f.subject.value}  ${f.title}  [${f.id}]`;
}

/** One line of text for an incident change: when, the tier, the change and state, what, why; its id and version last. */
export function incidentLine(i: Incident): string {
  const tier = i.tier.toUpperCase().replace('_', ' ');
  const reason = i.reason ? `  (${i.reason})` : '';
  return `${iso(i.changedAt)} ${tier.padEnd(7)} ${i.change.padEnd(12)} ${i.severity.padEnd(8)} ${i.title}${reason}  [${i.id} v${i.version}, ${i.findingCount} finding${i.findingCount === 1 ? '' : 's'}]`;
}

const FINDING_FORMATS: Record<TailFormat, (f: Finding, o: SiemOptions) => string> = {
  text: findingLine,
  json: (f) => JSON.stringify(toWireJson(findingContract, f)),
  ocsf: (f, o) => JSON.stringify(findingToOcsf(f, o)),
  ecs: (f, o) => JSON.stringify(findingToEcs(f, o)),
};
const INCIDENT_FORMATS: Record<TailFormat, (i: Incident, o: SiemOptions) => string> = {
  text: incidentLine,
  json: (i) => JSON.stringify(toWireJson(incidentContract, i)),
  ocsf: (i, o) => JSON.stringify(incidentChangeToOcsf(i, o)),
  ecs: (i, o) => JSON.stringify(incidentChangeToEcs(i, o)),
};

/** One line for a finding or an incident change in `format`: no Kafka needed, so tests call it directly. */
export function formatLine(what: TailWhat, value: Finding | Incident, format: TailFormat, o: SiemOptions = {}): string {
  return what === 'findings' ? FINDING_FORMATS[format](value as Finding, o) : INCIDENT_FORMATS[format](value as Incident, o);
}

/**
 * `vigil tail findings|incidents`: follows the findings (or incident changes) topic and prints each
 * as it is published, until Ctrl-C or `max`. It reads as a consumer group of its own, named for this
 * host and process, and commits nothing: it never moves the services' offsets, and leaves no
 * committed offsets behind.
 */
export async function runTail(o: TailOptions, io: TailIo): Promise<TailSummary> {
  const { config, kafka, registry } = connectionsFor('tail', io.env);
  const topic = o.topic ?? config.topics[o.what];
  const summary: TailSummary = { topic, shown: 0, filtered: 0, undecodable: 0 };
  const admin = await kafka.admin();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      const variable = o.what === 'findings' ? 'VIGIL_TOPIC_FINDINGS' : 'VIGIL_TOPIC_INCIDENTS';
      throw new VigilError('VIGIL_ARGUMENT', `topic ${topic} does not exist (the ${o.what === 'findings' ? 'detector' : 'notifier'} creates it when it starts; another name is set with --topic or ${variable})`);
    }
  } finally {
    await admin.disconnect();
  }

  const minRank = o.minSeverity === undefined ? 0 : severityRank(o.minSeverity);
  const format: TailFormat = o.format ?? (o.json ? 'json' : 'text');
  const codec = o.what === 'findings' ? createCodec(findingContract, { topic, registry }) : createCodec(incidentContract, { topic, registry });
  const undecodable = cappedReport(io.err, MAX_REPORTED_ERRORS, `(more messages that do not decode are counted, not listed: is ${topic} the ${o.what} topic?)`);
  let failure: Error | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const show = (value: Finding | Incident) => {
    if (severityRank(value.severity) < minRank) {
      summary.filtered++;
      return;
    }
    if (o.max !== undefined && summary.shown >= o.max) return;
    io.out(formatLine(o.what, value, format, { productVersion: o.productVersion }));
    summary.shown++;
    if (o.max !== undefined && summary.shown >= o.max) finish();
  };
  const consumer = kafka.consumer({
    groupId: `vigil-tail-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
    topics: [topic],
    fromBeginning: o.fromBeginning,
    commits: 'manual',
    // Ctrl-C stops it within about this long (the fetch in flight returns first).
    maxWaitTimeMs: 500,
    eachBatch: async (batch: Batch) => {
      for (const m of batch.messages) {
        if (o.max !== undefined && summary.shown >= o.max) return;
        try {
          show(await codec.decode(m.value));
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          undecodable(++summary.undecodable, `partition ${m.partition} offset ${m.offset}: ${err.code}: ${err.message}`);
        }
      }
    },
    onCrash: (err) => {
      failure = err;
      finish();
    },
  });
  if (io.signal?.aborted) return summary;
  io.signal?.addEventListener('abort', finish, { once: true });
  try {
    await consumer.start();
    await finished;
  } finally {
    io.signal?.removeEventListener('abort', finish);
    await consumer.stop();
  }
  if (failure) throw failure;
  return summary;
}
