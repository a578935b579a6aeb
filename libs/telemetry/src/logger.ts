import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { scrubSecrets } from './scrub.js';

export type { Logger } from 'pino';

/** Field names whose values never reach a log line, at any of the first three levels. */
const secretKeys = ['authorization', 'cookie', 'set-cookie', 'token', 'accessToken', 'apiKey', 'password', 'secret', 'routingKey', 'integrationKey', 'webhookUrl', 'x-api-key'];

export const redactPaths: readonly string[] = secretKeys.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dotted = key.startsWith('[') ? key : `.${key}`;
  return [key, `*${dotted}`, `*.*${dotted}`, `*.*.*${dotted}`];
});

export interface LoggerConfig {
  service: string;
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

/** The one root logger of a process. Components take `logger.child({ component })`. */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    serializers: {
      err: (err: Error) => {
        const s = stdSerializers.err(err);
        if (typeof s.message === 'string') s.message = scrubSecrets(s.message);
        if (typeof s.stack === 'string') s.stack = scrubSecrets(s.stack);
        return s;
      },
    },
    formatters: { level: (label) => ({ level: label }) },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
