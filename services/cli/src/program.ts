import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { severities } from '@vigil/contracts';
import { formatNames } from '@vigil/ingest';

/** Each verb of DESIGN.md, with what it does. */
export const verbs = [
  { name: 'detector', summary: 'run the detector service (consumes api.transactions, publishes api.findings)' },
  { name: 'notifier', summary: 'run the notifier service (consumes api.findings, escalates incidents)' },
  { name: 'backtest', summary: 'run the detectors offline over events or access logs (--format), optionally writing an HTML report (--report)' },
  { name: 'simulate', summary: 'generate realistic traffic with labelled attacks (--scenario NAME)' },
  { name: 'publish', summary: 'send events or access logs (--format) to the transactions topic, or follow a growing log (--follow)' },
  { name: 'tail', summary: 'follow findings or incidents as they are published' },
  { name: 'threats', summary: 'manage the known-threats store (threats load FILE)' },
  { name: 'inventory', summary: 'the API inventory observed from traffic (--json, --openapi for an OpenAPI 3.1 document rebuilt from it)' },
] as const;

export interface ProgramIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

/** An option parser for integers of at least `min` (an empty value is refused, not read as 0). */
const intAtLeast = (min: number, expected: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(expected);
  return n;
};
const positiveInt = intAtLeast(1, 'expected a positive integer');
const formatHelp = `the input's format: ${formatNames.join(', ')} (docs/ingest.md)`;
const formatOption = () => new Option('-f, --format <format>', formatHelp).choices(formatNames).default('vigil');
const mapOption = () => new Option('--map <file>', 'a YAML/JSON file mapping the fields of another JSON log to ApiTransaction (docs/ingest.md); replaces --format');
const apiOption = () => new Option('--api <name>', "the api of every event (default: the line's host, Kong's service, else 'default')");

/** `--input FILE` (repeatable) and/or files as arguments; at least one unless `optional`. */
function inputsOf(files: readonly string[], input: readonly string[] | undefined, command: Command, optional = false): string[] {
  const all = [...(input ?? []), ...files];
  if (all.length === 0 && !optional) command.error("error: no input: give files (or --input FILE; - for stdin)", { exitCode: 2, code: 'vigil.inputMissing' });
  return all;
}
const collect = (v: string, previous: string[] | undefined) => [...(previous ?? []), v];
const nonNegativeInt = intAtLeast(0, 'expected an integer, 0 or more');

/** `--since`: a time, or a span back from the latest call the inventory saw. */
export type Since = { at: number } | { backMs: number };
const SPAN_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
function parseSince(v: string): Since {
  const span = /^(\d{1,6})([mhd])$/.exec(v.trim());
  if (span) return { backMs: Number(span[1]) * SPAN_UNITS[span[2]!]! };
  const at = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(at)) throw new InvalidArgumentError('expected an RFC 3339 time (2026-11-18T10:00:00Z) or a span such as 30m, 24h or 7d');
  return { at };
}

export function buildProgram(io: ProgramIo, version: string): Command {
  const program = new Command('vigil')
    .description('vigil: streaming anomaly detection for API traffic')
    .version(version, '-V, --version')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(run vigil --help for the list of commands)');

  program
    .command('detector')
    .description(verbs[0].summary)
    .addHelpText('after', '\nConfiguration comes from the environment and VIGIL_CONFIG (see docs/configuration.md).')
    .action(async () => {
      const { runDetectorMain } = await import('@vigil/detector');
      await runDetectorMain(io.env as NodeJS.ProcessEnv);
    });

  program
    .command('notifier')
    .description(verbs[1].summary)
    .addHelpText('after', '\nConfiguration comes from the environment and VIGIL_CONFIG; the escalation rules from NOTIFIER_ESCALATION_FILE (see docs/notifier.md).')
    .action(async () => {
      const { runNotifierMain } = await import('@vigil/notifier');
      await runNotifierMain(io.env as NodeJS.ProcessEnv);
    });

  program
    .command('backtest')
    .description(verbs[2].summary)
    .argument('[files...]', 'input files, read in turn (- for stdin; .gz accepted)')
    .option('-i, --input <file>', 'an input file (repeatable; the same as giving it as an argument)', collect)
    .addOption(formatOption())
    .addOption(mapOption())
    .addOption(apiOption())
    .option('--report <file>', 'also write a self-contained HTML report here (traffic against its baseline, findings, what the input lacked)')
    .option('--redis <url>', 'keep state in this Redis instead of memory')
    .option('--redis-prefix <prefix>', 'key prefix in that Redis', 'vigil-backtest')
    .option('-c, --config <file>', 'thresholds: a YAML/JSON file (its detectors: section, or the whole file)')
    .option('-t, --threats <file>', 'known threats: a YAML/JSON file (see docs/detectors.md)')
    .option('--batch-size <n>', 'events per engine batch', positiveInt, 500)
    .option('--slice-ms <ms>', 'count and judge a batch spanning more event time than this in slices, as the detector service does (default 60000, its consumer.sliceMs; 0: never)', nonNegativeInt)
    .addHelpText('after', '\nFindings go to stdout as NDJSON, a JSON summary to stderr. Lines that make no event are reported with their number and reason (the first 20) and counted.\n')
    .action(async (files: string[], opts: { input?: string[]; format: string; map?: string; api?: string; report?: string; redis?: string; redisPrefix: string; config?: string; threats?: string; batchSize: number; sliceMs?: number }, command: Command) => {
      const inputs = inputsOf(files, opts.input, command);
      const { backtest } = await import('./commands/backtest.js');
      const summary = await backtest(
        { inputs, format: opts.format, map: opts.map, api: opts.api, report: opts.report, redis: opts.redis, redisPrefix: opts.redisPrefix, config: opts.config, threats: opts.threats, batchSize: opts.batchSize, sliceMs: opts.sliceMs },
        (line) => io.out(`${line}\n`),
        (line) => io.err(`vigil backtest: ${line}\n`),
      );
      io.err(`${JSON.stringify({ summary })}\n`);
    });

  program
    .command('simulate')
    .description(verbs[3].summary)
    .option('-s, --scenario <name>', 'the scenario (--list shows them)')
    .option('--list', 'list the scenarios and exit')
    .option('--seed <n>', 'random seed (the same seed gives the same traffic)', positiveInt)
    .option('--hours <n>', 'hours of traffic (default 6; 24 for clean-day and mixed-day)', positiveInt)
    .option('--start <time>', 'first event time, RFC 3339 (default 2026-11-18T10:00:00Z, a Wednesday)')
    .option('--speed <speed>', 'max (as fast as possible), realtime, or a factor such as 60', 'max')
    .option('--kafka', 'publish to Kafka (KAFKA_BROKERS) instead of writing NDJSON to stdout')
    .addOption(new Option('-f, --format <format>', `without --kafka: write the traffic as this source would log it (${formatNames.join(', ')})`).choices(formatNames).default('vigil'))
    .addOption(new Option('--encoding <encoding>', 'with --kafka: json, or avro registered in SCHEMA_REGISTRY_URL').choices(['json', 'avro']).default('json'))
    .option('--topic <topic>', 'with --kafka: the topic', 'api.transactions')
    .option('--labels <file>', 'write the ground-truth labels (NDJSON) here')
    .option('--threats <file>', 'write the known threats the scenario needs here (for vigil threats load / backtest --threats)')
    .option('--specs <file>', 'write a config file here naming the OpenAPI specs the scenario declares (written beside it), for backtest --config')
    .action(async (opts: { scenario?: string; list?: boolean; seed?: number; hours?: number; start?: string; speed: string; kafka?: boolean; format: string; encoding: 'json' | 'avro'; topic: string; labels?: string; threats?: string; specs?: string }, command: Command) => {
      const { describeScenario, scenarioNames } = await import('@vigil/simulator');
      if (opts.list) {
        for (const name of scenarioNames) io.out(`${name.padEnd(32)} ${describeScenario(name)}\n`);
        return;
      }
      // A usage error like commander's own: printed, exit status 2 (an InvalidArgumentError thrown here was not printed).
      if (!opts.scenario) command.error('error: --scenario is required (--list shows them)', { exitCode: 2, code: 'vigil.scenarioMissing' });
      const { runSimulate } = await import('./commands/simulate.js');
      const summary = await untilInterrupted((signal) =>
        runSimulate(
          { scenario: opts.scenario!, seed: opts.seed, hours: opts.hours, start: opts.start, speed: opts.speed, kafka: opts.kafka === true, format: opts.format, encoding: opts.encoding, topic: opts.topic, labels: opts.labels, threats: opts.threats, specs: opts.specs },
          { out: (line) => io.out(`${line}\n`), env: io.env, signal },
        ),
      );
      io.err(`${JSON.stringify({ summary })}\n`);
    });

  const threats = program.command('threats').description(verbs[6].summary);
  threats
    .command('load')
    .description('replace the known-threats store in Redis with FILE (YAML or JSON); running detectors pick it up without a restart')
    .argument('<file>')
    .action(async (file: string) => {
      const { loadThreats } = await import('./commands/threats.js');
      const url = io.env.REDIS_URL ?? 'redis://127.0.0.1:16379';
      const cluster = io.env.REDIS_CLUSTER_NODES?.split(',').filter(Boolean);
      const { entries, version } = await loadThreats(file, url, io.env.REDIS_KEY_PREFIX ?? 'vigil', cluster);
      io.out(`loaded ${entries} known-threat entries (version ${version})\n`);
    });

  program
    .command('inventory')
    .description(verbs[7].summary)
    .option('--api <name>', 'only this api (with --openapi: the api the document describes)')
    .addOption(new Option('--direction <direction>', 'only inbound apis or outbound providers').choices(['inbound', 'outbound']))
    .option('--since <when>', 'only endpoints first seen since then: an RFC 3339 time, or a span back from the latest call seen (30m, 24h, 7d)', parseSince)
    .addOption(new Option('--sort <key>', 'table and --json order').choices(['calls', 'first-seen', 'unauthenticated']).default('calls'))
    .option('--json', 'print the endpoints as JSON, for tools')
    .option('--openapi', 'print an OpenAPI 3.1 document rebuilt from the traffic')
    .option('--redis <url>', 'the Redis to read (default: REDIS_URL)')
    .option('--redis-prefix <prefix>', "the key prefix (default: REDIS_KEY_PREFIX, else 'vigil'; a backtest's is 'vigil-backtest')")
    .addHelpText('after', '\nIt reads what the detector keeps in Redis (docs/inventory.md): the last 7 days of each endpoint, counted back from the latest call seen, so it works on backtest state too.\n')
    .action(async (opts: { api?: string; direction?: 'inbound' | 'outbound'; since?: Since; sort: 'calls' | 'first-seen' | 'unauthenticated'; json?: boolean; openapi?: boolean; redis?: string; redisPrefix?: string }) => {
      const { runInventory } = await import('./commands/inventory.js');
      const summary = await runInventory(
        {
          redisUrl: opts.redis ?? io.env.REDIS_URL ?? 'redis://127.0.0.1:16379',
          clusterNodes: opts.redis ? undefined : io.env.REDIS_CLUSTER_NODES?.split(',').filter(Boolean),
          prefix: opts.redisPrefix ?? io.env.REDIS_KEY_PREFIX ?? 'vigil',
          api: opts.api,
          direction: opts.direction,
          since: opts.since,
          sort: opts.sort,
          format: opts.openapi ? 'openapi' : opts.json ? 'json' : 'table',
        },
        io.out,
      );
      io.err(`${JSON.stringify({ summary })}\n`);
    });

  const connectionHelp =
    '\nKafka and the schema registry come from the same variables as the services (KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_SSL, SCHEMA_REGISTRY_URL, VIGIL_TOPIC_*, VIGIL_CONFIG; see docs/configuration.md).';

  program
    .command('publish')
    .description(verbs[4].summary)
    .argument('[files...]', 'input files, read once, in turn (- for stdin; .gz accepted)')
    .option('-i, --input <file>', 'an input file (repeatable; the same as giving it as an argument)', collect)
    .option('--follow <file>', 'follow this growing log like tail -F (rotation and truncation handled) and publish as it grows, until Ctrl-C or SIGTERM')
    .option('--offset-file <file>', 'with --follow: where the position is kept (default <file>.vigil-offset), so a restart sends no line twice')
    .option('--from-end', 'with --follow and no offset file yet: start at the end of the file (default: its start)')
    .option('--poll-ms <ms>', 'with --follow: how often an idle file is checked', positiveInt, 250)
    .addOption(formatOption())
    .addOption(mapOption())
    .addOption(apiOption())
    .option('--topic <topic>', 'the topic (default: VIGIL_TOPIC_TRANSACTIONS, else api.transactions)')
    .addOption(new Option('--encoding <encoding>', 'json, or avro registered in SCHEMA_REGISTRY_URL').choices(['json', 'avro']).default('json'))
    .option('--batch-size <n>', 'events per produce request', positiveInt, 500)
    .option('--dry-run', 'check every line and publish nothing')
    .addHelpText(
      'after',
      `${connectionHelp}\nEach line is made into an event and checked as the detector would check it; a bad line is reported with its number and reason and not sent (the first 20 are listed), and a run over files then exits 1. A summary goes to stderr.\n`,
    )
    .action(async (files: string[], opts: { input?: string[]; follow?: string; offsetFile?: string; fromEnd?: boolean; pollMs: number; format: string; map?: string; api?: string; topic?: string; encoding: 'json' | 'avro'; batchSize: number; dryRun?: boolean }, command: Command) => {
      const inputs = inputsOf(files, opts.input, command, opts.follow !== undefined);
      const { rejectedLinesError, runPublish } = await import('./commands/publish.js');
      const summary = await untilInterrupted((signal) =>
        runPublish(
          { inputs, follow: opts.follow, offsetFile: opts.offsetFile, fromEnd: opts.fromEnd === true, pollMs: opts.pollMs, format: opts.format, map: opts.map, api: opts.api, topic: opts.topic, encoding: opts.encoding, batchSize: opts.batchSize, dryRun: opts.dryRun === true },
          { err: (line) => io.err(`vigil publish: ${line}\n`), env: io.env, signal },
        ),
      );
      io.err(`${JSON.stringify({ summary })}\n`);
      if (summary.rejected > 0 && !summary.follow) throw rejectedLinesError(summary);
    });

  program
    .command('tail')
    .description(verbs[5].summary)
    .addArgument(new Argument('[what]', 'findings or incidents').choices(['findings', 'incidents']).default('findings'))
    .option('--topic <topic>', 'the topic (default: VIGIL_TOPIC_FINDINGS or VIGIL_TOPIC_INCIDENTS, else api.findings or api.incidents)')
    .option('--from-beginning', 'read the topic from its start (default: only what is published from now on)')
    .addOption(new Option('--format <format>', 'print each as a line of text, its wire JSON, or one JSON line in OCSF (Detection Finding) or ECS (docs/siem.md)').choices(['text', 'json', 'ocsf', 'ecs']))
    .option('--json', 'the same as --format json')
    .addOption(new Option('--min-severity <severity>', 'show only this severity or above').choices(severities))
    .option('--max <n>', 'stop after showing n', positiveInt)
    .addHelpText('after', `${connectionHelp}\nIt follows until Ctrl-C (or --max), reading as a consumer group of its own that commits nothing.\n`)
    .action(async (what: 'findings' | 'incidents', opts: { topic?: string; fromBeginning?: boolean; format?: 'text' | 'json' | 'ocsf' | 'ecs'; json?: boolean; minSeverity?: (typeof severities)[number]; max?: number }, command: Command) => {
      if (opts.json && opts.format !== undefined && opts.format !== 'json') command.error(`error: --json and --format ${opts.format} ask for different output`, { exitCode: 2, code: 'vigil.formatConflict' });
      const { runTail } = await import('./commands/tail.js');
      const summary = await untilInterrupted((signal) =>
        runTail(
          { what, topic: opts.topic, fromBeginning: opts.fromBeginning === true, format: opts.format ?? (opts.json ? 'json' : 'text'), minSeverity: opts.minSeverity, max: opts.max, productVersion: version },
          { out: (line) => io.out(`${line}\n`), err: (line) => io.err(`vigil tail: ${line}\n`), env: io.env, signal },
        ),
      );
      io.err(`${JSON.stringify({ summary })}\n`);
    });

  return program;
}

/** Runs `work` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts: it stops early and still returns what it did. */
async function untilInterrupted<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await work(ac.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Runs the CLI; returns the process exit code. */
export async function runCli(argv: readonly string[], io: ProgramIo, version: string): Promise<number> {
  const program = buildProgram(io, version);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    const e = err as { code?: string; message?: string };
    const message = e.message ?? String(err);
    // Node's system errors say their code already ("ENOENT: no such file or directory, open …").
    io.err(`vigil: ${e.code && !message.startsWith(e.code) ? `${e.code}: ` : ''}${message}\n`);
    return 1;
  }
}
