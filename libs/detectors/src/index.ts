export * from './types.js';
export { detectorsConfigSchema, defaultDetectorsConfig, type DetectorsConfig } from './config.js';
export { DetectionEngine, CLAIM_TTL_MS, DEFAULT_SLICE_MS, type ApiMinuteOutcome, type ApiRate, type EngineOptions, type BatchOutcome } from './engine.js';
export type { Verdict, VerdictLookup } from './engine/stages/episodes.js';
export { allDetectors } from './detectors/index.js';
export { deriveRoute, objectIdOf, isIdSegment } from './route-template.js';
export { createEnricher, AUTOMATION_AGENT } from './enrich.js';
export { findingId } from './finding-id.js';
export { createThreatMatcher, checkThreatEntry, parseCidr, emptyThreats, type ThreatEntry, type ThreatMatch, type ThreatMatcher } from './threats.js';
export { parseThreatsDocument, ThreatsFileError } from './threats-file.js';
export { readInventory, type InventoryQuery } from './inventory/read.js';
export { inventoryToOpenApi, inventoryToOpenApiByApi, type OpenApiDocument } from './inventory/openapi.js';
export { STANDARD_METHODS, inventoryMethod, type InventoryEndpoint } from './inventory/model.js';
/** The engine's key families (a stored format): readers outside the engine (the notifier's traffic chart) name keys with them. */
export { directionCode, storageKeys } from './storage/keys.js';
