import { join } from 'node:path';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '@vigil/detector';
import { freePort } from '../support/helpers.js';
import { startVigilProcess, type VigilProcess } from '../support/vigil-process.js';
import type { SoakSettings } from './settings.js';
import type { SoakOptions, SoakSecrets } from './types.js';

export interface SoakProcessesInput {
  s: SoakSettings;
  o: Pick<SoakOptions, 'nodeOptions' | 'logLevel'>;
  secrets: SoakSecrets;
  /** REDIS_URL for both, with the run's Redis user when there is one. */
  serviceRedisUrl: URL;
  escalationFile: string;
  receiverUrl: string;
  logDir: string;
  /** Each process joins this list as soon as it is spawned, so a run that fails later still stops it. */
  started: VigilProcess[];
}

/** Where a process of the run logs. */
export function logFileOf(logDir: string, verb: 'detector' | 'notifier', run: string): string {
  return join(logDir, `${verb}-${run}.log`);
}

/** Starts the detector, then the notifier, each ready to serve, logging to `<verb>-<run>.log` in logDir. */
export async function startSoakProcesses(i: SoakProcessesInput): Promise<{ detector: VigilProcess; notifier: VigilProcess }> {
  const { s, secrets } = i;
  const detector = await startSoakProcess(i, 'detector', {
    // The checkpoint schedule is wall-clock: compressed like event time, it keeps its production cadence in
    // event time (5 s), rather than a checkpoint every timeScale × 5 s of event time (~4 minutes at 45x).
    DETECTOR_CHECKPOINT_INTERVAL_MS: String(Math.max(100, Math.round(DEFAULT_CHECKPOINT_INTERVAL_MS / s.timeScale))),
    DETECTOR_GROUP_ID: s.groups.detector,
    DETECTOR_START: 'earliest',
    VIGIL_TOPIC_TRANSACTIONS: s.topics.transactions,
    VIGIL_TOPIC_DLQ: s.topics.dlq,
  });
  const notifier = await startSoakProcess(i, 'notifier', {
    NOTIFIER_GROUP_ID: s.groups.notifier,
    NOTIFIER_START: 'earliest',
    NOTIFIER_ESCALATION_FILE: i.escalationFile,
    NOTIFIER_API_TOKEN: secrets.apiToken,
    NOTIFIER_API_PORT: String(await freePort()),
    VIGIL_TOPIC_INCIDENTS: s.topics.incidents,
    SOAK_HOOK_URL: `${i.receiverUrl}/hook/${secrets.webhookUrlToken}`,
    SOAK_SLACK_URL: `${i.receiverUrl}/slack/services/${secrets.slackUrlToken}`,
    SOAK_PAGERDUTY_KEY: secrets.pagerDutyKey,
    SOAK_PAGERDUTY_URL: `${i.receiverUrl}/pd/v2/enqueue`,
  });
  return { detector, notifier };
}

/**
 * One process as a deployment runs it: NODE_ENV=production and only the
 * settings given here (nothing inherited from whoever launched the soak),
 * the secrets among them.
 */
async function startSoakProcess(i: SoakProcessesInput, verb: 'detector' | 'notifier', env: NodeJS.ProcessEnv): Promise<VigilProcess> {
  const { s, o, secrets } = i;
  const common: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    ...(o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {}),
    KAFKA_BROKERS: s.brokers,
    SCHEMA_REGISTRY_URL: s.registryUrl,
    SCHEMA_REGISTRY_USERNAME: 'vigil-soak',
    SCHEMA_REGISTRY_PASSWORD: secrets.registryPassword,
    REDIS_URL: i.serviceRedisUrl.toString(),
    REDIS_KEY_PREFIX: s.run,
    LOG_LEVEL: o.logLevel ?? 'info',
    VIGIL_TOPIC_FINDINGS: s.topics.findings,
    VIGIL_TOPIC_PARTITIONS: String(s.partitions),
  };
  const logFile = logFileOf(i.logDir, verb, s.run);
  const p = await startVigilProcess(verb, { ...common, ...env }, { isolatedEnv: true, nodeArgs: s.traceGc ? ['--trace-gc'] : [], logFile });
  i.started.push(p);
  await p.ready(90_000).catch((err: Error) => {
    throw new Error(`${err.message} (log: ${logFile})`, { cause: err });
  });
  return p;
}
