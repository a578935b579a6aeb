import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/telemetry';
import { createEscalationSource, loadEscalation } from './escalation-source.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-esc-'));
  dirs.push(dir);
  const path = join(dir, 'escalation.yaml');
  writeFileSync(path, text);
  return path;
}

describe('the escalation config source', () => {
  it('without a file runs on the defaults and no channels', () => {
    const e = loadEscalation(undefined, {});
    expect(e.config.notify.findings).toBe(3);
    expect(e.channels.size).toBe(0);
  });

  it('a bad reload keeps the running config and logs every problem by its path', () => {
    const path = file('notify: { findings: 5 }\n');
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ service: 't', destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), done()) }) });
    const source = createEscalationSource({ file: path, env: {}, checkMs: 1000, logger });
    const results: string[] = [];
    source.onReload((r) => results.push(r));
    expect(source.get().config.notify.findings).toBe(5);

    writeFileSync(path, 'notify: { findings: 0, withinMs: 60000 }\nrepeatIntervalMs: soon\n');
    source.reload();
    expect(source.get().config.notify.findings).toBe(5);
    expect(results).toEqual(['invalid']);

    writeFileSync(path, 'notify: { findings: 2 }\n');
    source.reload();
    expect(source.get().config.notify.findings).toBe(2);
    expect(results).toEqual(['invalid', 'ok']);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        const error = lines.find((l) => l.level === 'error');
        expect(error?.issues).toEqual(['notify.findings: Number must be greater than or equal to 1', 'repeatIntervalMs: Expected number, received string']);
        resolve();
      }),
    );
  });

  it('a file that is not YAML is refused at start', () => {
    expect(() => loadEscalation(file('notify: [unclosed\n'), {})).toThrow(/not valid YAML/);
  });
});

describe('escalation config errors name what fixes them', () => {
  it('an unreadable file names the variable that points to it', () => {
    expect(() => loadEscalation('/nonexistent/escalation.yaml', {})).toThrow('NOTIFIER_ESCALATION_FILE (escalation.file) /nonexistent/escalation.yaml: cannot read the file: ENOENT');
  });

  it('the example escalation file without its variables names each channel key and variable', () => {
    const example = new URL('../../../deploy/notifier/escalation.example.yaml', import.meta.url).pathname;
    let message = '';
    try {
      loadEscalation(example, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`file ${example} at channels.slack.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set`);
    for (const line of message.split('\n').slice(1)) expect(line).toMatch(/^ {2}- file \S+ at channels\.[a-z0-9_-]+\.[A-Za-z]+: (environment variable [A-Z_]+ is not set|cannot read the file \S+: ENOENT)/);
  });
});
