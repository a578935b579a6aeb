import type { ApiTransaction, Direction } from '@vigil/contracts';

/** The formats `vigil backtest` and `vigil publish` read (`--format`); `map` is a JSON log read through `--map FILE`. */
export const formatNames = ['vigil', 'combined', 'nginx-json', 'envoy', 'alb', 'kong'] as const;
export type FormatName = (typeof formatNames)[number] | 'map';

/** What every parser is given once, at construction. */
export interface IngestOptions {
  /** The api of every event (`--api`): wins over what a line says (its host, Kong's service). */
  api?: string;
  /** The api of a line that names none and when no `--api` is given. */
  defaultApi: string;
  /** `inbound` (default): calls your APIs received. */
  direction: Direction;
}

/** Where a line came from: its number, and the event id to give its event (unique per line of a source). */
export interface LineRef {
  number: number;
  id: string;
}

/**
 * Receives what a parser makes of a line: events (one for most formats, several for a Kong batch), or one
 * rejection with a reason a person can act on. A bad line is marked and the batch goes on.
 */
export interface EventSink {
  /** `latencyKnown`: the source had a duration for this call (otherwise `latencyMs` is 0). */
  event(e: ApiTransaction, latencyKnown: boolean): void;
  reject(reason: string): void;
}

/** One format's parser: pure, no I/O, no clock; the same line always gives the same events. */
export interface LineParser {
  parse(line: string, ref: LineRef, out: EventSink): void;
}

/** One format: its name, what it reads, what its source never carries, and its parser. */
export interface LogFormat {
  name: FormatName;
  summary: string;
  /** ApiTransaction fields the format never fills (the report and the docs say which detectors that silences). */
  lacks: readonly OptionalField[];
  create(options: IngestOptions): LineParser;
}

/** The fields an event may or may not carry, counted per input (`latencyMs` counts when the source had a duration). */
export const trackedFields = ['latencyMs', 'principal', 'clientIp', 'userAgent', 'requestBytes', 'responseBytes', 'contentType', 'clientId', 'route', 'responseSignature', 'rateLimitRemaining'] as const;
export type OptionalField = (typeof trackedFields)[number];
