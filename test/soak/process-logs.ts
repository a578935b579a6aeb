import { readFileSync } from 'node:fs';
import type { SoakSecrets } from './types.js';

export interface ProcessLogs {
  text: { detector: string; notifier: string };
  lines: number;
  errorLines: number;
  /** The names of the secrets found in a line. */
  secretsFound: string[];
}

/** Every line both processes logged, searched for each secret and for errors. */
export function readProcessLogs(files: { detector: string; notifier: string }, secrets: SoakSecrets): ProcessLogs {
  const text = { detector: readFileSync(files.detector, 'utf8'), notifier: readFileSync(files.notifier, 'utf8') };
  const allLines = `${text.detector}\n${text.notifier}`.split('\n').filter((l) => l.trim() !== '');
  const secretsFound = Object.entries(secrets)
    .filter(([, v]) => allLines.some((l) => l.includes(v)))
    .map(([k]) => k);
  // Errors: error and fatal lines, and anything that is neither a JSON log line nor V8's GC trace (a raw stack trace, say).
  const errorLines = allLines.filter((l) => /"level":"(error|fatal)"/.test(l) || !(l.startsWith('{') || /^\[\d+:0x[0-9a-f]+\]/.test(l))).length;
  return { text, lines: allLines.length, errorLines, secretsFound };
}
