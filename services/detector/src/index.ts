export { buildDetector, DEFAULT_CHECKPOINT_INTERVAL_MS, type DetectorDeps, type DetectorService } from './app.js';
export { loadDetectorConfig, detectorServiceSchema, detectorBindings, type DetectorServiceConfig } from './config.js';
export { runDetectorMain } from './main.js';
export { detectorEvents, type BatchEndPayload, type BatchStartPayload, type CheckpointPayload, type DetectorEventType, type InstrumentationEvent, type InstrumentationListener } from './instrumentation.js';
export { createGroupClock, earliestPending, GROUP_CLOCK_STALE_MS, type GroupClock } from './group-clock.js';
