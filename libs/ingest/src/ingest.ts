import type { ApiTransaction, Direction } from '@vigil/contracts';
import { VigilError } from '@vigil/errors';
import { formats, loadMapSpec, mappedFormat } from './formats/index.js';
import { countEvent, countRejection, emptyTally, type InputTally, type Rejection } from './tally.js';
import { formatNames, type EventSink, type FormatName, type LineParser, type LineRef, type LogFormat } from './types.js';

export interface IngestChoice {
  /** A built-in format (default `vigil`); ignored when `map` is given. */
  format?: string;
  /** A mapping file for any other JSON log (`--map FILE`). */
  map?: string;
  /** The api of every event (`--api`). */
  api?: string;
  /** The api of a line that names none (default `default`). */
  defaultApi?: string;
  direction?: Direction;
}

/** The format `--format` / `--map` name, checked (a mapping file is read and checked now: every problem by key). */
export function chooseFormat(choice: IngestChoice): LogFormat {
  if (choice.map !== undefined) return mappedFormat(loadMapSpec(choice.map));
  const name = choice.format ?? 'vigil';
  const format = (formats as Record<string, LogFormat | undefined>)[name];
  if (!format) throw new VigilError('VIGIL_ARGUMENT', `unknown --format ${JSON.stringify(name)}: one of ${formatNames.join(', ')} (or --map FILE for another JSON log)`);
  return format;
}

const NONE: readonly ApiTransaction[] = Object.freeze([]);

/**
 * Lines of one input through one format's parser, counted: what it made, what it rejected (the first 20
 * named, each also handed to `onReject`) and which fields its events carried. A bad line never stops it.
 */
export class Ingest {
  readonly tally: InputTally = emptyTally();
  readonly format: LogFormat;
  private readonly parser: LineParser;
  private batch: ApiTransaction[] = [];
  private rejection: string | undefined;
  private readonly sink: EventSink;

  constructor(
    choice: IngestChoice,
    private readonly onReject?: (r: Rejection, listed: boolean) => void,
    format?: LogFormat,
  ) {
    this.format = format ?? chooseFormat(choice);
    if (choice.api !== undefined && (choice.api.length === 0 || choice.api.length > 256)) throw new VigilError('VIGIL_ARGUMENT', '--api must be 1 to 256 characters');
    this.parser = this.format.create({ api: choice.api, defaultApi: choice.defaultApi ?? 'default', direction: choice.direction ?? 'inbound' });
    this.sink = {
      event: (e, latencyKnown) => {
        countEvent(this.tally, e, latencyKnown);
        this.batch.push(e);
      },
      reject: (reason) => {
        this.rejection ??= reason;
      },
    };
  }

  get name(): FormatName {
    return this.format.name;
  }

  /** One line: the events it made (none when rejected: counted, and reported through `onReject`). */
  line(text: string, ref: LineRef): readonly ApiTransaction[] {
    this.tally.lines++;
    this.rejection = undefined;
    this.parser.parse(text, ref, this.sink);
    if (this.rejection !== undefined) {
      const listed = countRejection(this.tally, ref.number, this.rejection);
      this.onReject?.({ line: ref.number, reason: this.rejection }, listed);
    }
    if (this.batch.length === 0) return NONE;
    const made = this.batch;
    this.batch = [];
    return made;
  }
}

/** Every line of `lines` through one format: the events and the tally (tests, benchmarks). */
export function parseLines(lines: readonly string[], choice: IngestChoice, source = 'test'): { events: ApiTransaction[]; tally: InputTally } {
  const ingest = new Ingest(choice);
  const events: ApiTransaction[] = [];
  lines.forEach((line, i) => {
    for (const e of ingest.line(line, { number: i + 1, id: `${source}:${i + 1}` })) events.push(e);
  });
  return { events, tally: ingest.tally };
}
