import { existsSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { runSoak, type SoakOptions } from './soak-rig.js';

/**
 * The run of `npm run soak`. bench/src/soak.ts launches it through
 * vitest.config.ts beside this file with the options it read from the SOAK_*
 * knobs (SOAK_RUN_OPTIONS, JSON), the file to write the report to
 * (SOAK_RUN_REPORT_FILE), and a file whose appearance ends the load early
 * (SOAK_RUN_STOP_FILE: a Ctrl-C; the run still drains, reports and cleans up).
 */
it('soaks without a problem', async () => {
  const { SOAK_RUN_OPTIONS: options, SOAK_RUN_REPORT_FILE: reportFile, SOAK_RUN_STOP_FILE: stopFile } = process.env;
  if (!options || !reportFile || !stopFile) throw new Error('run by npm run soak (bench/src/soak.ts), which sets SOAK_RUN_OPTIONS, SOAK_RUN_REPORT_FILE and SOAK_RUN_STOP_FILE');
  const stop = new AbortController();
  const watch = setInterval(() => existsSync(stopFile) && stop.abort(), 500);
  try {
    const report = await runSoak({ ...(JSON.parse(options) as SoakOptions), signal: stop.signal });
    writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    expect(report.problems).toEqual([]);
  } finally {
    clearInterval(watch);
  }
});
