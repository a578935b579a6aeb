import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '@vigil/telemetry';

/**
 * kafkajs's debug entries carry raw protocol buffers. Binary values become a
 * byte count (they are unreadable in a log, may hold message contents, and
 * the redaction pass cannot walk them), and nesting is cut at a fixed depth.
 */
export function loggable(value: unknown, depth = 0): unknown {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `<${value.byteLength} bytes>`;
  if (value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (depth >= 4) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => loggable(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, loggable(v, depth + 1)]));
}

/** Sends kafkajs's log entries to a pino child logger, at the matching level. */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () => ({ namespace, level, log }) => {
    const { message, ...extra } = log;
    const fields = { namespace, ...(loggable(extra) as Record<string, unknown>) };
    if (level === logLevel.ERROR) logger.error(fields, message);
    else if (level === logLevel.WARN) logger.warn(fields, message);
    else if (level === logLevel.INFO) logger.info(fields, message);
    else logger.debug(fields, message);
  };
}

/** The kafkajs log level that lets through what the pino logger would print. */
export function kafkaLogLevel(logger: Logger): logLevel {
  switch (logger.level) {
    case 'silent':
      return logLevel.NOTHING;
    case 'fatal':
    case 'error':
      return logLevel.ERROR;
    case 'warn':
      return logLevel.WARN;
    case 'info':
      return logLevel.INFO;
    default:
      return logLevel.DEBUG;
  }
}
