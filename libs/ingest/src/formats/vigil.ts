import { transactionContract, validate } from '@vigil/contracts';
import { DecodeError } from '@vigil/errors';
import type { EventSink, LineParser, LineRef, LogFormat } from '../types.js';

/**
 * vigil's own NDJSON: one ApiTransaction v1 a line, checked against the contract as the detector checks it
 * (`--api` and the line's position are not used: the event says everything).
 */
export const vigil: LogFormat = {
  name: 'vigil',
  summary: 'ApiTransaction v1 as NDJSON (what vigil simulate writes)',
  lacks: [],
  create: () => vigilParser,
};

const vigilParser: LineParser = {
  parse(line: string, _ref: LineRef, out: EventSink): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return out.reject(`VIGIL_DECODE_JSON_SYNTAX: not valid JSON: ${(err as Error).message.slice(0, 160)}`);
    }
    try {
      out.event(validate(transactionContract, value), true);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      out.reject(`${err.code}: ${err.message}`);
    }
  },
};
