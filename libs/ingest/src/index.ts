export { formatNames, trackedFields, type EventSink, type FormatName, type IngestOptions, type LineParser, type LineRef, type LogFormat, type OptionalField } from './types.js';
export { formats, alb, combined, envoy, kong, nginxJson, vigil, loadMapSpec, mappedFormat, parseMapSpec, type MapSpec } from './formats/index.js';
export { Ingest, chooseFormat, parseLines, type IngestChoice } from './ingest.js';
export { MAX_LISTED_REJECTIONS, countEvent, countRejection, detectorsNeeding, emptyTally, type InputTally, type Rejection } from './tally.js';
export { inputLines, sourceName, type InputLine } from './read.js';
export { lineWriter, clfTime, type WritableFormat } from './writers.js';
export { Follower, type FileIdentity, type FollowChunk, type FollowOptions, type FollowState, type FollowedLine } from './follow/follower.js';
export { addressOf, hostOf, parseClfTime, parseIsoTime, splitTarget, unescapeLogText } from './text.js';
