import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '@vigil/errors';
import { commonBindings, commonSchemas, loadConfig } from './index.js';

const schema = z
  .object({
    kafka: commonSchemas.kafka,
    redis: commonSchemas.redis,
    http: commonSchemas.http,
    detector: z.object({ windowMs: z.number().int().positive().default(60_000) }).strict().default({}),
  })
  .strict();
const bindings = [...commonBindings, { env: 'DETECTOR_WINDOW_MS', path: 'detector.windowMs', kind: 'number' as const }];

const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills defaults when nothing is given', () => {
    const config = loadConfig(schema, { env: {}, bindings });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.redis.url).toBe('redis://127.0.0.1:16379');
    expect(config.detector.windowMs).toBe(60_000);
  });

  it('reads a YAML file and lets the environment override it', () => {
    const path = file('a.yaml', 'kafka:\n  brokers: [k1:9092]\ndetector:\n  windowMs: 5000\n');
    const config = loadConfig(schema, { env: { KAFKA_BROKERS: 'a:1, b:2', HTTP_PORT: '8080' }, bindings, file: path });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.detector.windowMs).toBe(5000);
    expect(config.http.port).toBe(8080);
  });

  it('reads JSON files', () => {
    const path = file('b.json', JSON.stringify({ detector: { windowMs: 42 } }));
    expect(loadConfig(schema, { env: {}, bindings, file: path }).detector.windowMs).toBe(42);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig(schema, { env: {}, bindings });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka.brokers)).toBe(true);
  });

  it('names the environment variable at fault', () => {
    const err = configError(() => loadConfig(schema, { env: { DETECTOR_WINDOW_MS: 'soon', KAFKA_BROKERS: 'nohostport' }, bindings }));
    expect(err.code).toBe('VIGIL_CONFIG_INVALID');
    const sources = err.issues.map((i) => i.source);
    expect(sources).toContain('DETECTOR_WINDOW_MS');
    expect(sources).toContain('KAFKA_BROKERS');
    expect(err.message).toMatch(/DETECTOR_WINDOW_MS: Expected number, received string/);
  });

  it('names the file and key at fault, including a typo in a key name', () => {
    const path = file('c.yaml', 'detector:\n  windowMS: 5000\nhttp:\n  port: 70000\n');
    const err = configError(() => loadConfig(schema, { env: {}, bindings, file: path }));
    expect(err.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'detector', source: `file ${path} at detector`, message: expect.stringContaining("Unrecognized key(s) in object: 'windowMS'") }),
        expect.objectContaining({ path: 'http.port', source: `file ${path} at http.port` }),
      ]),
    );
  });

  it('reports a file that is not valid YAML', () => {
    const path = file('d.yaml', 'kafka: [unclosed\n');
    const err = configError(() => loadConfig(schema, { env: {}, bindings, file: path }));
    expect(err.message).toContain(`file ${path}`);
    expect(err.message).toContain('not valid YAML');
  });

  it('reports a missing file with the variable that names it', () => {
    const path = join(dir, 'nope.yaml');
    const err = configError(() => loadConfig(schema, { env: {}, bindings, file: path }));
    expect(err.message).toContain(`VIGIL_CONFIG (file ${path}): cannot read the file: ENOENT`);
  });

  it('reports a file that does not hold a mapping', () => {
    const path = file('list.yaml', '- a\n- b\n');
    expect(configError(() => loadConfig(schema, { env: {}, bindings, file: path })).message).toContain(`file ${path}: must hold a mapping of keys at its top level`);
  });

  describe('a missing required value', () => {
    const required = z.object({ api: z.object({ token: z.string().min(16), name: z.string() }).strict().default({} as never) }).strict();
    const tokenBinding = [{ env: 'APP_TOKEN', path: 'api.token', secret: true }];

    it('names every variable that sets it, and its file key', () => {
      const err = configError(() => loadConfig(required, { env: {}, bindings: tokenBinding }));
      expect(err.message).toContain('APP_TOKEN or APP_TOKEN_FILE (or api.token in the VIGIL_CONFIG file): is required');
      // Without a variable, the file key alone.
      expect(err.message).toContain('  - api.name in the VIGIL_CONFIG file: is required');
    });

    it('with a file, names the file and the key to add', () => {
      const path = file('partial.yaml', 'api:\n  name: x\n');
      const err = configError(() => loadConfig(required, { env: {}, bindings: tokenBinding, file: path }));
      expect(err.message).toContain(`APP_TOKEN or APP_TOKEN_FILE (or file ${path} at api.token): is required`);
    });

    it('a missing section names the variables that set what it holds', () => {
      const section = z.object({ api: z.object({ token: z.string() }).strict() }).strict();
      expect(configError(() => loadConfig(section, { env: {}, bindings: tokenBinding })).message).toContain('APP_TOKEN or APP_TOKEN_FILE (or api in the VIGIL_CONFIG file): is required');
    });
  });

  it('reads a secret from the file named by VAR_FILE, and never echoes it', () => {
    const secretSchema = z.object({ redis: commonSchemas.redis }).strict();
    const path = file('redis-url', 'redis://:s3cret@10.0.0.1:6379\n');
    expect(loadConfig(secretSchema, { env: { REDIS_URL_FILE: path }, bindings }).redis.url).toBe('redis://:s3cret@10.0.0.1:6379');
    const bad = file('redis-bad', 'http://s3cret\n');
    const err = configError(() => loadConfig(secretSchema, { env: { REDIS_URL_FILE: bad }, bindings }));
    expect(err.issues[0]?.source).toBe('REDIS_URL_FILE (secret)');
    expect(err.message).not.toContain('s3cret');
  });

  it('names an unreadable secret file and the variable pointing to it', () => {
    const secretSchema = z.object({ redis: commonSchemas.redis }).strict();
    const err = configError(() => loadConfig(secretSchema, { env: { REDIS_URL_FILE: '/nonexistent/redis-url' }, bindings }));
    expect(err.message).toContain('REDIS_URL_FILE: cannot read the secret file /nonexistent/redis-url: ENOENT');
  });
});
