import { Command, CommanderError } from 'commander';
import { NotAvailableError } from '@vigil/errors';

/** Each verb of DESIGN.md, with what it does. Verbs without an action yet answer "not yet available". */
export const verbs = [
  { name: 'detector', summary: 'run the detector service (consumes api.transactions, publishes api.findings)' },
  { name: 'notifier', summary: 'run the notifier service (consumes api.findings, escalates incidents)' },
  { name: 'backtest', summary: 'run the detectors offline over NDJSON events (--input FILE, - for stdin, .gz accepted)' },
  { name: 'simulate', summary: 'generate realistic traffic with labelled attacks (--scenario NAME)' },
  { name: 'publish', summary: 'send events from an NDJSON file to the transactions topic' },
  { name: 'tail', summary: 'follow findings or incidents as they are published' },
  { name: 'threats', summary: 'manage the known-threats store (threats load FILE)' },
] as const;

export interface ProgramIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function buildProgram(io: ProgramIo, version: string): Command {
  const program = new Command('vigil')
    .description('vigil: streaming anomaly detection for API traffic')
    .version(version, '-V, --version')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(run vigil --help for the list of commands)');

  for (const verb of verbs) {
    if (verb.name === 'threats') {
      const threats = program.command('threats').description(verb.summary);
      threats
        .command('load')
        .description('load known bad IPs / CIDRs, user agents and leaked key ids from FILE')
        .argument('<file>')
        .action(() => {
          throw new NotAvailableError('vigil threats load');
        });
      continue;
    }
    program
      .command(verb.name)
      .description(verb.summary)
      .allowUnknownOption(true)
      .allowExcessArguments(true)
      .action(() => {
        throw new NotAvailableError(`vigil ${verb.name}`);
      });
  }
  return program;
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
    if (err instanceof NotAvailableError) {
      io.err(`vigil: ${err.message}\n`);
      return 3;
    }
    const e = err as { code?: string; message?: string };
    io.err(`vigil: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    return 1;
  }
}
