import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Channel } from '@vigil/channels';
import { parseConfigText } from '@vigil/config';
import { ConfigError } from '@vigil/errors';
import { parseEscalationConfig, type EscalationConfig } from '@vigil/notifier-core';
import type { Logger } from '@vigil/telemetry';
import { buildChannels, type Env } from './channels.js';

export interface Escalation {
  config: EscalationConfig;
  channels: ReadonlyMap<string, Channel>;
}

/** Reads, validates and builds an escalation config and its channels; throws a ConfigError naming every bad key. */
export function loadEscalation(file: string | undefined, env: Env): Escalation {
  let doc: unknown = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([{ source: `NOTIFIER_ESCALATION_FILE (escalation.file) ${file}`, path: '', message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }], { cause: err });
    }
    doc = parseConfigText(text, file);
  }
  const source = file ? `file ${file}` : 'escalation config';
  const config = Object.freeze(parseEscalationConfig(doc, source));
  return { config, channels: buildChannels(config, env, undefined, source) };
}

export interface EscalationSourceOptions {
  file?: string;
  env: Env;
  checkMs: number;
  logger: Logger;
}

export type ReloadListener = (result: 'ok' | 'invalid', error?: ConfigError) => void;

/**
 * The running escalation config. Loaded once at start (a bad file stops the
 * start); then the file is checked every `checkMs` and reloaded when it
 * changes. A bad reload keeps the running config and logs every problem by
 * the path of its key.
 */
export function createEscalationSource(o: EscalationSourceOptions) {
  const log = o.logger.child({ component: 'escalation-config' });
  let current = loadEscalation(o.file, o.env);
  let watching = false;
  const listeners: ReloadListener[] = [];

  function reload(): void {
    try {
      current = loadEscalation(o.file, o.env);
      log.info({ file: o.file, rules: current.config.rules.length, channels: [...current.channels.keys()] }, 'escalation config reloaded');
      for (const l of listeners) l('ok');
    } catch (err) {
      const e = err instanceof ConfigError ? err : new ConfigError([{ source: `file ${o.file}`, path: '', message: (err as Error).message }], { cause: err });
      log.error({ file: o.file, issues: e.issues.map((i) => `${i.path || '(top level)'}: ${i.message}`) }, `escalation config not reloaded; still running the previous one. ${e.message}`);
      for (const l of listeners) l('invalid', e);
    }
  }

  return {
    get: (): Escalation => current,
    /** Called after every reload attempt, with its result. */
    onReload(listener: ReloadListener): void {
      listeners.push(listener);
    },
    /** Starts watching the file (no-op without a file). */
    watch(): void {
      if (!o.file || watching) return;
      watching = true;
      watchFile(o.file, { interval: o.checkMs, persistent: false }, (now, before) => {
        if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) reload();
      });
    },
    stop(): void {
      if (o.file && watching) unwatchFile(o.file);
      watching = false;
    },
    reload,
  };
}

export type EscalationSource = ReturnType<typeof createEscalationSource>;
