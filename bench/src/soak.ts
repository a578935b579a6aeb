/**
 * npm run soak: 30 minutes (SOAK_MINUTES) at a steady 5,000 events/s
 * (SOAK_RATE) of realistic traffic, with attacks and malformed messages,
 * through a detector process and a notifier process on the local stack.
 * Samples their RSS, the soak's Redis memory and the consumer lag, and prints
 * one JSON document of figures on stdout (progress on stderr). Exits 1 when
 * the processes' memory grew 10% or more after the warm-up, a Redis key grew
 * or had no TTL, the lag grew without bound, the detector did not catch up,
 * or a secret reached a log line. How it measures: test/soak/soak-rig.ts.
 *
 * The rig is test code, built on the test support (vigil processes, receivers,
 * waits): this entry runs it through vitest (test/soak/vitest.config.ts,
 * test/soak/soak.run.ts) and imports nothing of it. The options go as JSON in
 * SOAK_RUN_OPTIONS, the report comes back in a file, and vitest's own output
 * goes to stderr.
 *
 * Knobs: SOAK_MINUTES, SOAK_RATE, SOAK_SAMPLE_SECONDS, SOAK_WARMUP_FRACTION
 * (0.5), SOAK_TIME_SCALE (default: 90 minutes of event time over the run),
 * SOAK_TRACE_GC=0 (no --trace-gc), SOAK_NODE_OPTIONS (for both processes),
 * SOAK_PARTITIONS (6), SOAK_REDIS_DB (11), SOAK_LOG_DIR (where the processes'
 * logs go; kept unless SOAK_KEEP_LOGS=0), SOAK_KEEP_STATE=1 (keeps topics and
 * keys), KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { soakKnobs, type SoakKnobs } from './soak-knobs.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function knobsOrExit(): SoakKnobs {
  try {
    return soakKnobs(process.env);
  } catch (err) {
    process.stderr.write(`soak: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

/**
 * Runs the rig in a process group of its own, so that a Ctrl-C reaches only
 * this entry: the first one ends the load early through the stop file (the
 * run still drains, reports and cleans up); a second one kills the group and
 * exits at once.
 */
async function runRig(knobs: SoakKnobs, dir: string, files: { report: string; stop: string }): Promise<number | null> {
  const child = spawn('npx', ['--no', '--', 'vitest', 'run', '--config', 'test/soak/vitest.config.ts'], {
    cwd: repo,
    detached: true,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, SOAK_RUN_OPTIONS: JSON.stringify(knobs), SOAK_RUN_REPORT_FILE: files.report, SOAK_RUN_STOP_FILE: files.stop },
  });
  let stopping = false;
  const onSignal = () => {
    if (stopping) {
      process.kill(-child.pid!, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    }
    stopping = true;
    process.stderr.write('soak: stopping early (again to exit at once)\n');
    writeFileSync(files.stop, '');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

async function main(): Promise<void> {
  const knobs = knobsOrExit();
  if (knobs.logDir) mkdirSync(knobs.logDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-soak-run-'));
  try {
    const files = { report: join(dir, 'report.json'), stop: join(dir, 'stop') };
    const code = await runRig(knobs, dir, files);
    if (!existsSync(files.report)) {
      process.stderr.write(`soak failed: the run ended without a report (vitest exited with ${code}; its output is above)\n`);
      process.exitCode = 1;
      return;
    }
    const text = readFileSync(files.report, 'utf8');
    process.stdout.write(text);
    const { problems } = JSON.parse(text) as { problems: string[] };
    if (problems.length > 0) {
      process.stderr.write(`soak failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
